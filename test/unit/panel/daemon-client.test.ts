import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';
import { DaemonClient, DaemonRequestError, type ConnectionState, type WebSocketCtor } from '../../../panel/src/client/daemon-client.ts';
import { BinaryEncoding, BinaryKind, decodeBinaryFrame, encodeBinaryFrame, PROTOCOL_VERSION, type JobRecord } from '../../../shared/src/protocol/index.ts';
import { STYLIZE } from '../../../shared/src/params/stylize.ts';
import { JobController } from '../../../panel/src/ui/job-controller.ts';
import { defaultSettings } from '../../../panel/src/ui/settings.ts';
import { SimulatedHost } from '../../../panel/src/host/simulated-host.ts';

type Msg = Record<string, unknown> & { type: string; reqId?: string };

/** A scripted stand-in for the daemon's /v1/ws: tests decide every reply. */
class ScriptedDaemon {
  readonly wss: WebSocketServer;
  readonly received: Msg[] = [];
  readonly binaries: Buffer[] = [];
  sockets: WebSocket[] = [];
  token = 'good-token';
  onMessage: (ws: WebSocket, m: Msg) => void = () => {};
  onBinary: (ws: WebSocket, b: Buffer) => void = () => {};
  readonly listening: Promise<void>;

  constructor() {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    this.listening = new Promise((resolve) => this.wss.once('listening', () => resolve()));
    this.wss.on('connection', (ws) => {
      this.sockets.push(ws);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
        if (isBinary) return void (this.binaries.push(buf), this.onBinary(ws, buf));
        const m = JSON.parse(buf.toString('utf8')) as Msg;
        this.received.push(m);
        if (m.type === 'hello') {
          if (m.token !== this.token) {
            ws.send(JSON.stringify({ type: 'error', error: { code: 'AUTH_FAILED', message: 'The pairing token is missing or wrong.', hint: 'Copy the token.' } }));
            return void ws.close(4001, 'AUTH_FAILED');
          }
          const clientId = (m.clientId as string) ?? 'c-1';
          return void ws.send(JSON.stringify({ type: 'welcome', reqId: m.reqId, protocol: PROTOCOL_VERSION, daemon: { name: 'dreamlayer', version: '9.9.9', pid: 1 }, clientId, providers: ['cpu'], effects: [STYLIZE], limits: { maxJsonBytes: 1, maxBinaryBytes: 1, messagesPerSecond: 1 } }));
        }
        this.onMessage(ws, m);
      });
    });
  }
  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v1/ws`;
  }
  send(ws: WebSocket, m: Msg): void {
    ws.send(JSON.stringify(m));
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

const daemons: ScriptedDaemon[] = [];
const clients: DaemonClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.stop();
  for (const d of daemons.splice(0)) await d.close();
});

async function setup(token: string | null = 'good-token', clientId?: string) {
  const d = new ScriptedDaemon();
  await d.listening;
  daemons.push(d);
  const c = new DaemonClient({ WebSocket: WebSocket as unknown as WebSocketCtor, client: { name: 'test', version: '0' }, clientId, retryMinMs: 30, retryMaxMs: 60, resolveEndpoint: async () => ({ url: d.url, token }) });
  clients.push(c);
  return { d, c };
}

function until(c: DaemonClient, want: ConnectionState): Promise<void> {
  return new Promise((resolve) => {
    if (c.state === want) return resolve();
    const off = c.onState((s) => {
      if (s === want) {
        off();
        resolve();
      }
    });
  });
}

const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('DaemonClient', () => {
  it('pairs with hello (token, protocol, client id) and matches replies by reqId', async () => {
    const { d, c } = await setup('good-token', 'panel-1');
    d.onMessage = (ws, m) => {
      if (m.type === 'job.list') d.send(ws, { type: 'job.listed', reqId: m.reqId, jobs: [] });
      if (m.type === 'job.get') d.send(ws, { type: 'error', reqId: m.reqId, error: { code: 'JOB_NOT_FOUND', message: 'No job x.', hint: 'List jobs.' } });
    };
    c.start();
    await until(c, 'connected');
    expect(d.received[0]).toMatchObject({ type: 'hello', token: 'good-token', protocol: PROTOCOL_VERSION, clientId: 'panel-1', client: { name: 'test' } });
    expect(c.welcome?.daemon.version).toBe('9.9.9');
    await expect(c.request({ type: 'job.list' }, 'job.listed')).resolves.toMatchObject({ jobs: [] });
    const err = await c.request({ type: 'job.get', jobId: 'x' }, 'job.info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonRequestError);
    expect((err as DaemonRequestError).payload).toMatchObject({ code: 'JOB_NOT_FOUND', hint: 'List jobs.' });
  });

  it('stops on a refused token (no retry loop) and says why; a new token reconnects', async () => {
    let token = 'wrong';
    const d = new ScriptedDaemon();
    daemons.push(d);
    await d.listening;
    const c = new DaemonClient({ WebSocket: WebSocket as unknown as WebSocketCtor, client: { name: 't', version: '0' }, retryMinMs: 20, resolveEndpoint: async () => ({ url: d.url, token }) });
    clients.push(c);
    c.start();
    await until(c, 'auth-failed');
    expect(c.lastError).toMatchObject({ code: 'AUTH_FAILED', message: 'The pairing token is missing or wrong.' });
    await new Promise((r) => setTimeout(r, 150));
    expect(d.received.filter((m) => m.type === 'hello')).toHaveLength(1);
    token = 'good-token';
    c.reconnect();
    await until(c, 'connected');
  });

  it('asks for a token when none is known', async () => {
    const { c } = await setup(null);
    c.start();
    await until(c, 'needs-token');
  });

  it('reconnects by itself with the same client id after the connection drops', async () => {
    const { d, c } = await setup('good-token', 'panel-7');
    const states: ConnectionState[] = [];
    c.onState((s) => states.push(s));
    c.start();
    await until(c, 'connected');
    d.sockets[0]!.terminate();
    await until(c, 'disconnected');
    expect(c.lastError?.message).toMatch(/not reachable/);
    await until(c, 'connected');
    const hellos = d.received.filter((m) => m.type === 'hello');
    expect(hellos.map((h) => h.clientId)).toEqual(['panel-7', 'panel-7']);
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('delivers binary previews and paces frame uploads on acks', async () => {
    const { d, c } = await setup();
    let outstandingMax = 0;
    let acked = 0;
    d.onMessage = (ws, m) => {
      if (m.type === 'frames.begin') d.send(ws, { type: 'frames.ready', reqId: m.reqId, uploadId: 'up1', path: '/u/up1/frame_%06d.png', count: m.count as number });
    };
    d.onBinary = (ws, b) => {
      const f = decodeBinaryFrame(new Uint8Array(b));
      if (typeof f === 'string') throw new Error(f);
      outstandingMax = Math.max(outstandingMax, d.binaries.length - acked);
      expect(f).toMatchObject({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: 'up1' });
      expect(f.payload.byteLength).toBe(4 * 2 * 4);
      // Ack slowly, so an unpaced client would run ahead.
      setTimeout(() => {
        acked += 1;
        d.send(ws, { type: 'frames.ack', uploadId: 'up1', index: f.frame, received: acked, count: 10 });
        if (acked === 10) d.send(ws, { type: 'frames.complete', uploadId: 'up1', path: '/u/up1/frame_%06d.png', count: 10 });
      }, 5);
    };
    const previews: number[] = [];
    c.onPreview((f) => previews.push(f.frame));
    c.start();
    await until(c, 'connected');
    d.sockets[0]!.send(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG, id: 'job1', frame: 42 }, new Uint8Array([0xff, 0xd8, 0xff]))));
    async function* frames() {
      for (let i = 0; i < 10; i++) yield { width: 4, height: 2, rgba: new Uint8Array(32).fill(i) };
    }
    const up = await c.uploadFrames(frames(), { width: 4, height: 2, count: 10, fps: 24 }, undefined, 3);
    expect(up).toEqual({ uploadId: 'up1', path: '/u/up1/frame_%06d.png' });
    expect(d.binaries).toHaveLength(10);
    expect(outstandingMax).toBeLessThanOrEqual(3);
    expect(previews).toEqual([42]);
  });
});

describe('JobController with the simulated host', () => {
  function record(id: string, dir: string, state: JobRecord['state']): JobRecord {
    return {
      id,
      state,
      spec: { effect: 'stylize', params: {}, device: 'auto', input: { path: '/m/a.mp4', frames: { first: 0, last: 2 } }, output: { dir, format: 'png' }, then: [] },
      owner: 'panel-1',
      uploadId: null,
      createdAt: '2025-01-01T00:00:00Z',
      updatedAt: '2025-01-01T00:00:00Z',
      startedAt: null,
      finishedAt: null,
      attempts: 1,
      progress: { done: 3, total: 3, fps: 1, etaSeconds: 0, stage: 'done', frame: 2 },
      result: state === 'done' ? { effect: 'stylize', chain: ['stylize'], input: '/m/a.mp4', model: null, device: 'cpu', fps: 24, fpsRational: '24/1', width: 64, height: 36, frames: { first: 0, last: 2, count: 3 }, pattern: 'frame_%06d.png', movie: null, params: {}, timing: { seconds: 1, framesPerSecond: 3 } } : null,
      error: null,
      log: null,
    };
  }

  it('submits the selected layer, follows progress and previews, imports above the source — also when the job finished while disconnected', async () => {
    const { d, c } = await setup('good-token', 'panel-1');
    const host = new SimulatedHost([{ name: 'clip', path: '/m/a.mp4', kind: 'footage', firstFrame: 0, lastFrame: 2, fps: 24, width: 64, height: 36 }]);
    const settings = defaultSettings();
    const ctl = new JobController({ client: c, host, settings, save: () => {}, now: () => new Date(2025, 0, 1, 12, 0, 0) });
    let submitted: Msg | null = null;
    let finishedWhileAway = false;
    d.onMessage = (ws, m) => {
      if (m.type === 'job.list') d.send(ws, { type: 'job.listed', reqId: m.reqId, jobs: [] });
      if (m.type === 'job.submit') {
        submitted = m;
        const job = m.job as { output: { dir: string } };
        d.send(ws, { type: 'job.accepted', reqId: m.reqId, jobId: 'j1', position: 0, job: { id: 'j1', state: 'queued', effect: 'stylize', input: '/m/a.mp4', output: job.output.dir, createdAt: 'x', updatedAt: 'x', progress: null, error: null } });
        d.send(ws, { type: 'job.started', jobId: 'j1', resumed: false, attempt: 1 });
        d.send(ws, { type: 'job.progress', jobId: 'j1', done: 1, total: 3, fps: 2, etaSeconds: 1, stage: 'infer', frame: 0 });
        ws.send(Buffer.from(encodeBinaryFrame({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG, id: 'j1', frame: 0 }, new Uint8Array([1, 2, 3]))));
      }
      if (m.type === 'job.get') d.send(ws, { type: 'job.info', reqId: m.reqId, job: record('j1', (submitted!.job as { output: { dir: string } }).output.dir, finishedWhileAway ? 'done' : 'running') });
    };
    c.start();
    await until(c, 'connected');
    await ctl.run({ effect: 'stylize', params: { strength: 1 }, model: 'file:/models/candy.onnx', format: 'png', device: 'auto', outputRoot: '/out' });
    expect(submitted!.job).toMatchObject({ effect: 'stylize', model: '/models/candy.onnx', input: { path: '/m/a.mp4', frames: { first: 0, last: 2 } }, output: { dir: '/out/clip-stylize-20250101-120000', format: 'png' } });
    await waitFor(() => ctl.active?.progress?.done === 1 && !!ctl.active.preview, 'progress and preview');
    expect(ctl.active!.preview).toBe('data:image/jpeg;base64,AQID');
    expect(settings.jobs.map((j) => j.jobId)).toEqual(['j1']);

    // The daemon goes away; the job finishes meanwhile; the panel reconnects and imports from the record.
    finishedWhileAway = true;
    d.sockets[d.sockets.length - 1]!.terminate();
    await waitFor(() => /stopped answering/.test(ctl.active?.note ?? ''), 'lost-connection note');
    await waitFor(() => ctl.active?.phase === 'done', 'import after reconnect');
    expect(host.layers.map((l) => l.name)).toEqual(['clip – stylize', 'clip']);
    expect(host.layers[0]!.path).toBe('/out/clip-stylize-20250101-120000/frame_000000.png');
    expect(settings.jobs[0]!.imported).toBe(true);
  });

  it('says plainly when nothing is selected, and when a layer has no file and no results folder', async () => {
    const { c } = await setup();
    const host = new SimulatedHost([]);
    const ctl = new JobController({ client: c, host, settings: defaultSettings(), save: () => {} });
    await ctl.run({ effect: 'stylize', params: {}, model: '', format: 'png', device: 'auto', outputRoot: '' });
    expect(ctl.notice).toMatchObject({ message: 'No layer is selected in the timeline.' });
    host.addLayer({ name: 'Solid', path: null, kind: 'solid', firstFrame: 0, lastFrame: 1, fps: 24, width: 8, height: 8 });
    await ctl.run({ effect: 'stylize', params: {}, model: '', format: 'png', device: 'auto', outputRoot: '' });
    expect(ctl.active).toMatchObject({ phase: 'failed', error: { hint: expect.stringContaining('results folder') } });
  });
});
