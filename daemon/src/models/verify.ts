/**
 * `models verify`: re-reads model files and compares their SHA-256 with the
 * published checksum (catalog) or the one recorded when they were pulled or added.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { defaultCatalog } from './catalog.ts';
import { md5File, rememberSha256, sha256File } from './file-hash.ts';
import { closeIds, looksLikePath, type ModelStoreOptions } from './resolve-model.ts';
import { catalogFilePath, readLocalRegistry, resolveStoreDir } from './store.ts';

export interface VerifyResult {
  /** Catalog or added id; the absolute path for a file outside the store. */
  id: string;
  path: string;
  /**
   * ok: matches; mismatch: differs (corrupt or replaced); missing: not in the store;
   * unknown: no reference checksum to compare with (the SHA-256 is still reported).
   */
  status: 'ok' | 'mismatch' | 'missing' | 'unknown';
  /** The reference checksum and where it comes from. */
  expected: string | null;
  source: 'published' | 'recorded' | null;
  actual: string | null;
  size: number | null;
  message: string;
}

async function verifyFile(id: string, file: string, expected: string | null, source: VerifyResult['source'], md5?: string): Promise<VerifyResult> {
  if (!existsSync(file)) return { id, path: file, status: 'missing', expected, source, actual: null, size: null, message: `${id}: not installed (${file}).` };
  const actual = await sha256File(file);
  const size = statSync(file).size;
  if (!expected) return { id, path: file, status: 'unknown', expected, source, actual, size, message: `${id}: no reference checksum; SHA-256 is ${actual}.` };
  if (actual !== expected) return { id, path: file, status: 'mismatch', expected, source, actual, size, message: `${id}: MISMATCH with the ${source} checksum (expected ${expected}, found ${actual}).` };
  if (md5 && (await md5File(file)) !== md5) return { id, path: file, status: 'mismatch', expected: md5, source, actual, size, message: `${id}: MISMATCH with the published MD5 ${md5}.` };
  // A fresh full read agrees with the reference: safe to seed the hash cache.
  rememberSha256(file, actual);
  return { id, path: file, status: 'ok', expected, source, actual, size, message: `${id}: OK (${source} checksum).` };
}

/**
 * Verifies one model (catalog id, added id, or a file path) or, with no ref, every
 * model present in the store. Never throws for a mismatch: the caller reports the
 * results (the CLI exits non-zero). Throws MODEL_NOT_FOUND for an unknown id or path.
 */
export async function verifyModel(ref?: string, opts: ModelStoreOptions = {}): Promise<VerifyResult[]> {
  const catalog = opts.catalog ?? defaultCatalog();
  const dir = resolveStoreDir(opts.storeDir);
  const registry = readLocalRegistry(dir);

  const forCatalog = (id: string) => {
    const entry = catalog.models.find((m) => m.id === id)!;
    const file = catalogFilePath(dir, entry.file!);
    const recorded = registry.models[id];
    const expected = entry.sha256 ?? recorded?.sha256 ?? null;
    return verifyFile(id, file, expected, entry.sha256 ? 'published' : recorded ? 'recorded' : null, entry.md5);
  };
  const forLocal = (id: string) => {
    const r = registry.models[id];
    return verifyFile(id, path.join(dir, r.file), r.sha256, 'recorded');
  };

  if (ref === undefined) {
    const out: VerifyResult[] = [];
    for (const e of catalog.models) {
      if (e.file && existsSync(catalogFilePath(dir, e.file))) out.push(await forCatalog(e.id));
    }
    for (const [id, r] of Object.entries(registry.models)) if (r.origin === 'add') out.push(await forLocal(id));
    return out;
  }

  if (looksLikePath(ref)) {
    const abs = path.resolve(ref);
    if (!existsSync(abs)) throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `The model file ${abs} does not exist.` });
    // A store file is compared with its own reference; any other file with nothing.
    const entry = catalog.models.find((e) => e.file && path.resolve(catalogFilePath(dir, e.file)) === abs);
    if (entry) return [await forCatalog(entry.id)];
    const local = Object.entries(registry.models).find(([, r]) => path.resolve(dir, r.file) === abs);
    if (local) return [await forLocal(local[0])];
    return [await verifyFile(abs, abs, null, null)];
  }

  const entry = catalog.models.find((m) => m.id === ref);
  if (entry) {
    if (!entry.file) return [{ id: ref, path: '', status: 'ok', expected: null, source: null, actual: null, size: null, message: `${ref}: built in, nothing to verify.` }];
    return [await forCatalog(ref)];
  }
  if (registry.models[ref]?.origin === 'add') return [await forLocal(ref)];
  const close = closeIds(ref, [...catalog.models.map((m) => m.id), ...Object.keys(registry.models)]);
  throw new DreamLayerError('MODEL_NOT_FOUND', {
    stage: 'model',
    message: `No model has the id "${ref}"${close.length ? `; did you mean ${close.join(', ')}?` : '.'}`,
    hint: 'List the models with `dreamlayer models list`.',
  });
}
