/**
 * The WebSocket side of the daemon (`/v1/ws`): pairing (`hello` with the
 * token), message routing, per-connection rate limits, and fan-out of job
 * events to the connections that submitted or subscribed to each job.
 * Nothing a client sends can throw out of here: every failure becomes an
 * `error` message (and, for pairing failures, a close with a 4xxx code).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { DreamLayerError, toDreamLayerError, type ErrorPayload } from '../../../shared/src/errors.ts';
import { BinaryEncoding, BinaryKind, decodeBinaryFrame, encodeBinaryFrame } from '../../../shared/src/protocol/binary-frame.ts';
import { PROTOCOL_LIMITS, parseClientMessage, type ClientMessage, type DaemonMessage } from '../../../shared/src/protocol/messages.ts';
import type { JobEvent } from '../jobs/job-events.ts';
import type { Logger } from '../logs/log-file.ts';
import { classifyOrigin, hostAllowed } from './request-guard.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { DaemonContext } from './daemon-context.ts';
import { handleMessage } from './ws-handlers.ts';

/** Close codes (4000-4999 are the application's). */
export const CLOSE = {
  AUTH_FAILED: 4001,
  PROTOCOL_VERSION: 4002,
  REFUSED: 4003,
  HELLO_TIMEOUT: 4008,
  SHUTDOWN: 1001,
} as const;

/** One WebSocket connection. */
export class ClientSession {
  readonly connId = `c-${randomBytes(4).toString('hex')}`;
  clientId: string;
  clientName = '?';
  authed = false;
  readonly subscriptions = new Set<string>();
  readonly limiter: RateLimiter;
  private lastRateError = 0;

  constructor(
    readonly ws: WebSocket,
    rate: number,
    private readonly log: Logger,
  ) {
    this.clientId = this.connId;
    this.limiter = new RateLimiter(rate, rate * 4);
  }

  send(msg: DaemonMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      this.ws.send(JSON.stringify(msg));
    } catch (e) {
      this.log.warn(`${this.connId}: send failed: ${(e as Error).message}`);
    }
  }

  sendError(error: ErrorPayload, extra: { reqId?: string; jobId?: string; uploadId?: string } = {}): void {
    this.send({ type: 'error', ...(extra.reqId ? { reqId: extra.reqId } : {}), error, ...(extra.jobId ? { jobId: extra.jobId } : {}), ...(extra.uploadId ? { uploadId: extra.uploadId } : {}) });
  }

  /** One RATE_LIMITED error per second at most, so a flood is not answered by a flood. */
  rateLimited(): void {
    const t = Date.now();
    if (t - this.lastRateError < 1000) return;
    this.lastRateError = t;
    this.sendError(new DreamLayerError('RATE_LIMITED', { stage: 'server', message: `More than ${this.limiter.ratePerSecond} messages per second; messages are being dropped.` }).toPayload());
  }

  closeWith(code: number, error: DreamLayerError): void {
    this.sendError(error.toPayload());
    try {
      this.ws.close(code, error.code);
    } catch {
      this.ws.terminate();
    }
  }
}

export class WsHub {
  readonly wss: WebSocketServer;
  readonly sessions = new Set<ClientSession>();
  private readonly ctx: DaemonContext;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(ctx: DaemonContext) {
    this.ctx = ctx;
    // maxPayload: ws refuses larger messages from their frame header and closes with 1009 before buffering them.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: PROTOCOL_LIMITS.maxBinaryBytes, perMessageDeflate: false });
    ctx.manager.events.on((e) => this.onJobEvent(e));
    // Ping every 30 s; a client that missed one is gone (UXP panels reconnect on their own).
    this.heartbeat = setInterval(() => {
      for (const s of this.sessions) {
        if (!this.alive.has(s.ws)) {
          s.ws.terminate();
          continue;
        }
        this.alive.delete(s.ws);
        try {
          s.ws.ping();
        } catch {
          /* closing */
        }
      }
    }, 30_000);
    this.heartbeat.unref();
  }

  /** Handles an HTTP upgrade on the shared server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/v1/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const port = this.ctx.port();
    const hostOk = hostAllowed(req.headers.host, port);
    const origin = classifyOrigin(req.headers.origin, port);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Refusals complete the handshake first so the client gets a readable reason (error message + close code);
      // nothing else is ever processed on such a connection.
      const session = new ClientSession(ws, this.ctx.rateLimit, this.ctx.log);
      if (!hostOk) {
        this.ctx.log.warn(`ws refused: Host ${JSON.stringify(req.headers.host)} is not a loopback name`);
        session.closeWith(CLOSE.REFUSED, new DreamLayerError('HOST_REFUSED', { stage: 'server', hint: `Connect to ws://127.0.0.1:${port}/v1/ws.` }));
        return;
      }
      if (origin === 'refused') {
        this.ctx.log.warn(`ws refused: Origin ${JSON.stringify(req.headers.origin)}`);
        session.closeWith(CLOSE.REFUSED, new DreamLayerError('ORIGIN_REFUSED', { stage: 'server', message: `Connections from the web origin ${JSON.stringify(String(req.headers.origin).slice(0, 200))} are refused.` }));
        return;
      }
      this.attach(session, req);
    });
  }

  private attach(s: ClientSession, req: IncomingMessage): void {
    this.sessions.add(s);
    this.alive.add(s.ws);
    this.ctx.log.info(`${s.connId}: connected (origin ${req.headers.origin ?? 'none'})`);
    const helloTimer = setTimeout(() => {
      if (!s.authed) s.closeWith(CLOSE.HELLO_TIMEOUT, new DreamLayerError('AUTH_FAILED', { stage: 'server', message: `No hello within ${PROTOCOL_LIMITS.helloTimeoutSeconds} s.` }));
    }, PROTOCOL_LIMITS.helloTimeoutSeconds * 1000);
    helloTimer.unref();
    s.ws.on('pong', () => this.alive.add(s.ws));
    s.ws.on('message', (data, isBinary) => {
      this.onMessage(s, data, isBinary).catch((e) => this.fail(s, e, undefined));
    });
    s.ws.on('error', (e) => this.ctx.log.warn(`${s.connId}: socket error: ${e.message}`));
    s.ws.on('close', (code) => {
      clearTimeout(helloTimer);
      this.sessions.delete(s);
      this.ctx.log.info(`${s.connId}: closed (${code})`);
    });
  }

  private async onMessage(s: ClientSession, data: RawData, isBinary: boolean): Promise<void> {
    if (!s.limiter.take()) return s.rateLimited();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      if (!s.authed) return s.closeWith(CLOSE.AUTH_FAILED, new DreamLayerError('AUTH_FAILED', { stage: 'server', message: 'Send hello with the pairing token first.' }));
      return this.onBinary(s, buf);
    }
    if (buf.byteLength > PROTOCOL_LIMITS.maxJsonBytes) {
      return s.sendError(new DreamLayerError('MESSAGE_TOO_LARGE', { stage: 'server', message: `A JSON message of ${buf.byteLength} bytes exceeds the limit of ${PROTOCOL_LIMITS.maxJsonBytes}.` }).toPayload());
    }
    const parsed = parseClientMessage(buf.toString('utf8'));
    if (!parsed.ok) {
      if (!s.authed) return s.closeWith(CLOSE.AUTH_FAILED, new DreamLayerError('AUTH_FAILED', { stage: 'server', message: `The first message must be a valid hello (${parsed.error.message})` }));
      return s.sendError(parsed.error, { reqId: parsed.reqId });
    }
    const msg: ClientMessage = parsed.message;
    if (!s.authed && msg.type !== 'hello') {
      return s.closeWith(CLOSE.AUTH_FAILED, new DreamLayerError('AUTH_FAILED', { stage: 'server', message: 'Send hello with the pairing token first.' }));
    }
    try {
      await handleMessage(this.ctx, this, s, msg);
    } catch (e) {
      this.fail(s, e, msg.reqId);
    }
  }

  private async onBinary(s: ClientSession, buf: Buffer): Promise<void> {
    const f = decodeBinaryFrame(buf);
    if (typeof f === 'string') return s.sendError(new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `Invalid binary message: ${f}.` }).toPayload());
    try {
      const r = await this.ctx.uploads.receive(f);
      s.send({ type: 'frames.ack', uploadId: r.upload.id, index: r.index, received: r.upload.received.size, count: r.upload.count });
      if (r.complete) s.send({ type: 'frames.complete', uploadId: r.upload.id, path: this.ctx.uploads.patternPath(r.upload.id), count: r.upload.count });
    } catch (e) {
      const err = toDreamLayerError(e, 'INTERNAL', { stage: 'server' });
      if (err.code === 'INTERNAL') this.ctx.log.error(`${s.connId}: upload frame failed: ${err.message}`);
      s.sendError(err.toPayload(), { uploadId: f.id });
    }
  }

  private fail(s: ClientSession, e: unknown, reqId: string | undefined): void {
    const err = toDreamLayerError(e, 'INTERNAL', { stage: 'server' });
    if (err.code === 'INTERNAL') this.ctx.log.error(`${s.connId}: ${err.message}${err.cause instanceof Error && err.cause.stack ? `\n${err.cause.stack}` : ''}`);
    s.sendError(err.toPayload(), { reqId });
  }

  /** Sessions that should hear about a job. */
  private audience(jobId: string): ClientSession[] {
    return [...this.sessions].filter((s) => s.authed && s.subscriptions.has(jobId));
  }

  private onJobEvent(e: JobEvent): void {
    switch (e.type) {
      case 'started':
        for (const s of this.audience(e.jobId)) s.send({ type: 'job.started', jobId: e.jobId, resumed: e.resumed, attempt: e.attempt });
        break;
      case 'progress':
        for (const s of this.audience(e.jobId)) s.send({ type: 'job.progress', jobId: e.jobId, ...e.progress });
        break;
      case 'preview': {
        const bin = encodeBinaryFrame({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG, id: e.jobId, frame: e.frame }, e.jpeg);
        for (const s of this.audience(e.jobId)) {
          // A slow client skips previews rather than piling them up in memory.
          if (s.ws.bufferedAmount < 4 * 1024 * 1024 && s.ws.readyState === s.ws.OPEN) s.ws.send(bin);
        }
        break;
      }
      case 'done': {
        const rec = this.ctx.manager.get(e.jobId);
        const r = e.result;
        const outputs = { dir: rec.spec.output.dir, pattern: r.pattern, movie: r.movie, frames: r.frames, fps: r.fps, fpsRational: r.fpsRational, width: r.width, height: r.height };
        for (const s of this.audience(e.jobId)) s.send({ type: 'job.done', jobId: e.jobId, outputs, result: r });
        break;
      }
      case 'failed':
        for (const s of this.audience(e.jobId)) s.send({ type: 'job.failed', jobId: e.jobId, error: e.error });
        break;
      case 'cancelled':
        for (const s of this.audience(e.jobId)) s.send({ type: 'job.cancelled', jobId: e.jobId });
        break;
      case 'removed':
        for (const s of this.sessions) s.subscriptions.delete(e.jobId);
        break;
      default:
        break;
    }
  }

  /** Closes every connection (daemon shutdown). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.sessions) {
      try {
        s.ws.close(CLOSE.SHUTDOWN, 'daemon shutting down');
      } catch {
        s.ws.terminate();
      }
    }
    this.wss.close();
  }
}
