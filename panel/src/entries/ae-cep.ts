/** After Effects CEP build (CSXS 11/12, AE 2024–2026): ExtendScript through evalScript. */
import { AfterEffectsAdapter } from '../host/aftereffects-adapter.ts';
import { AeCepBackend, cepEvalScript } from '../host/ae-cep-backend.ts';
import { cepPlatform } from '../platform/cep-platform.ts';
import { mountPanel } from '../ui/mount-panel.ts';

interface CepBridge {
  evalScript(script: string, cb: (result: string) => void): void;
}

const bridge = (globalThis as unknown as { __adobe_cep__?: CepBridge }).__adobe_cep__;
const root = document.getElementById('panel')!;
if (!bridge) {
  root.textContent = 'This build runs inside After Effects (CEP). Open it from Window > Extensions > DreamLayer.';
} else {
  const backend = new AeCepBackend(cepEvalScript(bridge));
  const host = new AfterEffectsAdapter(backend);
  const panel = mountPanel({ root, platform: cepPlatform(() => backend.userFolders()), host, clientName: 'dreamlayer-ae-cep' });
  root.addEventListener('mouseenter', () => void panel.view.refreshLayer());
}
