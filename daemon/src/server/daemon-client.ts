/**
 * Finds a running daemon from its discovery file and talks to its HTTP API
 * (used by `dreamlayer jobs …`). A discovery file is only trusted once the
 * daemon it names answers an authenticated health check.
 */
import { DreamLayerError, ERROR_CODES, type ErrorCode, type ErrorPayload } from '../../../shared/src/errors.ts';
import { processAlive } from '../jobs/data-dir-lock.ts';
import { readDiscovery, type DiscoveryInfo } from './discovery-file.ts';

export interface DaemonEndpoint {
  url: string;
  token: string;
  info: DiscoveryInfo;
}

/** The daemon named by `<configDir>/daemon.json`, if it is alive and answers; else null. */
export async function findRunningDaemon(configDir: string, timeoutMs = 2000): Promise<DaemonEndpoint | null> {
  const info = readDiscovery(configDir);
  if (!info || !processAlive(info.pid)) return null;
  const url = `http://127.0.0.1:${info.port}`;
  try {
    const res = await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${info.token}` }, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { service?: string; pid?: number };
    if (res.ok && body.service === 'dreamlayer') return { url, token: info.token, info };
  } catch {
    /* not answering: treat as not running */
  }
  return null;
}

/** Calls the daemon's HTTP API; errors come back as DreamLayerError with the daemon's code. */
export async function callDaemon<T>(ep: DaemonEndpoint, method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${ep.url}/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${ep.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: ErrorPayload } & T;
  if (!res.ok) {
    const e = json.error;
    const code: ErrorCode = e && (ERROR_CODES as string[]).includes(e.code) ? e.code : 'INTERNAL';
    throw new DreamLayerError(code, { message: e?.message ?? `The daemon answered HTTP ${res.status}.`, hint: e?.hint, frame: e?.frame, details: e?.details });
  }
  return json;
}
