/**
 * `models pull`: downloads a catalog model into the store with HTTP Range resume
 * (an interrupted download continues from `<file>.part`), verifies its SHA-256
 * against the published checksum, refuses a mismatch, and renames it into place
 * atomically. Entries without a published checksum download with a loud warning,
 * are checked against their task contract, and have the measured SHA-256 recorded
 * in local.json so later runs detect a changed file.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError, isDreamLayerError } from '../../../shared/src/errors.ts';
import { type CatalogEntry, defaultCatalog } from './catalog.ts';
import { checkContract } from './check-contract.ts';
import { cachedSha256, hashFileInto, rememberSha256 } from './file-hash.ts';
import { closeIds, type ModelStoreOptions } from './resolve-model.ts';
import { catalogFilePath, ensureStoreDir, readLocalRegistry, resolveStoreDir, updateLocalRegistry } from './store.ts';

export interface PullProgress {
  id: string;
  phase: 'download' | 'verify' | 'done';
  url: string;
  /** Bytes in the partial file so far (resumed bytes included). */
  received: number;
  /** Expected total bytes, when the server or the catalog says. */
  total: number | null;
  /** Bytes that were already on disk when this run started. */
  resumedFrom: number;
  /** Average over this run. */
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface PullOptions extends ModelStoreOptions {
  onProgress?: (p: PullProgress) => void;
  /** Loud warnings (no published checksum, replaced file). Default: stderr. */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Replaces global fetch (tests, proxies). */
  fetchImpl?: typeof fetch;
  /** Download again even if a matching file is present. */
  force?: boolean;
  /** Minimum milliseconds between download progress events (default 100). */
  progressIntervalMs?: number;
}

export interface PullResult {
  id: string;
  status: 'downloaded' | 'present' | 'builtin';
  path: string | null;
  sha256: string | null;
  size: number | null;
  /** The bytes match a checksum the upstream publishes. */
  verified: boolean;
  url?: string;
  resumedFrom: number;
}

const isAbort = (e: unknown, signal?: AbortSignal) => signal?.aborted || (e instanceof Error && e.name === 'AbortError');

function cancelled(entry: CatalogEntry, part: string): DreamLayerError {
  const have = existsSync(part) ? statSync(part).size : 0;
  return new DreamLayerError('CANCELLED', {
    stage: 'download',
    message: `The download of ${entry.id} was cancelled${have ? ` after ${have} bytes` : ''}.`,
    hint: `Run \`dreamlayer models pull ${entry.id}\` again: it resumes where it stopped.`,
  });
}

function failed(entry: CatalogEntry, url: string, why: string, cause?: unknown, resumeAt?: number): DreamLayerError {
  return new DreamLayerError('DOWNLOAD_FAILED', {
    stage: 'download',
    message: `The download of ${entry.id} from ${url} failed: ${why}.`,
    hint: resumeAt ? `Run \`dreamlayer models pull ${entry.id}\` again: it resumes from byte ${resumeAt}.` : undefined,
    cause,
  });
}

function parseContentRange(v: string | null): { start: number; total: number | null } | null {
  const m = v && /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

/**
 * An exclusive lock beside the .part, so that two pulls of one model (CLI and daemon)
 * never write the same partial file. A lock left by a dead process is taken over.
 */
function lockDownload(entry: CatalogEntry, part: string): () => void {
  const lock = `${part}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      let alive = false;
      try {
        alive = pid > 0 && pid !== process.pid && process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) {
        throw new DreamLayerError('DOWNLOAD_FAILED', {
          stage: 'download',
          message: `Another download of ${entry.id} is running (process ${pid}).`,
          hint: 'Wait for it to finish; if no other dreamlayer is running, delete ' + lock + '.',
        });
      }
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  throw new DreamLayerError('DOWNLOAD_FAILED', { stage: 'download', message: `Cannot lock ${lock}.` });
}

interface Downloaded {
  sha256: string;
  md5: string | null;
  size: number;
  resumedFrom: number;
}

/** One attempt at one URL into `part`; resumes from what `part` already holds. */
async function download(entry: CatalogEntry, url: string, part: string, opts: PullOptions, allowRestart = true): Promise<Downloaded> {
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const interval = opts.progressIntervalMs ?? 100;
  let start = existsSync(part) ? statSync(part).size : 0;
  if (entry.size !== null && start > entry.size) {
    rmSync(part, { force: true });
    start = 0;
  }

  const sha = createHash('sha256');
  const md5: Hash | null = entry.md5 ? createHash('md5') : null;
  const emit = (phase: PullProgress['phase'], received: number, total: number | null, resumedFrom: number, t0: number) => {
    const secs = (performance.now() - t0) / 1000;
    const bps = secs > 0 ? (received - resumedFrom) / secs : 0;
    opts.onProgress?.({ id: entry.id, phase, url, received, total, resumedFrom, bytesPerSecond: bps, etaSeconds: total !== null && bps > 0 ? Math.max(0, (total - received) / bps) : null });
  };

  // A complete .part from an earlier run that stopped before verifying needs no request.
  if (entry.size !== null && start === entry.size) {
    await hashFileInto(sha, part);
    if (md5) await hashFileInto(md5, part);
    return { sha256: sha.digest('hex'), md5: md5?.digest('hex') ?? null, size: start, resumedFrom: start };
  }

  let res: Response;
  try {
    // identity: byte ranges and Content-Length must refer to the file itself, not a compressed form.
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'dreamlayer-models' };
    if (start > 0) headers.Range = `bytes=${start}-`;
    res = await fetchImpl(url, { headers, redirect: 'follow', signal: opts.signal });
  } catch (e) {
    if (isAbort(e, opts.signal)) throw cancelled(entry, part);
    throw failed(entry, url, `${(e as Error).message}${(e as Error).cause ? ` (${((e as Error).cause as Error).message ?? (e as Error).cause})` : ''}`, e);
  }

  if (res.status === 416 && start > 0 && allowRestart) {
    // The server cannot serve from our offset: the partial file is stale; start over once.
    await res.body?.cancel();
    rmSync(part, { force: true });
    return download(entry, url, part, opts, false);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw failed(entry, url, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  let total: number | null = entry.size;
  if (start > 0 && res.status === 206) {
    const cr = parseContentRange(res.headers.get('content-range'));
    if (!cr || cr.start !== start) {
      await res.body?.cancel();
      if (!allowRestart) throw failed(entry, url, `the server answered a resume request with range ${res.headers.get('content-range')}`);
      rmSync(part, { force: true });
      return download(entry, url, part, opts, false);
    }
    total = cr.total ?? total;
  } else {
    // 200: the whole file (the server ignored or was not asked for a range).
    start = 0;
    const len = Number(res.headers.get('content-length'));
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    if (!encoded && Number.isFinite(len) && len > 0) total = len;
  }
  if (!res.body) throw failed(entry, url, 'the response has no body');

  if (start > 0) {
    await hashFileInto(sha, part, start);
    if (md5) await hashFileInto(md5, part, start);
  }
  const fh = await open(part, start > 0 ? 'a' : 'w');
  const t0 = performance.now();
  let received = start;
  let lastEmit = 0;
  const reader = res.body.getReader();
  try {
    emit('download', received, total, start, t0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sha.update(value);
      md5?.update(value);
      await fh.write(value);
      received += value.length;
      if (total !== null && received > total) throw failed(entry, url, `the server sent more than the expected ${total} bytes`);
      const now = performance.now();
      if (now - lastEmit >= interval) {
        lastEmit = now;
        emit('download', received, total, start, t0);
      }
    }
  } catch (e) {
    await fh.close();
    if (isDreamLayerError(e)) throw e;
    if (isAbort(e, opts.signal)) throw cancelled(entry, part);
    const why = `connection lost after ${received}${total !== null ? ` of ${total}` : ''} bytes (${(e as Error).message})`;
    throw failed(entry, url, why, e, received);
  }
  await fh.close();
  emit('download', received, total, start, t0);
  if (total !== null && received < total) {
    throw failed(entry, url, `the connection closed after ${received} of ${total} bytes`, undefined, received);
  }
  return { sha256: sha.digest('hex'), md5: md5?.digest('hex') ?? null, size: received, resumedFrom: start };
}

/**
 * Downloads catalog model `id` into the store (see the module comment). Returns
 * status 'present' when a matching file is already there, 'builtin' for models
 * built in code. Throws MODEL_NOT_FOUND (unknown id, or a model with no download),
 * DOWNLOAD_FAILED (every URL failed; the .part is kept for resume), MODEL_CHECKSUM
 * (wrong bytes; the .part is deleted), CANCELLED (signal), MODEL_INVALID/MODEL_CONTRACT
 * (an unverified download that is not a usable model). Concurrent pulls of one model in
 * a process share one run (the first caller's signal and progress callback apply); another
 * process pulling the same model holds a lock beside the .part and makes this one fail.
 */
export async function pullModel(id: string, opts: PullOptions = {}): Promise<PullResult> {
  const catalog = opts.catalog ?? defaultCatalog();
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const entry = catalog.models.find((m) => m.id === id);
  if (!entry) {
    const close = closeIds(id, catalog.models.map((m) => m.id));
    throw new DreamLayerError('MODEL_NOT_FOUND', {
      stage: 'download',
      message: `The catalog has no model "${id}"${close.length ? `; did you mean ${close.join(', ')}?` : '.'}`,
      hint: 'List the models with `dreamlayer models list`.',
    });
  }
  if (entry.distribution === 'builtin') return { id, status: 'builtin', path: null, sha256: null, size: null, verified: false, resumedFrom: 0 };

  const dir = ensureStoreDir(resolveStoreDir(opts.storeDir));
  const final = catalogFilePath(dir, entry.file!);
  if (entry.distribution === 'manual') {
    throw new DreamLayerError('MODEL_NOT_FOUND', {
      stage: 'download',
      message: `Model ${id} has no download: ${entry.note ?? 'no ONNX file is published'}`,
      hint: `Place the ONNX file at ${final}, or register your own with \`dreamlayer models add FILE --task ${entry.task}\`.`,
    });
  }

  // Concurrent pulls of one file in this process share one run.
  const running = inflight.get(final);
  if (running) return running;
  const job = pullInto(entry, dir, final, warn, opts).finally(() => inflight.delete(final));
  inflight.set(final, job);
  return job;
}

const inflight = new Map<string, Promise<PullResult>>();

async function pullInto(entry: CatalogEntry, dir: string, final: string, warn: (m: string) => void, opts: PullOptions): Promise<PullResult> {
  const id = entry.id;
  const recorded = readLocalRegistry(dir).models[id];
  if (existsSync(final) && !opts.force) {
    const have = await cachedSha256(final, dir);
    const expected = entry.sha256 ?? recorded?.sha256;
    if (!expected || have === expected) {
      return { id, status: 'present', path: final, sha256: have, size: statSync(final).size, verified: !!entry.sha256, resumedFrom: 0 };
    }
    warn(`${final} does not match the checksum of ${id} (found ${have}, expected ${expected}); downloading it again.`);
  }
  if (opts.signal?.aborted) throw cancelled(entry, `${final}.part`);

  const part = `${final}.part`;
  const unlock = lockDownload(entry, part);
  try {
    return await downloadAndInstall(entry, { dir, final, part, warn }, opts);
  } finally {
    unlock();
  }
}

async function downloadAndInstall(entry: CatalogEntry, where: { dir: string; final: string; part: string; warn: (m: string) => void }, opts: PullOptions): Promise<PullResult> {
  const { dir, final, part, warn } = where;
  const id = entry.id;
  const errors: DreamLayerError[] = [];
  for (const url of entry.urls) {
    let got: Downloaded;
    try {
      got = await download(entry, url, part, opts);
    } catch (e) {
      if (isDreamLayerError(e) && e.code === 'DOWNLOAD_FAILED') {
        errors.push(e);
        continue; // next mirror; the .part stays for a resume
      }
      throw e;
    }
    opts.onProgress?.({ id, phase: 'verify', url, received: got.size, total: got.size, resumedFrom: got.resumedFrom, bytesPerSecond: 0, etaSeconds: 0 });

    const mismatch = (what: string, expected: string | number, found: string | number) => {
      rmSync(part, { force: true });
      return new DreamLayerError('MODEL_CHECKSUM', {
        stage: 'download',
        message: `The file downloaded for ${id} from ${url} does not match its published ${what} (expected ${expected}, got ${found}); it was deleted.`,
      });
    };
    if (entry.sha256 && got.sha256 !== entry.sha256) throw mismatch('SHA-256', entry.sha256, got.sha256);
    if (entry.md5 && got.md5 !== entry.md5) throw mismatch('MD5', entry.md5, got.md5 ?? '');
    if (entry.size !== null && got.size !== entry.size) throw mismatch('size', entry.size, got.size);
    if (!entry.sha256) {
      warn(
        `NO PUBLISHED CHECKSUM for ${id}: the download from ${url} cannot be verified (${entry.note ?? 'see the catalog'}). ` +
          `Recorded its SHA-256 ${got.sha256} in ${path.join(dir, 'local.json')}; later runs will refuse a changed file.`,
      );
      try {
        checkContract(part, entry.task, entry);
      } catch (e) {
        await rm(part, { force: true });
        throw e;
      }
    }
    if (process.platform === 'win32' && existsSync(final)) rmSync(final, { force: true });
    await rename(part, final);
    rememberSha256(final, got.sha256, dir);
    updateLocalRegistry(dir, (reg) => {
      reg.models[id] = { origin: 'pull', task: entry.task, file: entry.file!, sha256: got.sha256, size: got.size, at: new Date().toISOString(), verified: !!entry.sha256, from: url };
    });
    opts.onProgress?.({ id, phase: 'done', url, received: got.size, total: got.size, resumedFrom: got.resumedFrom, bytesPerSecond: 0, etaSeconds: 0 });
    return { id, status: 'downloaded', path: final, sha256: got.sha256, size: got.size, verified: !!entry.sha256, url, resumedFrom: got.resumedFrom };
  }
  if (errors.length === 1) throw errors[0];
  throw new DreamLayerError('DOWNLOAD_FAILED', {
    stage: 'download',
    message: `Every download of ${id} failed: ${errors.map((e) => e.message).join(' ')}`,
  });
}
