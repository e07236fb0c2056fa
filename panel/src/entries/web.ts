/** Browser build (served by the daemon at `/`): the panel beside a simulated host timeline. */
import { SimulatedHost, layersFromQuery, type SimLayerInit } from '../host/simulated-host.ts';
import { webPlatform } from '../platform/web-platform.ts';
import { mountPanel } from '../ui/mount-panel.ts';
import { mountTimeline } from '../ui/sim-timeline-view.ts';

const DEMO: SimLayerInit[] = [{ name: 'Solid', path: null, kind: 'solid', firstFrame: 0, lastFrame: 11, fps: 24, width: 160, height: 96, color: '#4a7bd0' }];

const host = new SimulatedHost(layersFromQuery(location.search) ?? DEMO);
const panel = mountPanel({
  root: document.getElementById('panel')!,
  platform: webPlatform(),
  host,
  clientName: 'dreamlayer-web',
  onImported: (job) => {
    if (job.imported && job.preview) host.setThumbnail(job.imported.name, job.preview);
  },
});
mountTimeline(document.getElementById('timeline')!, host);
host.onChange(() => void panel.view.refreshLayer());
// For tests and the console: the running pieces.
(globalThis as unknown as { dreamlayer: unknown }).dreamlayer = { host, ...panel };
