/**
 * Finding the daemon without copy-paste: `dreamlayer serve` writes
 * `<config>/daemon.json` {port, token, ws, pid, version}. The panel reads it
 * where the host allows file access (UXP with fullAccess, CEP through cep.fs);
 * folder names mirror daemon/src/server/app-dirs.ts.
 */
import { DEFAULT_DAEMON_PORT } from '../../../shared/src/protocol/messages.ts';
import type { Endpoint } from './daemon-client.ts';

export interface DiscoveryInfo {
  port: number;
  token: string;
  pid: number;
  version?: string;
  /** ws://127.0.0.1:PORT/v1/ws */
  ws?: string;
}

export interface DiscoveryPlace {
  /** 'darwin' | 'win32' | 'linux' …; UXP says 'win10' on Windows. */
  platform: string;
  home: string;
  env?: Record<string, string | undefined>;
}

const isWindows = (p: string): boolean => p.startsWith('win');

/** Candidate paths of daemon.json, most specific first. */
export function discoveryFileCandidates(place: DiscoveryPlace): string[] {
  const env = place.env ?? {};
  const out: string[] = [];
  if (env.DREAMLAYER_CONFIG_DIR) out.push(joinFor(place.platform, env.DREAMLAYER_CONFIG_DIR, 'daemon.json'));
  if (isWindows(place.platform)) {
    out.push(joinFor(place.platform, env.APPDATA || joinFor(place.platform, place.home, 'AppData', 'Roaming'), 'DreamLayer', 'daemon.json'));
  } else if (place.platform === 'darwin') {
    out.push(`${place.home}/Library/Application Support/DreamLayer/daemon.json`);
  } else {
    const xdg = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : `${place.home}/.config`;
    out.push(`${xdg}/dreamlayer/daemon.json`);
  }
  return [...new Set(out)];
}

function joinFor(platform: string, ...parts: string[]): string {
  const sep = isWindows(platform) ? '\\' : '/';
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join(sep);
}

/** Parses daemon.json; null when it is not a usable discovery file. */
export function parseDiscovery(text: string): DiscoveryInfo | null {
  try {
    const j = JSON.parse(text) as Partial<DiscoveryInfo>;
    if (typeof j.port !== 'number' || !Number.isInteger(j.port) || j.port <= 0 || j.port > 65535) return null;
    if (typeof j.token !== 'string' || j.token.length === 0) return null;
    return { port: j.port, token: j.token, pid: typeof j.pid === 'number' ? j.pid : 0, version: j.version, ws: typeof j.ws === 'string' ? j.ws : undefined };
  } catch {
    return null;
  }
}

/** The WebSocket URL of a daemon on this machine. */
export function loopbackWsUrl(port: number = DEFAULT_DAEMON_PORT): string {
  return `ws://127.0.0.1:${port}/v1/ws`;
}

export function endpointFromDiscovery(d: DiscoveryInfo): Endpoint {
  // Only trust a loopback address from the file; anything else falls back to 127.0.0.1.
  const ws = d.ws && /^ws:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/v1\/ws$/.test(d.ws) ? d.ws : loopbackWsUrl(d.port);
  return { url: ws, token: d.token };
}

/** A token or a pasted discovery line → the token (accepts "Pairing token: abc…" too). */
export function cleanToken(input: string): string {
  const t = input.trim();
  const m = /([0-9a-f]{32,128})/i.exec(t);
  return m ? m[1]! : t;
}

/**
 * Decides where to connect: a URL the user set wins; else the discovery file
 * (its token too); else the fallback URL with the remembered token.
 */
export async function resolveEndpoint(opts: {
  overrideUrl: string | null;
  rememberedToken: string | null;
  readDiscovery: () => Promise<DiscoveryInfo | null>;
  fallbackUrl: string;
}): Promise<Endpoint & { fromDiscovery: boolean }> {
  const d = await opts.readDiscovery().catch(() => null);
  if (opts.overrideUrl) return { url: opts.overrideUrl, token: opts.rememberedToken ?? d?.token ?? null, fromDiscovery: false };
  if (d) return { ...endpointFromDiscovery(d), fromDiscovery: true };
  return { url: opts.fallbackUrl, token: opts.rememberedToken, fromDiscovery: false };
}
