/**
 * The discovery file `<config>/daemon.json`: how a panel or script on the same
 * user account finds the running daemon and its pairing token without
 * copy-paste. Readable by that user only (0600, folder 0700). The token is kept
 * across restarts so a paired panel stays paired; `serve --new-token` rotates it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomicSync } from '../io/atomic-file.ts';
import { TOKEN_PATTERN } from './token.ts';

export interface DiscoveryInfo {
  /** Always "dreamlayer". */
  service: 'dreamlayer';
  version: string;
  protocol: number;
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/v1/ws */
  ws: string;
  token: string;
  startedAt: string;
  dataDir: string;
}

export const DISCOVERY_FILE = 'daemon.json';

export function discoveryPath(dir: string): string {
  return path.join(dir, DISCOVERY_FILE);
}

/** Reads the discovery file; null when absent or unreadable. */
export function readDiscovery(dir: string): DiscoveryInfo | null {
  try {
    const j = JSON.parse(fs.readFileSync(discoveryPath(dir), 'utf8')) as Partial<DiscoveryInfo>;
    if (typeof j.port !== 'number' || typeof j.token !== 'string' || typeof j.pid !== 'number') return null;
    return j as DiscoveryInfo;
  } catch {
    return null;
  }
}

/** The token of an earlier run, when there is a well-formed one. */
export function previousToken(dir: string): string | null {
  const d = readDiscovery(dir);
  return d && TOKEN_PATTERN.test(d.token) ? d.token : null;
}

export function writeDiscovery(dir: string, info: DiscoveryInfo): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = discoveryPath(dir);
  writeJsonAtomicSync(file, info, { mode: 0o600 });
  // rename keeps the temp file's mode, but an older file may have been looser: enforce.
  try {
    fs.chmodSync(file, 0o600);
  } catch {
    /* Windows: ACLs of the user's profile folder protect it */
  }
  return file;
}
