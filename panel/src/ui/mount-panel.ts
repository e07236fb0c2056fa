/**
 * Puts the panel together for one runtime: settings, the daemon client (with
 * discovery and the remembered token), the job controller and the view.
 */
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import { DaemonClient } from '../client/daemon-client.ts';
import { resolveEndpoint } from '../client/discovery.ts';
import type { HostAdapter } from '../host/host-adapter.ts';
import type { PanelPlatform } from '../platform/panel-platform.ts';
import { JobController, type ActiveJob } from './job-controller.ts';
import { PanelView } from './panel-view.ts';
import { loadSettings, saveSettings, type PanelSettings } from './settings.ts';
import { htmlKit, spectrumKit } from './widgets.ts';

export interface MountedPanel {
  client: DaemonClient;
  controller: JobController;
  view: PanelView;
  settings: PanelSettings;
}

/** A stable, protocol-valid client id ([A-Za-z0-9_-], ≤ 64). */
export function newClientId(): string {
  const bytes = new Uint8Array(9);
  const c = globalThis.crypto;
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `panel-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function mountPanel(opts: { root: HTMLElement; platform: PanelPlatform; host: HostAdapter; clientName: string; onImported?: (job: ActiveJob) => void }): MountedPanel {
  const { platform } = opts;
  const settings = loadSettings(platform.storage);
  const save = (): void => saveSettings(platform.storage, settings);
  const handed = platform.initialToken();
  if (handed) settings.token = handed;
  if (!settings.clientId) settings.clientId = newClientId();
  save();

  const client = new DaemonClient({
    WebSocket: platform.WebSocket,
    client: { name: opts.clientName, version: DREAMLAYER_VERSION },
    clientId: settings.clientId,
    resolveEndpoint: () =>
      resolveEndpoint({
        overrideUrl: settings.daemonUrl,
        rememberedToken: settings.token,
        readDiscovery: () => platform.readDiscovery(),
        fallbackUrl: platform.fallbackUrl(),
      }),
  });
  const controller = new JobController({ client, host: opts.host, settings, save, onImported: opts.onImported });
  opts.root.classList.add(platform.spectrum ? 'spectrum' : 'plain');
  const view = new PanelView({ root: opts.root, kit: platform.spectrum ? spectrumKit : htmlKit, client, controller, host: opts.host, settings, save });
  client.start();
  return { client, controller, view, settings };
}
