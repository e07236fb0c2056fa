/** After Effects UXP build (manifest host "aftereffects", beta, 27.0). */
import { AfterEffectsAdapter } from '../host/aftereffects-adapter.ts';
import { AeUxpBackend } from '../host/ae-uxp-backend.ts';
import { uxpPlatform } from '../platform/uxp-platform.ts';
import { mountPanel } from '../ui/mount-panel.ts';

declare const require: (id: string) => unknown;

const root = document.getElementById('panel')!;
const host = new AfterEffectsAdapter(new AeUxpBackend(require('aftereffects')));
const panel = mountPanel({ root, platform: uxpPlatform(), host, clientName: 'dreamlayer-ae-uxp' });
// AE UXP has no selection events [doc]: re-read when the pointer comes back to the panel.
root.addEventListener('mouseenter', () => void panel.view.refreshLayer());
