import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullModel, type PullProgress } from '../../../daemon/src/models/pull.ts';
import { resolveModel } from '../../../daemon/src/models/resolve-model.ts';
import { readLocalRegistry } from '../../../daemon/src/models/store.ts';
import { clearHashCache } from '../../../daemon/src/models/file-hash.ts';
import type { Catalog } from '../../../daemon/src/models/catalog.ts';
import { catalogOf, entry, styleModelBytes, tempDir } from './fixtures.ts';
import { startFileServer, type FileServer } from './http-fixture.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// ~400 KB: several network chunks, so a cut lands mid-file.
const MODEL = styleModelBytes({ extraFloats: 100_000, seed: 3 });
const OTHER = styleModelBytes({ extraFloats: 100_000, seed: 4 });
const CUT_AT = 150_000;

let server: FileServer;
let catalog: Catalog;
let store: { dir: string; cleanup: () => void };

beforeAll(async () => {
  server = await startFileServer();
  const b = server.base;
  server.routes.set('/good.onnx', { body: MODEL });
  server.routes.set('/cut.onnx', { body: MODEL, cutAfter: CUT_AT, cutTimes: 1 });
  server.routes.set('/cut-norange.onnx', { body: MODEL, cutAfter: CUT_AT, cutTimes: 1, noRange: true });
  server.routes.set('/other.onnx', { body: OTHER });
  server.routes.set('/junk.onnx', { body: new TextEncoder().encode('<html>this is not a model</html>\n'.repeat(50)) });
  server.redirects.set('/moved', '/good.onnx');
  const verified = { sha256: sha(MODEL), size: MODEL.length, verified: true, checksumSource: 'test', note: undefined };
  catalog = catalogOf([
    entry({ id: 'good', urls: [`${b}/good.onnx`], ...verified }),
    entry({ id: 'cut', urls: [`${b}/cut.onnx`], ...verified }),
    entry({ id: 'cut-norange', urls: [`${b}/cut-norange.onnx`], ...verified }),
    entry({ id: 'wrong', urls: [`${b}/other.onnx`], ...verified }),
    entry({ id: 'missing', urls: [`${b}/nope.onnx`], ...verified }),
    entry({ id: 'moved', urls: [`${b}/moved`], ...verified }),
    entry({ id: 'mirror', urls: [`${b}/nope.onnx`, `${b}/good.onnx`], ...verified }),
    entry({ id: 'unverified', urls: [`${b}/good.onnx`], note: 'no checksum published upstream' }),
    entry({ id: 'junk', urls: [`${b}/junk.onnx`], note: 'no checksum published upstream' }),
    entry({ id: 'handmade', distribution: 'manual', urls: [], note: 'no download' }),
  ]);
});
afterAll(() => server.close());
beforeEach(() => {
  store = tempDir();
  clearHashCache();
  server.log.length = 0;
});
afterEach(() => store.cleanup());

const opts = (extra: Record<string, unknown> = {}) => ({ catalog, storeDir: store.dir, onWarning: () => {}, progressIntervalMs: 0, ...extra });
const file = (id: string) => path.join(store.dir, `${id}.onnx`);

describe('pullModel over HTTP (local server)', () => {
  it('downloads, verifies the SHA-256, renames into place and records the pull', async () => {
    const events: PullProgress[] = [];
    const r = await pullModel('good', opts({ onProgress: (p: PullProgress) => events.push(p) }));
    expect(r).toMatchObject({ status: 'downloaded', verified: true, size: MODEL.length, resumedFrom: 0 });
    expect(r.sha256).toBe(sha(MODEL));
    expect(Buffer.compare(readFileSync(file('good')), Buffer.from(MODEL))).toBe(0);
    expect(existsSync(file('good') + '.part')).toBe(false);
    const downloads = events.filter((e) => e.phase === 'download').map((e) => e.received);
    expect(downloads.length).toBeGreaterThan(1);
    expect([...downloads].sort((a, b) => a - b)).toEqual(downloads);
    expect(downloads.at(-1)).toBe(MODEL.length);
    expect(events.at(-1)?.phase).toBe('done');
    expect(readLocalRegistry(store.dir).models.good).toMatchObject({ origin: 'pull', sha256: sha(MODEL), verified: true });

    // A second pull finds the file and makes no request.
    const requests = server.log.length;
    expect((await pullModel('good', opts())).status).toBe('present');
    expect(server.log.length).toBe(requests);
  });

  it('resumes with a Range request after the connection is cut', async () => {
    const first = pullModel('cut', opts());
    await expect(first).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    await expect(first).rejects.toThrow(/connection|closed|terminated/i);
    const part = file('cut') + '.part';
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(CUT_AT);
    expect(existsSync(file('cut'))).toBe(false);

    const r = await pullModel('cut', opts());
    expect(r.status).toBe('downloaded');
    expect(r.resumedFrom).toBe(kept);
    expect(server.log.at(-1)).toMatchObject({ range: `bytes=${kept}-`, status: 206 });
    expect(sha(readFileSync(file('cut')))).toBe(sha(MODEL));
    expect(existsSync(part)).toBe(false);
  });

  it('starts over when the server ignores the Range header', async () => {
    await expect(pullModel('cut-norange', opts())).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    const r = await pullModel('cut-norange', opts());
    expect(server.log.at(-1)?.status).toBe(200);
    expect(r.resumedFrom).toBe(0);
    expect(sha(readFileSync(file('cut-norange')))).toBe(sha(MODEL));
  });

  it('refuses a checksum mismatch and leaves no file behind', async () => {
    const p = pullModel('wrong', opts());
    await expect(p).rejects.toMatchObject({ code: 'MODEL_CHECKSUM' });
    await expect(p).rejects.toThrow(new RegExp(sha(OTHER)));
    expect(existsSync(file('wrong'))).toBe(false);
    expect(existsSync(file('wrong') + '.part')).toBe(false);
    expect(readLocalRegistry(store.dir).models.wrong).toBeUndefined();
  });

  it('reports a 404 as DOWNLOAD_FAILED naming the status', async () => {
    await expect(pullModel('missing', opts())).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', message: expect.stringMatching(/HTTP 404/) });
    expect(existsSync(file('missing'))).toBe(false);
  });

  it('follows redirects and falls back to the next URL', async () => {
    expect((await pullModel('moved', opts())).sha256).toBe(sha(MODEL));
    const r = await pullModel('mirror', opts());
    expect(r.url).toBe(`${server.base}/good.onnx`);
    expect(server.log.some((l) => l.path === '/nope.onnx' && l.status === 404)).toBe(true);
  });

  it('downloads an entry without a published checksum, warns, and records the measured SHA-256', async () => {
    const warnings: string[] = [];
    const r = await pullModel('unverified', opts({ onWarning: (m: string) => warnings.push(m) }));
    expect(r).toMatchObject({ status: 'downloaded', verified: false, sha256: sha(MODEL) });
    expect(warnings.join('\n')).toMatch(/NO PUBLISHED CHECKSUM/);
    expect(readLocalRegistry(store.dir).models.unverified).toMatchObject({ sha256: sha(MODEL), verified: false });

    // The recorded checksum now guards the file.
    expect((await resolveModel('unverified', 'style', { catalog, storeDir: store.dir })).sha256).toBe(sha(MODEL));
    writeFileSync(file('unverified'), OTHER);
    await expect(resolveModel('unverified', 'style', { catalog, storeDir: store.dir })).rejects.toMatchObject({ code: 'MODEL_CHECKSUM' });
  });

  it('refuses an unverified download that is not an ONNX model', async () => {
    await expect(pullModel('junk', opts())).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    expect(existsSync(file('junk'))).toBe(false);
    expect(existsSync(file('junk') + '.part')).toBe(false);
  });

  it('stops with CANCELLED when aborted and keeps the partial file for a resume', async () => {
    const ac = new AbortController();
    const p = pullModel('good', opts({ signal: ac.signal, onProgress: () => ac.abort() }));
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(file('good'))).toBe(false);
  });

  it('explains unknown ids, manual entries and built-ins', async () => {
    await expect(pullModel('goood', opts())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/did you mean good/) });
    await expect(pullModel('handmade', opts())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', hint: expect.stringContaining(file('handmade')) });
  });
});

describe('pullModel locking', () => {
  it('shares one download between concurrent pulls in a process', async () => {
    const [a, b] = await Promise.all([pullModel('good', opts()), pullModel('good', opts())]);
    expect(a).toBe(b);
    expect(server.log.filter((l) => l.path === '/good.onnx').length).toBe(1);
  });

  it('refuses while another live process holds the lock, takes over a stale lock', async () => {
    mkdirSync(store.dir, { recursive: true });
    const lock = file('good') + '.part.lock';
    writeFileSync(lock, String(process.ppid));
    await expect(pullModel('good', opts())).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', message: expect.stringMatching(/Another download of good/) });
    writeFileSync(lock, '2147483646'); // no such process
    expect((await pullModel('good', opts())).status).toBe('downloaded');
    expect(existsSync(lock)).toBe(false);
  });
});
