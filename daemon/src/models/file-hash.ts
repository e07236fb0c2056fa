/**
 * SHA-256 of model files, streamed (models reach hundreds of MB) and cached by
 * path + size + mtime so that resolving a model for every job costs no re-read.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
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

const cache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** SHA-256 of a file, reused while its size and mtime are unchanged. */
export async function cachedSha256(file: string): Promise<string> {
  const abs = path.resolve(file);
  const st = statSync(abs);
  const hit = cache.get(abs);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256File(abs);
  cache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/** Records a hash just computed elsewhere (after a download or a copy). */
export function rememberSha256(file: string, sha256: string): void {
  const abs = path.resolve(file);
  const st = statSync(abs);
  cache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
}

/** Drops cached hashes (tests). */
export function clearHashCache(): void {
  cache.clear();
}
