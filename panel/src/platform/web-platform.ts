/**
 * The browser build, served by the daemon at `/`: same origin as the
 * WebSocket, no file access, so the token comes from the pairing form or
 * from `#token=…` in the URL that `dreamlayer serve` can print.
 */
import { memoryStore, type KeyValueStore, type PanelPlatform } from './panel-platform.ts';
import type { WebSocketCtor } from '../client/daemon-client.ts';
import { cleanToken } from '../client/discovery.ts';

function safeLocalStorage(): KeyValueStore {
  try {
    const s = globalThis.localStorage;
    s.setItem('dreamlayer.probe', '1');
    s.removeItem('dreamlayer.probe');
    return s;
  } catch {
    return memoryStore();
  }
}

export function webPlatform(): PanelPlatform {
  return {
    kind: 'web',
    storage: safeLocalStorage(),
    WebSocket: globalThis.WebSocket as unknown as WebSocketCtor,
    readDiscovery: async () => null,
    fallbackUrl: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/ws`,
    initialToken: () => {
      const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
      if (!m) return null;
      // Take it out of the address bar (and history) once read.
      history.replaceState(null, '', location.pathname + location.search);
      return cleanToken(decodeURIComponent(m[1]!));
    },
    spectrum: false,
  };
}
