import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addModel } from '../../../daemon/src/models/add.ts';
import type { Catalog } from '../../../daemon/src/models/catalog.ts';
import { clearHashCache } from '../../../daemon/src/models/file-hash.ts';
import { closeIds, resolveModel } from '../../../daemon/src/models/resolve-model.ts';
import { readLocalRegistry } from '../../../daemon/src/models/store.ts';
import { verifyModel } from '../../../daemon/src/models/verify.ts';
import { catalogOf, depthModelBytes, entry, styleModelBytes, tempDir } from './fixtures.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const STYLE = styleModelBytes({ seed: 5 });
const DEPTH = depthModelBytes();

let t: { dir: string; cleanup: () => void };
let store: string;
let catalog: Catalog;

beforeEach(() => {
  t = tempDir();
  store = path.join(t.dir, 'store');
  clearHashCache();
  catalog = catalogOf([
    entry({ id: 'builtin:toon', distribution: 'builtin', file: null, urls: [], default: true, note: undefined }),
    entry({ id: 'candy', sha256: sha(STYLE), size: STYLE.length, verified: true, checksumSource: 'test', note: undefined }),
    entry({ id: 'mosaic', sha256: sha(styleModelBytes({ seed: 6 })), verified: true, checksumSource: 'test', note: undefined }),
    entry({ id: 'midas', task: 'depth', default: true }),
    entry({ id: 'rife', task: 'flow', distribution: 'manual', urls: [], note: 'No published ONNX exposes the flows. Convert it yourself.' }),
  ]);
});
afterEach(() => t.cleanup());

const o = () => ({ catalog, storeDir: store });
const put = (rel: string, bytes: Uint8Array) => {
  const f = path.join(store, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, bytes);
  return f;
};

describe('resolveModel', () => {
  it('resolves a file path, with its SHA-256', async () => {
    const f = path.join(t.dir, 'my style.onnx');
    writeFileSync(f, STYLE);
    const r = await resolveModel(f, 'style', o());
    expect(r).toMatchObject({ kind: 'file', path: f, id: f, sha256: sha(STYLE) });
    // A relative path with a separator is a path too.
    const rel = path.relative(process.cwd(), f);
    expect((await resolveModel(rel.includes(path.sep) ? rel : `./${rel}`, 'style', o())).path).toBe(f);
  });

  it('refuses a missing file and a file of the wrong task by contract', async () => {
    await expect(resolveModel(path.join(t.dir, 'nope.onnx'), 'style', o())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('nope.onnx') });
    const f = path.join(t.dir, 'depth.onnx');
    writeFileSync(f, DEPTH);
    await expect(resolveModel(f, 'style', o())).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
    expect((await resolveModel(f, 'style', { ...o(), checkContract: false })).kind).toBe('file');
  });

  it('resolves a catalog id present in the store', async () => {
    const f = put('candy.onnx', STYLE);
    const r = await resolveModel('candy', 'style', o());
    expect(r).toMatchObject({ kind: 'catalog', id: 'candy', path: f, sha256: sha(STYLE) });
    expect(r.entry?.id).toBe('candy');
  });

  it('a catalog id missing from the store names the id, the store and both ways to get it', async () => {
    const err = await resolveModel('candy', 'style', o()).catch((e) => e);
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('candy');
    expect(err.message).toContain(store);
    expect(err.hint).toContain('dreamlayer models pull candy');
    expect(err.hint).toContain(path.join(store, 'candy.onnx'));
    const manual = await resolveModel('rife', 'flow', o()).catch((e) => e);
    expect(manual.hint).toMatch(/No published ONNX exposes the flows/);
    expect(manual.hint).toContain(path.join(store, 'rife.onnx'));
  });

  it('an unknown id lists close ids; a model of another task is a contract error', async () => {
    const err = await resolveModel('cand', 'style', o()).catch((e) => e);
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toMatch(/did you mean candy/);
    await expect(resolveModel('midas', 'style', o())).rejects.toMatchObject({ code: 'MODEL_CONTRACT', message: expect.stringMatching(/midas is a depth model/) });
    expect(closeIds('mosiac', ['mosaic', 'candy', 'udnie'])).toEqual(['mosaic']);
  });

  it('no ref gives the task default; builtin resolves without a file', async () => {
    expect(await resolveModel(undefined, 'style', o())).toMatchObject({ kind: 'builtin', id: 'builtin:toon', path: null, sha256: null });
    await expect(resolveModel(undefined, 'depth', o())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('midas') });
    await expect(resolveModel(undefined, 'superres', o())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/No default superres model/) });
  });

  it('refuses a store file that no longer matches the published checksum', async () => {
    put('candy.onnx', styleModelBytes({ seed: 9 }));
    await expect(resolveModel('candy', 'style', o())).rejects.toMatchObject({ code: 'MODEL_CHECKSUM', hint: expect.stringContaining('models pull candy --force') });
  });
});

describe('addModel', () => {
  it('checks, copies and registers a good model; resolveModel and verifyModel then find it', async () => {
    const src = path.join(t.dir, 'My Toon.onnx');
    writeFileSync(src, STYLE);
    const r = await addModel(src, { task: 'style', ...o() });
    expect(r).toMatchObject({ id: 'my-toon', task: 'style', sha256: sha(STYLE), size: STYLE.length });
    expect(r.path).toBe(path.join(store, 'local', 'my-toon.onnx'));
    expect(readFileSync(r.path).equals(Buffer.from(STYLE))).toBe(true);
    expect(readLocalRegistry(store).models['my-toon']).toMatchObject({ origin: 'add', task: 'style', file: 'local/my-toon.onnx', sha256: sha(STYLE) });
    expect(await resolveModel('my-toon', 'style', o())).toMatchObject({ kind: 'local', path: r.path, sha256: sha(STYLE) });
    await expect(resolveModel('my-toon', 'depth', o())).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
    expect((await verifyModel('my-toon', o()))[0].status).toBe('ok');

    await expect(addModel(src, { task: 'style', ...o() })).rejects.toMatchObject({ code: 'PARAM_INVALID', hint: expect.stringMatching(/--force/) });
    expect((await addModel(src, { task: 'style', force: true, ...o() })).id).toBe('my-toon');
    await expect(addModel(src, { task: 'style', id: 'candy', ...o() })).rejects.toMatchObject({ code: 'PARAM_INVALID', message: expect.stringMatching(/catalog model/) });
  });

  it('refuses a model that breaks the task contract, and files that are not ONNX, copying nothing', async () => {
    const depth = path.join(t.dir, 'depth.onnx');
    writeFileSync(depth, DEPTH);
    await expect(addModel(depth, { task: 'style', id: 'bad', ...o() })).rejects.toMatchObject({ code: 'MODEL_CONTRACT', message: expect.stringMatching(/output "output".*3 channels/) });
    const truncated = path.join(t.dir, 'cut.onnx');
    writeFileSync(truncated, STYLE.subarray(0, STYLE.length - 40));
    await expect(addModel(truncated, { task: 'style', ...o() })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    const text = path.join(t.dir, 'readme.txt');
    writeFileSync(text, 'not a model at all\n');
    await expect(addModel(text, { task: 'style', ...o() })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    expect(existsSync(path.join(store, 'local', 'bad.onnx'))).toBe(false);
    expect(Object.keys(readLocalRegistry(store).models)).toEqual([]);
    // The depth model is fine as a depth model.
    expect((await addModel(depth, { task: 'depth', ...o() })).contract.layout).toBe('NCHW');
  });
});

describe('verifyModel', () => {
  it('compares with the published checksum: correct, corrupted, missing', async () => {
    const f = put('candy.onnx', STYLE);
    expect(await verifyModel('candy', o())).toEqual([expect.objectContaining({ status: 'ok', source: 'published', actual: sha(STYLE) })]);
    const bad = Buffer.from(STYLE);
    bad[bad.length - 10] ^= 0xff;
    writeFileSync(f, bad);
    const [r] = await verifyModel('candy', o());
    expect(r).toMatchObject({ status: 'mismatch', expected: sha(STYLE), actual: sha(bad) });
    expect(r.message).toMatch(/MISMATCH/);
    expect((await verifyModel('mosaic', o()))[0].status).toBe('missing');
  });

  it('verifies a path (store file against its entry, other files with no reference) and everything installed', async () => {
    const f = put('candy.onnx', STYLE);
    expect((await verifyModel(f, o()))[0]).toMatchObject({ id: 'candy', status: 'ok' });
    const loose = path.join(t.dir, 'loose.onnx');
    writeFileSync(loose, DEPTH);
    expect((await verifyModel(loose, o()))[0]).toMatchObject({ status: 'unknown', actual: sha(DEPTH) });
    put('midas.onnx', DEPTH); // unverified catalog file placed by hand: nothing to compare with
    const all = await verifyModel(undefined, o());
    expect(all.map((r) => `${r.id}:${r.status}`).sort()).toEqual(['candy:ok', 'midas:unknown']);
    await expect(verifyModel('nonesuch', o())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
