/**
 * SHA-256 of model files, streamed (models reach hundreds of MB) and cached by
 * path + size + mtime so that resolving a model for every job costs no re-read.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Feeds a file (or its first `limit` bytes) into a hash. */
export async function hashFileInto(hash: Hash, file: string, limit?: number): Promise<number> {
  let n = 0;
  const stream = createReadStream(file, limit === undefined ? {} : { start: 0, end: limit - 1 });
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

/** SHA-256 of a whole file as lower-case hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await hashFileInto(h, file);
  return h.digest('hex');
}

/** MD5 of a whole file (only to compare with an MD5 an upstream publishes). */
export async function md5File(file: string): Promise<string> {
  const h = createHash('md5');
  await hashFileInto(h, file);
  return h.digest('hex');
}

type CacheRecord = { size: number; mtimeMs: number; sha256: string };
const cache = new Map<string, CacheRecord>();
const loadedFrom = new Set<string>();

/** The on-disk cache beside the models, so that each CLI run need not re-hash 100+ MB files. */
const CACHE_FILE = '.sha256-cache.json';

function loadPersisted(dir: string): void {
  if (loadedFrom.has(dir)) return;
  loadedFrom.add(dir);
  try {
    const json = JSON.parse(readFileSync(path.join(dir, CACHE_FILE), 'utf8')) as Record<string, CacheRecord>;
    for (const [k, v] of Object.entries(json)) {
      if (!cache.has(k) && typeof v?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256)) cache.set(k, v);
    }
  } catch {
    /* absent or unreadable: start empty */
  }
}

function persist(dir: string): void {
  // Best effort (a read-only store still works): temp file + rename.
  const file = path.join(dir, CACHE_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const prefix = path.resolve(dir) + path.sep;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries([...cache].filter(([k]) => k.startsWith(prefix)))));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * SHA-256 of a file, reused while its size and mtime are unchanged; with
 * `persistDir`, the cache is also kept in `<persistDir>/.sha256-cache.json`.
 */
export async function cachedSha256(file: string, persistDir?: string): Promise<string> {
  const abs = path.resolve(file);
  if (persistDir) loadPersisted(persistDir);
  const st = statSync(abs);
  const hit = cache.get(abs);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256File(abs);
  cache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  if (persistDir) persist(persistDir);
  return sha256;
}

/** Records a hash just computed elsewhere (after a download or a copy). */
export function rememberSha256(file: string, sha256: string, persistDir?: string): void {
  const abs = path.resolve(file);
  const st = statSync(abs);
  if (persistDir) loadPersisted(persistDir);
  cache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  if (persistDir) persist(persistDir);
}

/** Drops cached hashes held in memory (tests). */
export function clearHashCache(): void {
  cache.clear();
  loadedFrom.clear();
}
