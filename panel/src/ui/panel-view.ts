/**
 * The panel's DOM: connection and pairing, settings, the selected layer,
 * effect / parameters / model / format, Run and Cancel, progress with a live
 * preview, errors with hints, and the recent jobs. Layout uses only block and
 * flex (UXP has no grid) and no transitions; 260 px wide when docked.
 */
import type { EffectDescriptor, ParamSpec } from '../../../shared/src/params/param-spec.ts';
import type { JobSummary } from '../../../shared/src/protocol/index.ts';
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import type { DaemonClient } from '../client/daemon-client.ts';
import { cleanToken } from '../client/discovery.ts';
import type { HostAdapter, LayerRef } from '../host/host-adapter.ts';
import { clear, h, show } from './dom.ts';
import { plainError, progressText, shortPath, type PlainError } from './format.ts';
import type { JobController } from './job-controller.ts';
import { buildParamControls, type ParamControls } from './param-controls.ts';
import type { PanelSettings } from './settings.ts';
import type { Option, WidgetKit } from './widgets.ts';

export interface PanelViewDeps {
  root: HTMLElement;
  kit: WidgetKit;
  client: DaemonClient;
  controller: JobController;
  host: HostAdapter;
  settings: PanelSettings;
  save: () => void;
}

interface ModelEntry {
  id: string;
  task?: string;
  title?: string;
}

const MODEL_FILE = 'file:';

function layerLine(l: LayerRef): string {
  const frames = l.firstFrame === l.lastFrame ? `frame ${l.firstFrame}` : `frames ${l.firstFrame}–${l.lastFrame}`;
  const size = l.width && l.height ? ` · ${l.width}×${l.height}` : '';
  return `${frames} · ${Number(l.fps.toFixed(3))} fps${size}`;
}

function describeKind(l: LayerRef): string {
  if (l.sourcePath) return shortPath(l.sourcePath);
  return `${l.kind} (no file of its own)`;
}

export class PanelView {
  private readonly d: PanelViewDeps;
  private effects: EffectDescriptor[] = [];
  private models: ModelEntry[] = [];
  private params: ParamControls | null = null;
  private paramsFor = '';
  private layer: LayerRef | null = null;
  private layerError: PlainError | null = null;

  private readonly statusDot = h('span', { class: 'dot', 'data-role': 'status-dot' });
  private readonly statusText = h('span', { class: 'status-text', 'data-role': 'status' });
  private readonly pairingBox = h('div', { class: 'box pairing', 'data-role': 'pairing' });
  private readonly pairingMsg = h('div', { class: 'msg', 'data-role': 'pairing-message' });
  private readonly settingsBox = h('div', { class: 'box settings', 'data-role': 'settings' });
  private readonly layerName = h('div', { class: 'layer-name', 'data-role': 'layer' });
  private readonly layerInfo = h('div', { class: 'small', 'data-role': 'layer-info' });
  private readonly layerWarn = h('div', { class: 'small warn', 'data-role': 'layer-warnings' });
  private readonly effectDesc = h('div', { class: 'small', 'data-role': 'effect-description' });
  private readonly paramsHost = h('div', {});
  private readonly note = h('div', { class: 'small', 'data-role': 'job-note' });
  private readonly preview = h('img', { class: 'preview', 'data-role': 'preview', alt: '' }) as HTMLImageElement;
  private readonly errorBox = h('div', { class: 'box error', 'data-role': 'error' });
  private readonly jobsList = h('div', { class: 'jobs', 'data-role': 'jobs' });
  private readonly controls;

  constructor(d: PanelViewDeps) {
    this.d = d;
    const k = d.kit;
    const s = d.settings;
    this.controls = {
      token: k.textfield('token', { value: '', placeholder: 'pairing token', secret: true }),
      pair: k.button('pair', 'Pair', 'cta', () => this.pair()),
      settingsToggle: k.button('settings-toggle', '⚙', 'secondary', () => show(this.settingsBox, this.settingsBox.style.display === 'none')),
      daemonUrl: k.textfield('daemon-url', { value: s.daemonUrl ?? '', placeholder: 'ws://127.0.0.1:PORT/v1/ws (auto)' }),
      outputRoot: k.textfield('output-root', { value: s.outputRoot, placeholder: 'beside the source (DreamLayer folder)' }),
      device: k.dropdown('device', { options: [{ value: 'auto', label: 'auto' }], value: s.device }),
      apply: k.button('apply-settings', 'Apply', 'primary', () => this.applySettings()),
      forget: k.button('forget-token', 'Forget token', 'secondary', () => this.forgetToken()),
      refreshLayer: k.button('use-selection', 'Use selection', 'secondary', () => void this.refreshLayer()),
      effect: k.dropdown('effect', { options: [], value: s.effect ?? '' }),
      model: k.dropdown('model', { options: [], value: '' }),
      modelFile: k.textfield('model-file', { value: '', placeholder: '/path/to/model.onnx' }),
      format: k.dropdown('format', { options: [], value: s.format }),
      run: k.button('run', 'Run', 'cta', () => void this.run()),
      cancel: k.button('cancel', 'Cancel', 'warning', () => d.controller.cancel()),
      progress: k.progressbar('progress'),
    };
    const c = this.controls;
    c.effect.onChange((v) => {
      s.effect = v;
      d.save();
      this.renderEffect();
    });
    c.model.onChange((v) => {
      s.model[c.effect.get()] = v === MODEL_FILE ? MODEL_FILE + c.modelFile.get() : v;
      d.save();
      this.renderModelFile();
    });
    c.modelFile.onChange((v) => {
      s.model[c.effect.get()] = MODEL_FILE + v.trim();
      d.save();
    });
    c.format.onChange((v) => {
      s.format = v;
      d.save();
    });
    c.device.onChange((v) => {
      s.device = v;
      d.save();
    });

    append(this.pairingBox, this.pairingMsg, h('div', { class: 'line' }, c.token.el, c.pair.el));
    append(
      this.settingsBox,
      h('div', { class: 'label' }, 'Daemon address'),
      c.daemonUrl.el,
      h('div', { class: 'label' }, 'Results folder'),
      c.outputRoot.el,
      h('div', { class: 'label' }, 'Device'),
      c.device.el,
      h('div', { class: 'line' }, c.apply.el, c.forget.el),
      h('div', { class: 'small' }, `Panel ${DREAMLAYER_VERSION} · ${d.host.hostName}`),
    );
    show(this.settingsBox, false);
    const section = (title: string, ...children: HTMLElement[]) => h('div', { class: 'section' }, h('div', { class: 'heading' }, title), ...children);
    append(
      d.root,
      h('div', { class: 'header line' }, this.statusDot, this.statusText, c.settingsToggle.el),
      this.pairingBox,
      this.settingsBox,
      section('Layer', h('div', { class: 'line' }, h('div', { class: 'grow' }, this.layerName, this.layerInfo), c.refreshLayer.el), this.layerWarn),
      section('Effect', c.effect.el, this.effectDesc, this.paramsHost),
      section('Model', c.model.el, c.modelFile.el),
      section('Output', c.format.el),
      h('div', { class: 'line actions' }, c.run.el, c.cancel.el),
      h('div', { class: 'section' }, c.progress.el, this.note, this.preview),
      this.errorBox,
      section('Recent jobs', this.jobsList),
    );
    d.client.onState(() => this.onConnection());
    d.controller.onUpdate(() => this.renderJob());
    this.onConnection();
    this.renderJob();
    void this.refreshLayer();
  }

  /** Re-reads the host's selection (button, panel focus, simulated timeline clicks). */
  async refreshLayer(): Promise<void> {
    try {
      this.layer = await this.d.host.getSelectedLayer();
      this.layerError = null;
    } catch (e) {
      this.layer = null;
      this.layerError = plainError(e);
    }
    this.renderLayer();
  }

  private renderLayer(): void {
    const l = this.layer;
    this.layerName.textContent = l ? l.name : (this.layerError?.message ?? 'No layer selected');
    this.layerInfo.textContent = l ? `${describeKind(l)} · ${layerLine(l)}` : (this.layerError?.hint ?? '');
    const warnings = l ? [...l.warnings] : [];
    if (l && !l.sourcePath && !this.d.host.renderLayer && !this.d.host.streamFrames) {
      warnings.push(`${this.d.host.hostName} cannot hand this ${l.kind} to DreamLayer: render it to a file first.`);
    }
    this.layerWarn.textContent = warnings.join(' ');
    show(this.layerWarn, warnings.length > 0);
  }

  private onConnection(): void {
    const { client, settings } = this.d;
    const st = client.state;
    const w = client.welcome;
    this.statusDot.className = `dot dot-${st}`;
    const texts: Record<string, string> = {
      idle: 'Not connected',
      connecting: 'Connecting to the daemon…',
      connected: w ? `Connected · DreamLayer ${w.daemon.version} · ${w.providers.join(', ')}` : 'Connected',
      disconnected: `${client.lastError?.message ?? 'The daemon is not reachable.'} Retrying…`,
      'needs-token': 'Pair with the daemon to start.',
      'auth-failed': 'The daemon refused the pairing token.',
      incompatible: client.lastError?.message ?? 'Incompatible daemon.',
    };
    this.statusText.textContent = texts[st] ?? st;
    this.statusText.title = client.lastError?.hint ?? '';
    const pairing = st === 'needs-token' || st === 'auth-failed';
    show(this.pairingBox, pairing);
    this.pairingMsg.textContent =
      st === 'auth-failed'
        ? `${client.lastError?.message ?? 'Wrong token.'} ${client.lastError?.hint ?? ''}`
        : 'Paste the pairing token printed by `dreamlayer serve` (also in its discovery file daemon.json).';
    if (st === 'connected' && w) {
      if (client.endpoint?.token && settings.token !== client.endpoint.token) {
        settings.token = client.endpoint.token; // remember what worked
        this.d.save();
      }
      this.effects = w.effects as unknown as EffectDescriptor[];
      const opts: Option[] = this.effects.map((e) => ({ value: e.name, label: e.title }));
      this.controls.effect.setOptions(opts, settings.effect ?? undefined);
      this.controls.device.setOptions(['auto', ...w.providers].filter((v, i, a) => a.indexOf(v) === i).map((p) => ({ value: p, label: p })), settings.device);
      this.paramsFor = '';
      this.renderEffect();
      void this.loadModels();
    }
    this.renderJob();
  }

  private async loadModels(): Promise<void> {
    try {
      const r = await this.d.client.request({ type: 'models.list' }, 'models.listed');
      this.models = r.models.filter((m): m is ModelEntry => !!m && typeof (m as ModelEntry).id === 'string');
    } catch {
      this.models = [];
    }
    this.renderModels();
  }

  private currentEffect(): EffectDescriptor | null {
    return this.effects.find((e) => e.name === this.controls.effect.get()) ?? null;
  }

  private renderEffect(): void {
    const eff = this.currentEffect();
    this.effectDesc.textContent = eff?.description ?? '';
    if (eff && this.paramsFor !== eff.name) {
      clear(this.paramsHost);
      const remembered = this.d.settings.params[eff.name] ?? {};
      this.params = buildParamControls(this.d.kit, eff.params as readonly ParamSpec[], remembered, (values) => {
        this.d.settings.params[eff.name] = values;
        this.d.save();
      });
      this.paramsHost.appendChild(this.params.el);
      this.paramsFor = eff.name;
    }
    this.controls.format.setOptions((eff?.formats ?? ['png']).map((f) => ({ value: f, label: f })), this.d.settings.format);
    this.renderModels();
  }

  private renderModels(): void {
    const eff = this.currentEffect();
    const c = this.controls;
    if (!eff || !eff.task) {
      c.model.setOptions([{ value: '', label: 'No model needed' }], '');
      c.model.setDisabled(true);
      show(c.modelFile.el, false);
      return;
    }
    c.model.setDisabled(false);
    const opts: Option[] = [{ value: '', label: `Default${eff.defaultModel ? ` (${eff.defaultModel})` : ''}` }];
    for (const m of this.models) if (!m.task || m.task === eff.task) opts.push({ value: m.id, label: m.title ? `${m.id} – ${m.title}`.slice(0, 60) : m.id });
    opts.push({ value: MODEL_FILE, label: 'Model file…' });
    const saved = this.d.settings.model[eff.name] ?? '';
    const isFile = saved.startsWith(MODEL_FILE);
    c.model.setOptions(opts, isFile ? MODEL_FILE : saved);
    if (isFile) c.modelFile.set(saved.slice(MODEL_FILE.length));
    this.renderModelFile();
  }

  private renderModelFile(): void {
    show(this.controls.modelFile.el, this.controls.model.get() === MODEL_FILE);
  }

  private async run(): Promise<void> {
    const eff = this.currentEffect();
    if (!eff) return;
    const s = this.d.settings;
    await this.refreshLayer();
    await this.d.controller.run({
      effect: eff.name,
      params: this.params?.values() ?? {},
      model: this.controls.model.get() === MODEL_FILE ? MODEL_FILE + this.controls.modelFile.get().trim() : this.controls.model.get(),
      format: this.controls.format.get() || 'png',
      device: s.device,
      outputRoot: s.outputRoot,
    });
  }

  private pair(): void {
    const t = cleanToken(this.controls.token.get());
    if (!t) return;
    this.d.settings.token = t;
    this.d.save();
    this.controls.token.set('');
    this.d.client.reconnect();
  }

  private applySettings(): void {
    const s = this.d.settings;
    const url = this.controls.daemonUrl.get().trim();
    s.daemonUrl = /^wss?:\/\//.test(url) ? url : null;
    s.outputRoot = this.controls.outputRoot.get().trim();
    this.d.save();
    this.d.client.reconnect();
  }

  private forgetToken(): void {
    this.d.settings.token = null;
    this.d.save();
    this.d.client.reconnect();
  }

  private renderJob(): void {
    const ctl = this.d.controller;
    const a = ctl.active;
    const connected = this.d.client.state === 'connected';
    this.controls.run.setDisabled(!connected || ctl.busy);
    this.controls.cancel.setDisabled(!connected || !ctl.busy || !a?.jobId);
    const p = a?.progress;
    if (a) {
      const label = p ? progressText(p) : a.phase;
      this.controls.progress.set(p?.done ?? 0, p?.total ?? 0, a.phase === 'done' ? `Done · ${label}` : label);
    } else this.controls.progress.set(0, 0, 'Idle');
    this.controls.progress.el.setAttribute('data-phase', a?.phase ?? 'idle');
    this.note.textContent = a?.note ?? '';
    if (a?.preview) {
      if (this.preview.src !== a.preview) this.preview.src = a.preview;
      show(this.preview, true);
    } else show(this.preview, false);
    const err = a?.error ?? ctl.notice;
    clear(this.errorBox);
    if (err) append(this.errorBox, h('div', { class: 'error-message', 'data-role': 'error-message' }, err.message), h('div', { class: 'error-hint', 'data-role': 'error-hint' }, err.hint));
    show(this.errorBox, !!err);
    this.renderJobs(ctl.jobs);
  }

  private renderJobs(jobs: JobSummary[]): void {
    const ctl = this.d.controller;
    clear(this.jobsList);
    if (jobs.length === 0) this.jobsList.appendChild(h('div', { class: 'small' }, 'No jobs yet.'));
    for (const j of jobs) {
      const pct = j.progress && j.progress.total ? ` ${j.progress.done}/${j.progress.total}` : '';
      const row = h('div', { class: `job-row job-${j.state}`, 'data-role': 'job-row', 'data-job': j.id, 'data-state': j.state }, h('div', { class: 'grow' }, h('div', {}, `${j.effect} · ${shortPath(j.input)}`), h('div', { class: 'small' }, `${j.state}${pct}`)));
      if (j.state === 'done' && ctl.canImport(j.id)) row.appendChild(this.d.kit.button('job-import', 'Import', 'secondary', () => void ctl.importJob(j.id)).el);
      if (j.state === 'interrupted' || j.state === 'failed' || j.state === 'cancelled') row.appendChild(this.d.kit.button('job-resume', 'Resume', 'secondary', () => void ctl.resume(j.id)).el);
      this.jobsList.appendChild(row);
    }
  }
}

function append(el: HTMLElement, ...children: (HTMLElement | string)[]): void {
  for (const c of children) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
}
