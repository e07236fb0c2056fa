/**
 * What differs between the panel's runtimes (UXP, CEP, a browser) apart from
 * the host adapter: storage, the WebSocket class, and whether the daemon's
 * discovery file can be read.
 */
import type { WebSocketCtor } from '../client/daemon-client.ts';
import type { DiscoveryInfo } from '../client/discovery.ts';

/** localStorage's shape (all three runtimes have it; tests pass a Map-backed one). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface PanelPlatform {
  kind: 'uxp' | 'cep' | 'web';
  storage: KeyValueStore;
  WebSocket: WebSocketCtor;
  /** Reads daemon.json where the host allows file access; null when it cannot (browser) or the file is absent. */
  readDiscovery(): Promise<DiscoveryInfo | null>;
  /** Where to connect when there is neither a discovery file nor a user setting. */
  fallbackUrl(): string;
  /** One-time token handed over by the page URL (browser: `#token=…`), else null. */
  initialToken(): string | null;
  /** Spectrum widgets (UXP) or plain HTML ones (CEP, browser). */
  spectrum: boolean;
}

/** A Map-backed KeyValueStore (tests, or when localStorage is unavailable). */
export function memoryStore(): KeyValueStore {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}
