/**
 * One session per (model file, size on disk, mtime, device, threads): effects and
 * jobs ask for models by path and get a shared, already-initialised session.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { createModelSession, type ModelSession, type SessionOptions } from './model-session.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';

const cache = new Map<string, Promise<ModelSession>>();

/** Loads (or reuses) a session for a model file. `bytes` supplies an edited graph for that file. */
export function getSession(file: string, opts: SessionOptions & { bytes?: Uint8Array; variant?: string } = {}): Promise<ModelSession> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `Model file ${file} does not exist.`, cause: e });
  }
  if (st.size === 0) throw new DreamLayerError('MODEL_INVALID', { stage: 'model', message: `Model file ${file} is empty.` });
  const key = [path.resolve(file), st.size, st.mtimeMs, opts.device ?? 'auto', opts.threads ?? 0, opts.variant ?? ''].join('|');
  let p = cache.get(key);
  if (!p) {
    p = createModelSession(opts.bytes ?? file, path.basename(file), opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Session for an in-memory model (built-in effects, test graphs), cached under `key`. */
export function getSessionForBytes(key: string, bytes: () => Uint8Array, opts: SessionOptions = {}): Promise<ModelSession> {
  const k = `mem:${key}|${opts.device ?? 'auto'}|${opts.threads ?? 0}`;
  let p = cache.get(k);
  if (!p) {
    p = createModelSession(bytes(), key, opts);
    cache.set(k, p);
    p.catch(() => cache.delete(k));
  }
  return p;
}

export async function clearSessionCache(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => null))?.release().catch(() => undefined)));
}
