/**
 * The daemon started in this process with a stub engine (no ORT, no ffmpeg):
 * the cheap, exact checks — rate limits, reconnect with a client id, the
 * discovery file and token reuse, the data-folder lock, HTTP job actions.
 * The real-engine, real-process tests are in test/integration/daemon/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec, ResultRecord } from '../../../shared/src/job-spec.ts';
import { STYLIZE } from '../../../shared/src/params/stylize.ts';
import type { RunContext } from '../../../daemon/src/jobs/job-runner.ts';
import { startDaemon, type RunningDaemon } from '../../../daemon/src/server/daemon.ts';
import { pairedClient, type TestClient } from '../../integration/daemon/helpers/ws-client.ts';

let root: string;
let daemons: RunningDaemon[];
let clients: TestClient[];
let release: (() => void)[];

/** Each job waits until the test releases it, then reports one frame and finishes. */
const engine = {
  runner: {
    run: (spec: JobSpec, ctx: RunContext) =>
      new Promise<ResultRecord>((resolve, reject) => {
        ctx.signal?.addEventListener('abort', () => reject(new DreamLayerError('CANCELLED')), { once: true });
        release.push(() => {
          ctx.onProgress?.({ done: 1, total: 1, fps: 1, etaSeconds: 0, stage: 'infer', frame: 0 });
          resolve({ effect: spec.effect, chain: [spec.effect], input: spec.input.path, model: null, device: 'cpu', fps: 24, fpsRational: '24/1', width: 2, height: 2, frames: { first: 0, last: 0, count: 1 }, pattern: 'frame_%06d.png', movie: null, params: {}, timing: { seconds: 0, framesPerSecond: 0 } });
        });
      }),
  },
  listEffects: () => [STYLIZE],
  availableProviders: () => ['cpu'],
  listModels: () => [{ id: 'builtin:toon' }],
};

async function start(extra: Partial<Parameters<typeof startDaemon>[0]> = {}): Promise<RunningDaemon> {
  const d = await startDaemon({ port: 0, allow: [root], configDir: path.join(root, 'cfg'), dataDir: path.join(root, 'data'), engine, panelDir: null, ...extra });
  daemons.push(d);
  return d;
}
async function client(d: RunningDaemon, clientId?: string): Promise<TestClient> {
  const c = await pairedClient(d.wsUrl, d.token, clientId);
  clients.push(c);
  return c;
}
const job = () => ({ effect: 'stylize', input: { path: path.join(root, 'in.mp4') }, output: { dir: path.join(root, 'out') } });

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-inproc-')));
  daemons = [];
  clients = [];
  release = [];
});
afterEach(async () => {
  for (const c of clients) c.close();
  for (const d of daemons) await d.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('daemon (in process, stub engine)', () => {
  it('rate-limits a flooding connection with one RATE_LIMITED error per second while others are served', async () => {
    const d = await start({ rateLimit: 5 });
    const c = await client(d);
    for (let i = 0; i < 300; i++) c.send({ type: 'ping', reqId: `p${i}` });
    await c.waitFor((m) => m.type === 'error' && m.error.code === 'RATE_LIMITED', 'RATE_LIMITED');
    const other = await client(d);
    expect((await other.request({ type: 'ping' })).type).toBe('pong');
    await new Promise((r) => setTimeout(r, 300));
    const pongs = c.messages.filter((m) => m.type === 'pong').length;
    expect(pongs).toBeLessThan(300);
    expect(c.messages.filter((m) => m.type === 'error' && m.error.code === 'RATE_LIMITED').length).toBeLessThanOrEqual(2);
  });

  it('writes the discovery file, keeps the token across restarts, and rotates it on request', async () => {
    const d1 = await start();
    const info = JSON.parse(fs.readFileSync(d1.discoveryFile, 'utf8'));
    expect(info).toMatchObject({ service: 'dreamlayer', port: d1.port, token: d1.token, pid: process.pid, url: `http://127.0.0.1:${d1.port}` });
    await d1.close();
    const d2 = await start();
    expect(d2.token).toBe(d1.token);
    await d2.close();
    const d3 = await start({ newToken: true });
    expect(d3.token).not.toBe(d1.token);
  });

  it('refuses a second daemon on the same data folder (DAEMON_RUNNING) and a busy port (PORT_IN_USE)', async () => {
    const d = await start();
    await expect(start({ configDir: path.join(root, 'cfg2') })).rejects.toMatchObject({ code: 'DAEMON_RUNNING' });
    await expect(start({ port: d.port, dataDir: path.join(root, 'data2') })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
  });

  it('re-subscribes a reconnecting client (same clientId) to its unfinished jobs', async () => {
    const d = await start();
    const c1 = await client(d, 'panel-1');
    const acc = await c1.request({ type: 'job.submit', job: job() });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    await c1.waitJob('job.started', acc.jobId);
    c1.close();
    const c2 = await client(d, 'panel-1');
    const stranger = await client(d, 'panel-2');
    release.shift()!();
    await c2.waitJob('job.done', acc.jobId);
    expect(stranger.jobMessages(acc.jobId)).toEqual([]);
  });

  it('offers job actions over HTTP for the CLI: submit, cancel, resume, remove', async () => {
    const d = await start();
    const h = (method: string, route: string, body?: unknown) =>
      fetch(`${d.url}/v1${route}`, { method, headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    const sub = await h('POST', '/jobs', { job: job() });
    expect(sub.status).toBe(201);
    const id = sub.body.job.id as string;
    expect((await h('GET', `/jobs/${id}/preview`)).body.error.code).toBe('JOB_NOT_FOUND');
    expect((await h('DELETE', `/jobs/${id}`)).status).toBe(409);
    await h('POST', `/jobs/${id}/cancel`);
    await expect.poll(async () => (await h('GET', `/jobs/${id}`)).body.job.state).toBe('cancelled');
    expect((await h('POST', `/jobs/${id}/resume`)).body.job.state).toBe('queued');
    await expect.poll(() => release.length).toBe(2);
    release[1]!();
    await expect.poll(async () => (await h('GET', `/jobs/${id}`)).body.job.state).toBe('done');
    expect((await h('DELETE', `/jobs/${id}`)).status).toBe(200);
    expect((await h('GET', `/jobs/${id}`)).status).toBe(404);
    expect((await h('GET', '/models')).body.models).toEqual([{ id: 'builtin:toon' }]);
  });

  it('refuses a job for an unknown effect, bad parameters or an unsupported format before it is queued', async () => {
    const d = await start();
    const c = await client(d);
    const codes = [];
    for (const j of [{ ...job(), effect: 'melt' }, { ...job(), params: { strength: 7 } }, { ...job(), output: { dir: path.join(root, 'o'), format: 'exr' } }]) {
      const r = await c.request({ type: 'job.submit', job: j });
      codes.push(r.type === 'error' ? r.error.code : r.type);
    }
    expect(codes).toEqual(['EFFECT_UNKNOWN', 'PARAM_INVALID', 'FORMAT_UNSUPPORTED']);
    expect(d.manager.list()).toEqual([]);
  });
});
