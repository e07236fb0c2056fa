/**
 * One process at a time may run jobs from a data folder (a daemon, or the CLI
 * resuming a job in the foreground); two would resume the same interrupted job.
 * The lock file holds the owner's pid; a lock whose process is gone is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';

export interface DataDirLock {
  file: string;
  release(): void;
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): { pid: number; what?: string } | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; what?: unknown };
    return typeof j.pid === 'number' ? { pid: j.pid, what: typeof j.what === 'string' ? j.what : undefined } : null;
  } catch {
    return null;
  }
}

/** Lock files this process holds (a lock naming our pid but not in here is stale: pid reuse after a reboot). */
const held = new Set<string>();

/** Takes `<dataDir>/daemon.lock` or throws DAEMON_RUNNING naming the holder. */
export function acquireDataDirLock(dataDir: string, what: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(path.resolve(dataDir), 'daemon.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      if (held.has(file)) throw Object.assign(new Error('held here'), { code: 'EEXIST' });
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() }));
      fs.closeSync(fd);
      held.add(file);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          held.delete(file);
          if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      const heldHere = held.has(file);
      if (heldHere || (owner && owner.pid !== process.pid && processAlive(owner.pid))) {
        throw new DreamLayerError('DAEMON_RUNNING', {
          message: `Another DreamLayer process (pid ${owner?.pid ?? process.pid}${owner?.what ? `, ${owner.what}` : ''}) is using the data folder ${dataDir}.`,
        });
      }
      // Stale (its process died, e.g. kill -9): remove and try again.
      fs.rmSync(file, { force: true });
    }
  }
  throw new DreamLayerError('DAEMON_RUNNING', { message: `Could not take the lock ${file}.` });
}
