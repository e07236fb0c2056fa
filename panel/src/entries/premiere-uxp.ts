/** Premiere Pro UXP build (manifest host "premierepro", 25.6+). */
import { PremiereAdapter } from '../host/premiere-adapter.ts';
import { uxpPlatform } from '../platform/uxp-platform.ts';
import { mountPanel } from '../ui/mount-panel.ts';

declare const require: (id: string) => unknown;

const root = document.getElementById('panel')!;
const panel = mountPanel({ root, platform: uxpPlatform(), host: new PremiereAdapter(require('premierepro')), clientName: 'dreamlayer-premiere' });
// Premiere's selection events need a sequence object; re-reading on pointer entry is simpler and cheap.
root.addEventListener('mouseenter', () => void panel.view.refreshLayer());
