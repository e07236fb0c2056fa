/**
 * Atomic file replacement: write a temp file beside the target, flush it to
 * disk, rename it over the target. A reader (or a daemon restarted after a
 * power loss) sees the old file or the new one, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes `data` to `file` atomically (temp + fsync + rename). `mode` applies to a newly created file. */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++counter}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dir);
}

/** Flushes a folder entry (the rename) to disk where the OS allows it (not on Windows). */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* some file systems refuse fsync on folders; the rename is still atomic */
  }
}

/** Writes JSON atomically, pretty-printed for people reading job records by hand. */
export function writeJsonAtomic(file: string, value: unknown, mode = 0o644): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}
