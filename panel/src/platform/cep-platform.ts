/**
 * CEP (After Effects 2024–2026): a Chromium page with `window.cep.fs` for
 * files and ExtendScript to learn the user's folders (Folder.userData is
 * %APPDATA% on Windows and ~/Library/Application Support on macOS).
 */
import type { PanelPlatform } from './panel-platform.ts';
import type { WebSocketCtor } from '../client/daemon-client.ts';
import { loopbackWsUrl, parseDiscovery, type DiscoveryInfo } from '../client/discovery.ts';
import { joinNative } from '../host/native-path.ts';

interface CepFs {
  readFile(path: string): { err: number; data: string };
}

export function cepPlatform(userFolders: () => Promise<{ userData: string | null; home: string; os: string }>): PanelPlatform {
  return {
    kind: 'cep',
    storage: globalThis.localStorage,
    WebSocket: globalThis.WebSocket as unknown as WebSocketCtor,
    async readDiscovery(): Promise<DiscoveryInfo | null> {
      const cepFs = (globalThis as unknown as { cep?: { fs?: CepFs } }).cep?.fs;
      if (!cepFs) return null;
      const f = await userFolders();
      if (!f.userData) return null;
      const r = cepFs.readFile(joinNative(f.userData, 'DreamLayer', 'daemon.json'));
      return r.err === 0 ? parseDiscovery(r.data) : null;
    },
    fallbackUrl: () => loopbackWsUrl(),
    initialToken: () => null,
    spectrum: false,
  };
}
