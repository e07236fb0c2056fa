/**
 * Security of the daemon as a real child process: pairing token (HTTP and WS),
 * Origin and Host guards, path confinement (outside, `..`, symlinks), size and
 * rate limits, 1,000 malformed or random messages — each refused with its
 * error — and afterwards the daemon still runs a valid job.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryEncoding, BinaryKind, encodeBinaryFrame } from '../../../shared/src/protocol/binary-frame.ts';
import { PROTOCOL_VERSION, type DaemonMessageOf } from '../../../shared/src/protocol/messages.ts';
import { SHARED, sharedData } from '../../helpers/shared-path.ts';
import { makeTempRoot, spawnDaemon, type DaemonProcess } from './helpers/daemon-process.ts';
import { TestClient, pairedClient } from './helpers/ws-client.ts';

const CLIP = sharedData('video/person-walk_768x432_10fps.mp4');

let root: string;
let allowed: string;
let outside: string;
let d: DaemonProcess;
const open: TestClient[] = [];

function rawHttp(opts: { path: string; method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: d.port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers, setHost: !opts.headers?.Host }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const auth = () => ({ Authorization: `Bearer ${d.token}` });
const code = (body: string) => (JSON.parse(body) as { error?: { code: string } }).error?.code;

async function connect(headers: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.connect(d.wsUrl, headers);
  open.push(c);
  return c;
}

function validJob(out: string, extra: Record<string, unknown> = {}) {
  return { effect: 'stylize', params: { width: 96 }, device: 'cpu', input: { path: CLIP, frames: { first: 0, last: 2 } }, output: { dir: out, format: 'png' }, ...extra };
}

beforeAll(async () => {
  root = makeTempRoot('dl-sec-');
  allowed = path.join(root, 'allowed');
  outside = path.join(root, 'outside');
  fs.mkdirSync(allowed);
  fs.mkdirSync(outside);
  fs.copyFileSync(CLIP, path.join(outside, 'secret.mp4'));
  fs.symlinkSync(outside, path.join(allowed, 'link-to-outside'));
  fs.symlinkSync(path.join(outside, 'secret.mp4'), path.join(allowed, 'clip-link.mp4'));
  fs.writeFileSync(path.join(outside, 'model.onnx'), 'not really a model');
  d = await spawnDaemon({ root, allow: [allowed, SHARED], args: ['--rate-limit', '1000'] });
});

afterAll(async () => {
  for (const c of open) c.close();
  await d?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('pairing token', () => {
  it('HTTP: no token and a wrong token get 401 AUTH_FAILED; health without a token reveals nothing', async () => {
    const none = await rawHttp({ path: '/v1/jobs' });
    expect([none.status, code(none.body)]).toEqual([401, 'AUTH_FAILED']);
    const wrong = await rawHttp({ path: '/v1/jobs', headers: { Authorization: `Bearer ${'0'.repeat(64)}` } });
    expect([wrong.status, code(wrong.body)]).toEqual([401, 'AUTH_FAILED']);
    const prefix = await rawHttp({ path: '/v1/jobs', headers: { Authorization: `Bearer ${d.token.slice(0, 63)}` } });
    expect(prefix.status).toBe(401);
    const longer = await rawHttp({ path: '/v1/jobs', headers: { Authorization: `Bearer ${d.token}0` } });
    expect(longer.status).toBe(401);
    const health = await rawHttp({ path: '/v1/health' });
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const ok = await rawHttp({ path: '/v1/jobs', headers: auth() });
    expect(ok.status).toBe(200);
  });

  it('WS: hello without a token, with a wrong one, or any message before hello closes with 4001 AUTH_FAILED', async () => {
    const cases: unknown[] = [
      { type: 'hello', protocol: PROTOCOL_VERSION, client: { name: 't', version: '1' } },
      { type: 'hello', token: '', protocol: PROTOCOL_VERSION, client: { name: 't', version: '1' } },
      { type: 'hello', token: 'f'.repeat(64), protocol: PROTOCOL_VERSION, client: { name: 't', version: '1' } },
      { type: 'job.list' },
      'not json at all',
    ];
    for (const msg of cases) {
      const c = await connect();
      c.send(msg);
      const closed = await c.closed;
      expect(closed, JSON.stringify(msg)).toEqual({ code: 4001, reason: 'AUTH_FAILED' });
      expect(c.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'AUTH_FAILED' } });
    }
    const old = await connect();
    old.send({ type: 'hello', token: d.token, protocol: PROTOCOL_VERSION + 1, client: { name: 't', version: '1' } });
    expect(await old.closed).toEqual({ code: 4002, reason: 'PROTOCOL_VERSION' });
  });

  it('keeps the token in a discovery file only this user can read', () => {
    if (process.platform === 'win32') return;
    expect(fs.statSync(path.join(d.cfgDir, 'daemon.json')).mode & 0o777).toBe(0o600);
  });
});

describe('origin and host', () => {
  it('refuses foreign web origins (HTTP 403, WS close 4003 ORIGIN_REFUSED) and accepts the panel origins', async () => {
    for (const origin of ['https://evil.example', `http://127.0.0.1:${d.port + 1}`, 'http://localhost', 'chrome-extension://abc', 'uxp://bad origin']) {
      const r = await rawHttp({ path: '/v1/jobs', headers: { ...auth(), Origin: origin } });
      expect([r.status, code(r.body)], origin).toEqual([403, 'ORIGIN_REFUSED']);
      const c = await connect({ Origin: origin });
      expect(await c.closed, origin).toEqual({ code: 4003, reason: 'ORIGIN_REFUSED' });
      expect(c.messages[0]).toMatchObject({ type: 'error', error: { code: 'ORIGIN_REFUSED' } });
    }
    for (const origin of [`http://127.0.0.1:${d.port}`, `http://localhost:${d.port}`, 'file://', 'null', 'uxp://com.dreamlayer.panel']) {
      const c = await connect({ Origin: origin });
      await c.hello(d.token);
      const r = await rawHttp({ path: '/v1/jobs', headers: { ...auth(), Origin: origin } });
      expect(r.status, origin).toBe(200);
    }
    // CEP panels need CORS for their opaque origin; a preflight needs no token.
    const pre = await rawHttp({ path: '/v1/jobs', method: 'OPTIONS', headers: { Origin: 'file://', 'Access-Control-Request-Method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('file://');
  });

  it('refuses a non-loopback Host (DNS rebinding): HTTP 403 and WS close 4003 HOST_REFUSED', async () => {
    for (const host of ['evil.example', `evil.example:${d.port}`, `127.0.0.1:${d.port + 1}`, `192.168.1.10:${d.port}`, `localhost.evil.example:${d.port}`]) {
      const r = await rawHttp({ path: '/v1/health', headers: { ...auth(), Host: host } });
      expect([r.status, code(r.body)], host).toEqual([403, 'HOST_REFUSED']);
    }
    const c = await connect({ Host: `evil.example:${d.port}` });
    expect(await c.closed).toEqual({ code: 4003, reason: 'HOST_REFUSED' });
    for (const host of [`127.0.0.1:${d.port}`, `localhost:${d.port}`, `[::1]:${d.port}`]) {
      const r = await rawHttp({ path: '/v1/health', headers: { Host: host } });
      expect(r.status, host).toBe(200);
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const ip = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!ip) return;
    const err = await new Promise<string>((resolve) => {
      const req = http.request({ host: ip, port: d.port, path: '/v1/health', timeout: 3000 }, () => resolve('connected'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.end();
    });
    expect(err).not.toBe('connected');
  });
});

describe('path confinement', () => {
  it('refuses inputs, outputs and models outside the allowed folders, through `..` and through symlinks', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    open.push(c);
    const good = path.join(allowed, 'out');
    const cases: [string, Record<string, unknown>][] = [
      ['input outside', validJob(good, { input: { path: path.join(outside, 'secret.mp4') } })],
      ['system file', validJob(good, { input: { path: '/etc/hosts' } })],
      ['relative input', validJob(good, { input: { path: 'secret.mp4' } })],
      ['output outside', validJob(path.join(outside, 'out'))],
      ['output via ..', validJob(path.join(allowed, '..', 'outside', 'out'))],
      ['input via ..', validJob(good, { input: { path: `${allowed}/../outside/secret.mp4` } })],
      ['output under a symlinked folder', validJob(path.join(allowed, 'link-to-outside', 'out'))],
      ['input through a symlinked folder', validJob(good, { input: { path: path.join(allowed, 'link-to-outside', 'secret.mp4') } })],
      ['input that is a symlink to outside', validJob(good, { input: { path: path.join(allowed, 'clip-link.mp4') } })],
      ['model outside', validJob(good, { model: path.join(outside, 'model.onnx') })],
      ['model via ..', validJob(good, { model: `${allowed}/../outside/model.onnx` })],
      ['NUL in path', validJob(`${good}\u0000x`)],
    ];
    for (const [what, job] of cases) {
      const r = await c.request({ type: 'job.submit', job });
      expect(r.type === 'error' && r.error.code, what).toBe('PATH_NOT_ALLOWED');
    }
    // Same over HTTP.
    const h = await rawHttp({ path: '/v1/jobs', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ job: validJob(path.join(allowed, 'link-to-outside', 'x')) }) });
    expect([h.status, code(h.body)]).toEqual([403, 'PATH_NOT_ALLOWED']);
    expect(fs.readdirSync(outside).sort()).toEqual(['model.onnx', 'secret.mp4']);
    expect(fs.readdirSync(path.join(d.dataDir, 'jobs'))).toEqual([]);
  });
});

describe('size limits', () => {
  it('answers an oversized JSON message with MESSAGE_TOO_LARGE and closes on a binary message over 64 MiB (1009)', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    open.push(c);
    // Too large to be parsed, so the error cannot echo a reqId.
    c.send({ type: 'ping', reqId: 'big', pad: 'x'.repeat(300 * 1024) });
    await c.waitFor((m) => m.type === 'error' && m.error.code === 'MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE');
    expect((await c.request({ type: 'ping' })).type).toBe('pong');
    const h = await rawHttp({ path: '/v1/jobs', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) });
    expect([h.status, code(h.body)]).toEqual([413, 'MESSAGE_TOO_LARGE']);

    // A binary frame announcing 64 MiB + 1: the daemon refuses it from the frame header alone (close 1009),
    // so the test writes just that header (FIN+binary, masked, 64-bit length, mask key) on the raw socket.
    const c2 = await pairedClient(d.wsUrl, d.token);
    open.push(c2);
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(64 * 1024 * 1024 + 1), 2);
    (c2.ws as unknown as { _socket: import('node:net').Socket })._socket.write(header);
    expect((await c2.closed).code).toBe(1009);
    expect((await pairedClient(d.wsUrl, d.token).then((x) => (open.push(x), x.request({ type: 'ping' })))).type).toBe('pong');
  });
});

/** 1,000 messages no client should send: each must get an `error`, none may hurt the daemon. */
function badMessages(uploadId: string): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  const fixed: unknown[] = [
    null, 42, 'str', [], [1, 2], {}, { type: 7 }, { type: 'nope' }, { type: '__proto__' }, { type: 'constructor' },
    { type: 'job.submit' }, { type: 'job.submit', job: {} }, { type: 'job.submit', job: { effect: 'stylize' } },
    { type: 'job.submit', job: validJob(path.join(allowed, 'o'), { effect: 'no-such-effect' }) },
    { type: 'job.submit', job: validJob(path.join(allowed, 'o'), { params: { width: -5 } }) },
    { type: 'job.submit', job: validJob(path.join(allowed, 'o'), { params: { bogus: 1 } }) },
    { type: 'job.submit', job: validJob(path.join(allowed, 'o'), { device: 'quantum' }) },
    { type: 'job.submit', job: { ...validJob(path.join(allowed, 'o')), input: { uploadId: 'missing-upload' } } },
    { type: 'job.cancel', jobId: '../../etc' }, { type: 'job.cancel', jobId: 'j-unknown' }, { type: 'job.get', jobId: 123 },
    { type: 'job.resume', jobId: 'j-nope' }, { type: 'frames.begin', width: 0, height: 10, count: 1, fps: 24 },
    { type: 'frames.begin', width: 10, height: 10, count: 1e9, fps: 24 }, { type: 'hello', token: d.token, protocol: 1, client: { name: 'x', version: '1' } },
    JSON.parse('{"__proto__":{"polluted":true},"type":"ping","reqId":{"x":1}}'), { type: 'ping', reqId: 'x'.repeat(100) },
  ];
  for (const f of fixed) out.push(JSON.stringify(f));
  out.push('{', '{"type":', '\u0000\u0001', '[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]', '{"type":"job.list"'.repeat(100), ' '.repeat(1000), '"\\ud800"');
  out.push(Buffer.from([]), Buffer.from([0xd1]), Buffer.from([0xd1, 9, 9, 9, 0, 0, 0, 0, 65]));
  out.push(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG, id: 'abc', frame: 0 }, new Uint8Array(4))));
  out.push(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: 'nope', frame: 0 }, new Uint8Array(16))));
  out.push(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: uploadId, frame: 0 }, new Uint8Array(15))));
  out.push(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: uploadId, frame: 99 }, new Uint8Array(16))));
  out.push(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.PNG, id: uploadId, frame: 0 }, new Uint8Array(16))));
  // The rest: random bytes, random text, and valid JSON objects with random fields and known types.
  const types = ['hello', 'job.submit', 'job.cancel', 'job.get', 'job.list', 'frames.begin', 'frames.abort', 'job.subscribe', 'models.list', 'ping'];
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const randValue = (depth = 0): unknown => {
    switch (rnd(depth > 2 ? 5 : 7)) {
      case 0: return rnd(2) ? -rnd(1e9) : Number.MAX_SAFE_INTEGER;
      case 1: return randomBytes(rnd(20)).toString('base64');
      case 2: return null;
      case 3: return rnd(2) === 1;
      case 4: return '../'.repeat(rnd(8)) + 'etc/passwd';
      case 5: return Array.from({ length: rnd(4) }, () => randValue(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rnd(4) }, () => [['job', 'input', 'path', 'jobId', 'token', 'width', 'x'][rnd(7)]!, randValue(depth + 1)]));
    }
  };
  while (out.length < 1000) {
    const k = rnd(3);
    if (k === 0) out.push(randomBytes(1 + rnd(200)));
    else if (k === 1) out.push(randomBytes(1 + rnd(100)).toString('latin1'));
    else {
      const t = types[rnd(types.length)]!;
      // Valid JSON with a known type but fields that cannot pass the schema (jobId/width etc. are random junk).
      const msg: Record<string, unknown> = { type: t, jobId: randValue(), job: randValue(), width: randValue(), token: 5 };
      if (t === 'job.list' || t === 'models.list' || t === 'ping') msg.reqId = { bad: true };
      out.push(JSON.stringify(msg));
    }
  }
  return out;
}

describe('malformed and random messages', () => {
  it('answers each of 1,000 bad messages with an error, then still runs a valid job', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    open.push(c);
    const begin = await c.request({ type: 'frames.begin', uploadId: 'fuzz-upload', width: 2, height: 2, count: 3, fps: 24, encoding: 'rgba8' });
    expect(begin.type).toBe('frames.ready');
    const bad = badMessages('fuzz-upload');
    expect(bad).toHaveLength(1000);
    const before = c.messages.length;
    for (const m of bad) {
      if (typeof m === 'string') c.send(m);
      else c.sendBinary(m);
    }
    await c.waitFor(() => c.messages.length - before >= 1000, '1000 replies', 60_000);
    const replies = c.messages.slice(before);
    const nonErrors = replies.filter((m) => m.type !== 'error');
    expect(nonErrors).toEqual([]);
    const codes = new Set(replies.map((m) => (m as DaemonMessageOf<'error'>).error.code));
    expect([...codes].every((x) => ['MESSAGE_INVALID', 'EFFECT_UNKNOWN', 'PARAM_INVALID', 'JOB_NOT_FOUND', 'UPLOAD_INCOMPLETE'].includes(x)), [...codes].join()).toBe(true);
    expect(c.invalid).toEqual([]);
    expect(d.child.exitCode).toBeNull();

    // The same connection and the daemon still work: a valid job runs to the end.
    const acc = await c.request({ type: 'job.submit', job: validJob(path.join(allowed, 'after-fuzz')) });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    const done = await c.waitJob('job.done', acc.jobId, 90_000);
    expect(done.outputs.frames.count).toBe(3);
    expect(fs.readdirSync(path.join(allowed, 'after-fuzz')).filter((n) => n.endsWith('.png'))).toHaveLength(3);
  }, 120_000);
});

describe('HTTP odd requests', () => {
  it('answers unknown routes, traversal ids and bad JSON with errors, not crashes', async () => {
    const trav = await rawHttp({ path: '/v1/jobs/..%2F..%2Fetc%2Fpasswd', headers: auth() });
    expect([trav.status, code(trav.body)]).toEqual([404, 'JOB_NOT_FOUND']);
    const unknown = await rawHttp({ path: '/v1/nope', headers: auth() });
    expect(code(unknown.body)).toBe('MESSAGE_INVALID');
    const badJson = await rawHttp({ path: '/v1/jobs', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{"job":' });
    expect([badJson.status, code(badJson.body)]).toEqual([400, 'MESSAGE_INVALID']);
    const badJob = await rawHttp({ path: '/v1/jobs', method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: '{"job":{"effect":1}}' });
    expect([badJob.status, code(badJob.body)]).toEqual([400, 'MESSAGE_INVALID']);
    expect((await rawHttp({ path: '/v1/health', headers: auth() })).status).toBe(200);
  });
});

void WebSocket;
