/**
 * UXP (Premiere Pro, After Effects): WebSocket and localStorage are globals;
 * `require('fs')` reads native paths when the manifest grants
 * `localFileSystem: "fullAccess"`, which lets the panel read daemon.json.
 */
import type { PanelPlatform } from './panel-platform.ts';
import type { WebSocketCtor } from '../client/daemon-client.ts';
import { discoveryFileCandidates, loopbackWsUrl, parseDiscovery, type DiscoveryInfo } from '../client/discovery.ts';

declare const require: (id: string) => unknown;

interface UxpFs {
  readFile(path: string, opts: { encoding: string }): Promise<string>;
}
interface UxpOs {
  platform(): string;
  homedir(): string;
}

export function uxpPlatform(): PanelPlatform {
  return {
    kind: 'uxp',
    storage: globalThis.localStorage,
    WebSocket: globalThis.WebSocket as unknown as WebSocketCtor,
    async readDiscovery(): Promise<DiscoveryInfo | null> {
      const fs = require('fs') as UxpFs;
      const os = require('os') as UxpOs;
      for (const p of discoveryFileCandidates({ platform: os.platform(), home: os.homedir() })) {
        try {
          const d = parseDiscovery(await fs.readFile(p, { encoding: 'utf-8' }));
          if (d) return d;
        } catch {
          /* absent, or no fullAccess: try the next, then fall back to the token form */
        }
      }
      return null;
    },
    fallbackUrl: () => loopbackWsUrl(),
    initialToken: () => null,
    spectrum: true,
  };
}
