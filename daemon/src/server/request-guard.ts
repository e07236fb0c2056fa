/**
 * Who may talk to the daemon, judged from request headers before anything else:
 * - Host must be a loopback name (127.0.0.1, localhost, [::1]) with our port:
 *   defeats DNS rebinding (a web page whose name resolves to 127.0.0.1 still sends its own name).
 * - Origin must be absent (CLI, scripts), the daemon's own page, or one that
 *   Adobe panels send (see docs/protocol.md, "Origins"); every other web origin is refused.
 * The token is still required on top of both (Authorization header or `hello`).
 */
export type OriginKind = 'none' | 'self' | 'panel' | 'refused';

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Splits a Host header into name and port; null when malformed. */
function splitHost(host: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return null;
  return { name: m[1]!.toLowerCase(), port: m[2] ? Number(m[2]) : null };
}

/** True when the Host header names this machine's loopback interface at `port`. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = splitHost(host);
  if (!h || !LOOPBACK_NAMES.has(h.name)) return false;
  // No port in Host means port 80, which is only us if we listen there.
  return (h.port ?? 80) === port;
}

/**
 * Origins Adobe panels send: CEP panels are Chromium pages loaded from file://
 * (Chromium serialises that as `file://`, other engines as `null`); UXP
 * sends no Origin, `null`, or a `uxp://` / `plugin://` origin naming the plugin.
 */
const PANEL_ORIGIN = /^(?:null|file:\/\/|(?:uxp|plugin):\/\/[A-Za-z0-9._-]{1,128})$/;

export function classifyOrigin(origin: string | undefined, port: number): OriginKind {
  if (origin === undefined) return 'none';
  const o = origin.trim();
  if (o === `http://127.0.0.1:${port}` || o === `http://localhost:${port}` || o === `http://[::1]:${port}`) return 'self';
  if (PANEL_ORIGIN.test(o)) return 'panel';
  return 'refused';
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
