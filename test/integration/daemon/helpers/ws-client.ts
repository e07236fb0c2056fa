/**
 * A real WebSocket client for the daemon tests: records every message, decodes
 * binary frames with the shared header code, and waits for messages by predicate.
 */
import WebSocket from 'ws';
import { decodeBinaryFrame, type BinaryFrame } from '../../../../shared/src/protocol/binary-frame.ts';
import { PROTOCOL_VERSION, parseDaemonMessage, type DaemonMessage, type DaemonMessageOf } from '../../../../shared/src/protocol/messages.ts';

let counter = 0;

export class TestClient {
  readonly messages: DaemonMessage[] = [];
  readonly binaries: BinaryFrame[] = [];
  /** Messages that did not validate against the protocol (must stay empty). */
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (m: DaemonMessage) => boolean; resolve: (m: DaemonMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        const f = decodeBinaryFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        if (typeof f === 'string') this.invalid.push(`binary: ${f}`);
        else this.binaries.push({ ...f, payload: Uint8Array.from(f.payload) });
        return;
      }
      const r = parseDaemonMessage(buf.toString('utf8'));
      if (!r.ok) {
        this.invalid.push(`${r.error.message} in ${buf.toString('utf8').slice(0, 300)}`);
        return;
      }
      this.messages.push(r.message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r.message)) return true;
        w.resolve(r.message);
        return false;
      });
    });
    ws.on('error', () => undefined);
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, maxPayload: 256 * 1024 * 1024 });
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  sendBinary(data: Uint8Array): void {
    this.ws.send(data, { binary: true });
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor<T extends DaemonMessage = DaemonMessage>(pred: (m: DaemonMessage) => boolean, what = 'message', timeoutMs = 60_000): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got: ${this.messages.map((m) => m.type).join(', ')}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m as T);
        },
      });
    });
  }

  /** Waits for a message of `type` about `jobId`. */
  waitJob<K extends DaemonMessage['type']>(type: K, jobId: string, timeoutMs?: number): Promise<DaemonMessageOf<K>> {
    return this.waitFor<DaemonMessageOf<K>>((m) => m.type === type && 'jobId' in m && m.jobId === jobId, `${type} of ${jobId}`, timeoutMs);
  }

  /** Sends with a fresh reqId and resolves with the reply (or error) carrying it. */
  async request(msg: Record<string, unknown>): Promise<DaemonMessage> {
    const reqId = `r${++counter}`;
    const p = this.waitFor((m) => 'reqId' in m && m.reqId === reqId, `reply to ${String(msg.type)}`);
    this.send({ ...msg, reqId });
    return p;
  }

  async hello(token: string, clientId?: string): Promise<DaemonMessageOf<'welcome'>> {
    const r = await this.request({ type: 'hello', token, protocol: PROTOCOL_VERSION, client: { name: 'test', version: '1' }, ...(clientId ? { clientId } : {}) });
    if (r.type !== 'welcome') throw new Error(`hello failed: ${JSON.stringify(r)}`);
    return r;
  }

  /** Every message about one job, in order. */
  jobMessages(jobId: string): DaemonMessage[] {
    return this.messages.filter((m) => 'jobId' in m && m.jobId === jobId);
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects and pairs. */
export async function pairedClient(wsUrl: string, token: string, clientId?: string): Promise<TestClient> {
  const c = await TestClient.connect(wsUrl);
  await c.hello(token, clientId);
  return c;
}
