/**
 * Log rotation by count and total size: keeps the newest files of a folder.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PruneOptions {
  /** Keep at most this many files (newest first). */
  keep: number;
  /** And at most this many bytes in all (newest first); older files beyond it are removed. */
  maxTotalBytes?: number;
  /** Only files whose name matches (default: every `.log` and `.log.1`). */
  match?: RegExp;
  /** Never remove these (the files in use). */
  protect?: readonly string[];
}

/** Removes the oldest log files of `dir` beyond the limits; returns the removed paths. */
export function pruneLogs(dir: string, opts: PruneOptions): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const match = opts.match ?? /\.log(\.1)?$/;
  const protect = new Set((opts.protect ?? []).map((p) => path.resolve(p)));
  const files = names
    .filter((n) => match.test(n))
    .map((n) => {
      const p = path.join(dir, n);
      try {
        const st = fs.statSync(p);
        return st.isFile() ? { p, mtime: st.mtimeMs, size: st.size } : null;
      } catch {
        return null;
      }
    })
    .filter((f): f is { p: string; mtime: number; size: number } => f !== null)
    .sort((a, b) => b.mtime - a.mtime || b.p.localeCompare(a.p));
  const removed: string[] = [];
  let total = 0;
  files.forEach((f, i) => {
    total += f.size;
    const over = i >= opts.keep || (opts.maxTotalBytes !== undefined && total > opts.maxTotalBytes && i > 0);
    if (over && !protect.has(path.resolve(f.p))) {
      try {
        fs.rmSync(f.p, { force: true });
        removed.push(f.p);
      } catch {
        /* in use elsewhere: try next time */
      }
    }
  });
  return removed;
}
