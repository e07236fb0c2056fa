/**
 * Settings the panel remembers (localStorage in every runtime): pairing
 * token, daemon address, client id, last effect, parameters and model per
 * effect, output choices, and which layer each job belongs to (so a result
 * that finishes after a restart still lands above the right layer).
 */
import type { KeyValueStore } from '../platform/panel-platform.ts';
import type { LayerRef } from '../host/host-adapter.ts';

export interface JobMemo {
  jobId: string;
  effect: string;
  layer: LayerRef;
  createdAt: string;
  imported: boolean;
}

export interface PanelSettings {
  token: string | null;
  /** ws:// URL the user typed; null = discovery file / default. */
  daemonUrl: string | null;
  clientId: string | null;
  effect: string | null;
  params: Record<string, Record<string, unknown>>;
  /** Per effect: '' = the effect's default, a catalog id, or 'file:' + path. */
  model: Record<string, string>;
  format: string;
  device: string;
  /** Results root; '' = a DreamLayer folder beside the source file. */
  outputRoot: string;
  jobs: JobMemo[];
}

export const SETTINGS_KEY = 'dreamlayer.panel.v1';
const MAX_JOBS = 20;

export function defaultSettings(): PanelSettings {
  return { token: null, daemonUrl: null, clientId: null, effect: null, params: {}, model: {}, format: 'png', device: 'auto', outputRoot: '', jobs: [] };
}

/** Reads settings; a missing or damaged entry yields defaults (never throws). */
export function loadSettings(store: KeyValueStore): PanelSettings {
  const d = defaultSettings();
  try {
    const raw = store.getItem(SETTINGS_KEY);
    if (!raw) return d;
    const j = JSON.parse(raw) as Partial<PanelSettings>;
    return {
      token: typeof j.token === 'string' ? j.token : null,
      daemonUrl: typeof j.daemonUrl === 'string' && /^wss?:\/\//.test(j.daemonUrl) ? j.daemonUrl : null,
      clientId: typeof j.clientId === 'string' ? j.clientId : null,
      effect: typeof j.effect === 'string' ? j.effect : null,
      params: j.params && typeof j.params === 'object' ? j.params : {},
      model: j.model && typeof j.model === 'object' ? j.model : {},
      format: typeof j.format === 'string' ? j.format : d.format,
      device: typeof j.device === 'string' ? j.device : d.device,
      outputRoot: typeof j.outputRoot === 'string' ? j.outputRoot : '',
      jobs: Array.isArray(j.jobs) ? j.jobs.filter((m) => m && typeof m.jobId === 'string' && m.layer).slice(-MAX_JOBS) : [],
    };
  } catch {
    return d;
  }
}

export function saveSettings(store: KeyValueStore, s: PanelSettings): void {
  try {
    store.setItem(SETTINGS_KEY, JSON.stringify({ ...s, jobs: s.jobs.slice(-MAX_JOBS) }));
  } catch {
    /* storage full or disabled: settings last for this session only */
  }
}
