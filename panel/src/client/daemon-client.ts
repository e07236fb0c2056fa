/**
 * The panel's connection to the daemon: one WebSocket to `/v1/ws`, `hello`
 * with the pairing token, request/reply by `reqId`, job events, binary
 * previews, frames uploads paced on acks, and reconnection on its own (UXP
 * fires no hide/show events we could rely on, so a timer does it).
 *
 * Works with any WHATWG-style WebSocket constructor (browser, UXP, CEP, or
 * the `ws` package in tests).
 */
import {
  BinaryEncoding,
  BinaryKind,
  PROTOCOL_VERSION,
  decodeBinaryFrame,
  encodeBinaryFrame,
  parseDaemonMessage,
  type BinaryFrame,
  type ClientMessageInput,
  type DaemonMessage,
  type DaemonMessageOf,
} from '../../../shared/src/protocol/index.ts';
import type { ErrorPayload } from '../../../shared/src/errors.ts';
import type { RgbaFrame } from '../host/host-adapter.ts';

/** The subset of the WebSocket API the client uses. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export type ConnectionState =
  /** Not started, or stopped. */
  | 'idle'
  /** Opening the socket / waiting for welcome. */
  | 'connecting'
  | 'connected'
  /** The daemon cannot be reached; retrying. */
  | 'disconnected'
  /** No token known yet: the panel must ask for it. */
  | 'needs-token'
  /** The daemon refused the token; waits for a new one. */
  | 'auth-failed'
  /** The daemon speaks another protocol version; waits. */
  | 'incompatible';

/** Where the daemon is and the token to pair with; re-resolved before every connection attempt. */
export interface Endpoint {
  /** ws://127.0.0.1:PORT/v1/ws */
  url: string;
  token: string | null;
}

export interface DaemonClientOptions {
  resolveEndpoint: () => Promise<Endpoint>;
  WebSocket: WebSocketCtor;
  client: { name: string; version: string };
  /** Stable id: reconnecting with it re-subscribes to the jobs this panel submitted. */
  clientId?: string;
  /** Reconnect delays (ms): first, then ×1.6 up to max. */
  retryMinMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
}

/** An error the daemon (or the connection) reported for a request. */
export class DaemonRequestError extends Error {
  readonly payload: ErrorPayload;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'DaemonRequestError';
    this.payload = payload;
  }
}

type Listener<T> = (v: T) => void;

interface Pending {
  resolve: (m: DaemonMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

/** Close codes the daemon uses for pairing failures (daemon/src/server/ws-hub.ts). */
export const CLOSE_AUTH_FAILED = 4001;
export const CLOSE_PROTOCOL_VERSION = 4002;

export class DaemonClient {
  state: ConnectionState = 'idle';
  welcome: DaemonMessageOf<'welcome'> | null = null;
  /** Why the last attempt failed, in the daemon's words when it gave some. */
  lastError: ErrorPayload | null = null;
  /** The endpoint of the current / last connection. */
  endpoint: Endpoint | null = null;
  clientId: string | undefined;

  private ws: WebSocketLike | null = null;
  private running = false;
  private retryMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();
  private readonly messageListeners = new Set<Listener<DaemonMessage>>();
  private readonly previewListeners = new Set<Listener<BinaryFrame>>();
  private readonly opts: Required<Omit<DaemonClientOptions, 'clientId'>>;

  constructor(opts: DaemonClientOptions) {
    // Attempts go to loopback and fail fast, so retrying every 2 s at most costs nothing and brings the panel back quickly.
    this.opts = { retryMinMs: 400, retryMaxMs: 2000, requestTimeoutMs: 20_000, ...opts };
    this.clientId = opts.clientId;
    this.retryMs = this.opts.retryMinMs;
  }

  onState(fn: Listener<ConnectionState>): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }
  onMessage(fn: Listener<DaemonMessage>): () => void {
    this.messageListeners.add(fn);
    return () => this.messageListeners.delete(fn);
  }
  onPreview(fn: Listener<BinaryFrame>): () => void {
    this.previewListeners.add(fn);
    return () => this.previewListeners.delete(fn);
  }

  /** Starts connecting (and reconnecting whenever the connection drops). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** Closes the connection and stops reconnecting. */
  stop(): void {
    this.running = false;
    this.clearRetry();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      try {
        ws.close(1000, 'panel closed');
      } catch {
        /* already closed */
      }
    }
    this.failPending('The panel closed the connection.');
    this.setState('idle');
  }

  /** Try again now (after a new token, or when the user presses Retry). */
  reconnect(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      try {
        ws.close(1000, 'reconnect');
      } catch {
        /* ignore */
      }
    }
    this.failPending('Reconnecting.');
    this.clearRetry();
    this.retryMs = this.opts.retryMinMs;
    this.running = true;
    void this.connect();
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.opts.retryMaxMs, Math.round(this.retryMs * 1.6));
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.setState('connecting');
    let ep: Endpoint;
    try {
      ep = await this.opts.resolveEndpoint();
    } catch (e) {
      this.lastError = { code: 'INTERNAL', message: `Cannot find the daemon: ${(e as Error).message}`, hint: 'Start it with `dreamlayer serve`.' };
      this.setState('disconnected');
      return this.scheduleRetry();
    }
    this.endpoint = ep;
    if (!ep.token) {
      this.setState('needs-token');
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = new this.opts.WebSocket(ep.url);
    } catch (e) {
      this.lastError = { code: 'INTERNAL', message: `Cannot open ${ep.url}: ${(e as Error).message}`, hint: 'Check the daemon address in the settings.' };
      this.setState('disconnected');
      return this.scheduleRetry();
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    let closeReason: ErrorPayload | null = null;
    ws.onopen = () => {
      this.sendRaw(ws, {
        type: 'hello',
        reqId: this.nextReqId(),
        token: ep.token!,
        protocol: PROTOCOL_VERSION,
        client: this.opts.client,
        ...(this.clientId ? { clientId: this.clientId } : {}),
      });
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      if (typeof ev.data === 'string') {
        const parsed = parseDaemonMessage(ev.data);
        if (!parsed.ok) return; // a newer daemon's extra message type: ignore it
        const m = parsed.message;
        if (m.type === 'welcome') {
          this.welcome = m;
          this.clientId = m.clientId;
          this.lastError = null;
          this.retryMs = this.opts.retryMinMs;
          this.setState('connected');
        } else if (m.type === 'error' && !m.reqId && this.state !== 'connected') {
          closeReason = m.error; // sent just before a pairing refusal closes the socket
        }
        this.dispatch(m);
      } else {
        const bytes = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : ArrayBuffer.isView(ev.data) ? new Uint8Array(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength) : null;
        if (!bytes) return;
        const f = decodeBinaryFrame(bytes);
        if (typeof f !== 'string' && f.kind === BinaryKind.PREVIEW) for (const fn of this.previewListeners) fn(f);
      }
    };
    ws.onerror = () => {
      /* onclose follows with the code */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.welcome = null;
      this.failPending('The connection to the daemon closed.');
      if (ev.code === CLOSE_AUTH_FAILED || closeReason?.code === 'AUTH_FAILED') {
        this.lastError = closeReason ?? { code: 'AUTH_FAILED', message: 'The pairing token is missing or wrong.', hint: 'Copy the token printed by `dreamlayer serve` into the panel.' };
        this.setState('auth-failed');
        return; // waiting for a new token: retrying the same one is pointless
      }
      if (ev.code === CLOSE_PROTOCOL_VERSION || closeReason?.code === 'PROTOCOL_VERSION') {
        this.lastError = closeReason ?? { code: 'PROTOCOL_VERSION', message: 'The panel and the daemon speak different protocol versions.', hint: 'Update both to the same DreamLayer release.' };
        this.setState('incompatible');
        return;
      }
      this.lastError = closeReason ?? { code: 'INTERNAL', message: `The daemon at ${ep.url.replace(/\/v1\/ws$/, '')} is not reachable.`, hint: 'Start it with `dreamlayer serve` (or check that it is still running); the panel reconnects by itself.' };
      this.setState('disconnected');
      this.scheduleRetry();
    };
  }

  private dispatch(m: DaemonMessage): void {
    const reqId = 'reqId' in m ? m.reqId : undefined;
    if (reqId && this.pending.has(reqId)) {
      const p = this.pending.get(reqId)!;
      this.pending.delete(reqId);
      clearTimeout(p.timer);
      if (m.type === 'error') p.reject(new DaemonRequestError(m.error));
      else p.resolve(m);
    }
    for (const fn of this.messageListeners) fn(m);
  }

  private failPending(message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DaemonRequestError({ code: 'INTERNAL', message, hint: 'The panel reconnects by itself; try again in a moment.' }));
      this.pending.delete(id);
    }
  }

  private nextReqId(): string {
    this.seq += 1;
    return `r${this.seq}`;
  }

  private sendRaw(ws: WebSocketLike, msg: ClientMessageInput): void {
    ws.send(JSON.stringify(msg));
  }

  get connected(): boolean {
    return this.state === 'connected' && !!this.ws && this.ws.readyState === OPEN;
  }

  private requireOpen(): WebSocketLike {
    if (!this.connected || !this.ws) {
      throw new DaemonRequestError({ code: 'INTERNAL', message: 'The panel is not connected to the daemon.', hint: 'Start it with `dreamlayer serve`; the panel reconnects by itself.' });
    }
    return this.ws;
  }

  /** Sends a message without waiting for a reply (job.cancel has none; its outcome is a job event). */
  send(msg: ClientMessageInput): void {
    this.sendRaw(this.requireOpen(), msg);
  }

  /** Sends a message and resolves with the daemon's direct reply (or rejects with its `error`). */
  request<T extends DaemonMessage['type']>(msg: ClientMessageInput, expect: T): Promise<DaemonMessageOf<T>> {
    const ws = this.requireOpen();
    const reqId = this.nextReqId();
    return new Promise<DaemonMessageOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new DaemonRequestError({ code: 'INTERNAL', message: `The daemon did not answer ${msg.type} in time.`, hint: 'It may be busy; try again.' }));
      }, this.opts.requestTimeoutMs);
      this.pending.set(reqId, {
        resolve: (m) => {
          if (m.type === expect) resolve(m as DaemonMessageOf<T>);
          else reject(new DaemonRequestError({ code: 'MESSAGE_INVALID', message: `Expected ${expect} but the daemon sent ${m.type}.`, hint: 'Update the panel and the daemon to the same version.' }));
        },
        reject,
        timer,
      });
      this.sendRaw(ws, { ...msg, reqId } as ClientMessageInput);
    });
  }

  /**
   * Streams frames to the daemon's frames mode and resolves when it has all of
   * them. Sends at most `window` frames ahead of the acks: UXP closes a socket
   * whose send buffer fills, and the daemon refuses frames beyond its pending limit.
   */
  async uploadFrames(frames: AsyncIterable<RgbaFrame>, meta: { width: number; height: number; count: number; fps: number }, onProgress?: (sent: number) => void, window = 4): Promise<{ uploadId: string; path: string }> {
    const ready = await this.request({ type: 'frames.begin', width: meta.width, height: meta.height, count: meta.count, fps: meta.fps, encoding: 'rgba8' }, 'frames.ready');
    const uploadId = ready.uploadId;
    let acked = 0;
    let wake: (() => void) | null = null;
    let failure: Error | null = null;
    let complete: { path: string } | null = null;
    const off = this.onMessage((m) => {
      if (m.type === 'frames.ack' && m.uploadId === uploadId) acked = Math.max(acked, m.received);
      else if (m.type === 'frames.complete' && m.uploadId === uploadId) complete = { path: m.path };
      else if (m.type === 'error' && m.uploadId === uploadId) failure = new DaemonRequestError(m.error);
      else return;
      wake?.();
    });
    const offState = this.onState((s) => {
      if (s !== 'connected') {
        failure = new DaemonRequestError({ code: 'UPLOAD_INCOMPLETE', message: 'The connection closed during the frames upload.', hint: 'Run the effect again once the panel has reconnected.' });
        wake?.();
      }
    });
    const waitFor = (cond: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (failure) return reject(failure);
          if (cond()) return resolve();
          wake = check;
        };
        check();
      });
    try {
      let i = 0;
      for await (const f of frames) {
        if (i >= meta.count) break;
        await waitFor(() => i - acked < window);
        const bin = encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: uploadId, frame: i }, f.rgba);
        this.requireOpen().send(bin);
        i += 1;
        onProgress?.(i);
      }
      await waitFor(() => complete !== null);
      return { uploadId, path: complete!.path };
    } finally {
      off();
      offState();
    }
  }
}
