/**
 * Atomic file writes: data goes to a temp file in the same folder, is flushed to disk, then renamed over the
 * target. A reader (or a resumed job) therefore sees either the old file, no file, or the complete new one.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DreamLayerError, toDreamLayerError, type ErrorStage } from '../../../shared/src/errors.ts';

/** Suffix of every temp file this module creates. */
export const TEMP_SUFFIX = '.tmp';

/**
 * The temp name for a target: `.<name>.<pid>-<random>.tmp` in the same folder. The leading dot and the trailing
 * `.tmp` mean it never matches a frame pattern such as `frame_%06d.png`, so a half-written frame is never taken
 * for a finished one.
 */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
}

/** Whether a file name is a temp file made by {@link tempPathFor} for the target named `targetName` (any process). */
export function isTempNameFor(targetName: string, fileName: string): boolean {
  const head = `.${targetName}.`;
  return fileName.startsWith(head) && fileName.endsWith(TEMP_SUFFIX) && /^\d+-[0-9a-f]+$/.test(fileName.slice(head.length, -TEMP_SUFFIX.length));
}

/**
 * Maps a file-system error on writing `target` to a DreamLayerError whose message names the file:
 * ENOSPC → DISK_FULL; EACCES/EPERM/EROFS and other write failures (ENOTDIR, ENOENT, EISDIR…) → OUTPUT_UNWRITABLE.
 */
export function writeError(e: unknown, target: string, stage: ErrorStage = 'write', what = 'file'): DreamLayerError {
  if (e instanceof DreamLayerError) return e;
  const base = toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage });
  const sys = (e as NodeJS.ErrnoException)?.code;
  const reason = e instanceof Error ? e.message : String(e);
  const code = base.code === 'DISK_FULL' ? 'DISK_FULL' : 'OUTPUT_UNWRITABLE';
  const message = code === 'DISK_FULL' ? `The disk is full while writing the ${what} "${target}" (${reason}).` : `Cannot write the ${what} "${target}" (${sys ?? reason}${sys ? `: ${reason}` : ''}).`;
  return new DreamLayerError(code, { message, stage, cause: e });
}

const RENAME_RETRY = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** rename() that retries briefly on Windows, where a reader holding the target open makes it fail for a moment. */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.rename(from, to);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (process.platform !== 'win32' || !RENAME_RETRY.has(code) || attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}

/** fsyncs a folder so a rename in it survives power loss; not possible (nor needed) on Windows. */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // some file systems refuse fsync on folders; the rename itself is still atomic
  } finally {
    await fh?.close().catch(() => {});
  }
}

/** fsyncs an existing file (e.g. one ffmpeg wrote) before it is renamed into place. */
export async function syncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `target` atomically: temp file in the same folder, fsync, rename, fsync of the folder.
 * On failure the temp file is removed and the error names `target` (DISK_FULL or OUTPUT_UNWRITABLE).
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: { stage?: ErrorStage } = {}): Promise<void> {
  const tmp = tempPathFor(target);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx');
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await renameWithRetry(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw writeError(e, target, opts.stage ?? 'write');
  }
  await syncDir(path.dirname(target));
}

/** Synchronous {@link syncDir}, for the synchronous writers below. */
function syncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some file systems refuse fsync on folders; the rename itself is still atomic
  }
}

/**
 * Synchronous atomic write (temp + fsync + rename + folder fsync) for small records written where awaiting is not
 * possible or not wanted: job records, the daemon's discovery file, the model store's registry. `mode` applies to the
 * newly created file (the discovery file holding the pairing token is 0600). Errors are raw file-system errors; the
 * temp file is removed.
 */
export function writeFileAtomicSync(target: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const tmp = tempPathFor(target);
  try {
    const fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o644);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDirSync(path.dirname(target));
}

/** {@link writeFileAtomicSync} of pretty-printed JSON (job records are read by people too). */
export function writeJsonAtomicSync(target: string, value: unknown, opts: { mode?: number } = {}): void {
  writeFileAtomicSync(target, `${JSON.stringify(value, null, 2)}\n`, opts);
}

/**
 * Makes sure `dir` exists (mkdir -p) and that a file can be created in it, by writing and removing a probe file.
 * Errors name the folder: OUTPUT_UNWRITABLE (or DISK_FULL).
 */
export async function ensureWritableDir(dir: string, opts: { stage?: ErrorStage } = {}): Promise<void> {
  const stage = opts.stage ?? 'write';
  try {
    await fsp.mkdir(dir, { recursive: true });
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error(`not a folder`), { code: 'ENOTDIR' });
  } catch (e) {
    throw writeError(e, dir, stage, 'folder');
  }
  const probe = path.join(dir, `.dreamlayer-write-test-${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  try {
    await fsp.writeFile(probe, 'ok', { flag: 'wx' });
  } catch (e) {
    throw writeError(e, dir, stage, 'folder');
  } finally {
    await fsp.rm(probe, { force: true }).catch(() => {});
  }
}

/** Synchronous existence-and-non-empty check used for "is this output finished". */
export function isNonEmptyFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}
