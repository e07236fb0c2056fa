/**
 * The panel's job logic, without DOM: run (selection → input → submit),
 * follow events and previews, import results into the host, cancel, and
 * pick things up again after the daemon or the panel restarts.
 */
import type { DaemonMessage, JobRecord, JobSummary, BinaryFrame } from '../../../shared/src/protocol/index.ts';
import type { ProgressInfo } from '../../../shared/src/job-spec.ts';
import { DaemonRequestError, type DaemonClient } from '../client/daemon-client.ts';
import { HostError, type HostAdapter, type ImportedLayer, type ImportRequest, type LayerRef } from '../host/host-adapter.ts';
import { joinNative, safeFileName } from '../host/native-path.ts';
import { fromPayload, plainError, type PlainError } from './format.ts';
import { buildSubmitJob, outputDirFor, pathInput, runStamp, type RunChoices } from './job-spec-builder.ts';
import type { JobMemo, PanelSettings } from './settings.ts';

export type ActivePhase = 'preparing' | 'queued' | 'running' | 'importing' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface ActiveJob {
  jobId: string | null;
  effect: string;
  layer: LayerRef;
  phase: ActivePhase;
  /** What is happening, in words ("Uploading frames 3/10", "Queued (2 ahead)"). */
  note: string;
  progress: ProgressInfo | null;
  /** data:image/jpeg URL of the latest preview. */
  preview: string | null;
  imported: ImportedLayer | null;
  error: PlainError | null;
}

export interface ControllerDeps {
  client: DaemonClient;
  host: HostAdapter;
  settings: PanelSettings;
  save: () => void;
  now?: () => Date;
  /** Called after a result landed in the host (the web build shows the preview on it). */
  onImported?: (job: ActiveJob) => void;
}

const TERMINAL = new Set<ActivePhase>(['done', 'failed', 'cancelled']);

/** JPEG bytes → data URL (works in UXP, CEP and browsers alike, unlike blob: URLs in UXP). */
export function jpegDataUrl(bytes: Uint8Array): string {
  return `data:image/jpeg;base64,${base64(bytes)}`;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 without relying on btoa (not in every UXP version). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${B64[n >> 18]!}${B64[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64[n >> 18]!}${B64[(n >> 12) & 63]!}${B64[(n >> 6) & 63]!}=`;
  }
  return out;
}

/** The ImportRequest for a finished job record (job list "Import", or a job that finished while we were away). */
export function importRequestFromRecord(rec: JobRecord): ImportRequest | null {
  const r = rec.result;
  if (!r) return null;
  return { effect: rec.spec.effect, dir: rec.spec.output.dir, pattern: r.pattern, movie: r.movie, frames: r.frames, fps: r.fps, width: r.width, height: r.height };
}

export class JobController {
  active: ActiveJob | null = null;
  jobs: JobSummary[] = [];
  /** A problem outside any job (no selection, cannot reach the daemon…). */
  notice: PlainError | null = null;
  private readonly listeners = new Set<() => void>();
  /** Job events that arrive while a submit awaits its reply (they can precede the job id reaching us). */
  private early: { messages: DaemonMessage[]; preview: BinaryFrame | null } | null = null;
  private readonly d: ControllerDeps;
  private readonly now: () => Date;

  constructor(deps: ControllerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
    deps.client.onMessage((m) => this.onMessage(m));
    deps.client.onPreview((f) => this.onPreview(f));
    deps.client.onState((s) => {
      if (s === 'connected') void this.onConnected();
      else if (this.active && (this.active.phase === 'queued' || this.active.phase === 'running')) {
        this.active.note = 'The daemon stopped answering. The job resumes from its last finished frame when the daemon is back.';
        this.changed();
      }
    });
  }

  onUpdate(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  get busy(): boolean {
    return !!this.active && !TERMINAL.has(this.active.phase) && this.active.phase !== 'interrupted';
  }

  private memo(jobId: string): JobMemo | undefined {
    return this.d.settings.jobs.find((m) => m.jobId === jobId);
  }

  /** Runs the effect on the host's current selection. */
  async run(choices: RunChoices): Promise<void> {
    if (this.busy) return;
    this.notice = null;
    let layer: LayerRef;
    try {
      layer = await this.d.host.getSelectedLayer();
    } catch (e) {
      this.notice = plainError(e);
      this.changed();
      return;
    }
    const job: ActiveJob = { jobId: null, effect: choices.effect, layer, phase: 'preparing', note: 'Preparing…', progress: null, preview: null, imported: null, error: null };
    this.active = job;
    this.changed();
    try {
      const outDir = outputDirFor(layer, choices.effect, choices.outputRoot, this.now());
      if (!outDir) throw new HostError('UNSUPPORTED', `"${layer.name}" has no file, so there is no folder beside it for the results.`, 'Set a results folder in the panel settings (⚙).');
      const input = await this.inputFor(layer, choices, outDir, job);
      this.early = { messages: [], preview: null };
      const accepted = await this.d.client.request({ type: 'job.submit', job: buildSubmitJob(input, choices, outDir) }, 'job.accepted');
      job.jobId = accepted.jobId;
      job.phase = accepted.job.state === 'running' ? 'running' : 'queued';
      job.note = accepted.position > 0 ? `Queued (${accepted.position} ahead)` : 'Starting…';
      this.d.settings.jobs.push({ jobId: accepted.jobId, effect: choices.effect, layer, createdAt: this.now().toISOString(), imported: false });
      this.d.save();
      const early = this.early;
      this.early = null;
      for (const m of early.messages) if ('jobId' in m && m.jobId === accepted.jobId) this.onMessage(m);
      if (early.preview?.id === accepted.jobId) this.onPreview(early.preview);
      void this.refreshList();
    } catch (e) {
      job.phase = 'failed';
      job.error = plainError(e);
      job.note = '';
    } finally {
      this.early = null;
    }
    this.changed();
  }

  /** Path mode for files; a host render or the daemon's frames mode for layers without one. */
  private async inputFor(layer: LayerRef, choices: RunChoices, outDir: string, job: ActiveJob) {
    if (layer.sourcePath) return pathInput(layer);
    const host = this.d.host;
    if (host.renderLayer && layer.kind === 'comp') {
      job.note = `${host.hostName} is rendering "${layer.name}"…`;
      this.changed();
      const root = choices.outputRoot.trim() || outDir.replace(/[\\/][^\\/]+$/, '');
      const r = await host.renderLayer(layer, joinNative(root, '.renders', `${safeFileName(layer.name, 40)}-${runStamp(this.now())}`));
      return { path: r.path, frames: { first: r.first, last: r.last } };
    }
    if (host.streamFrames) {
      const count = layer.lastFrame - layer.firstFrame + 1;
      job.note = `Sending frames 0/${count}…`;
      this.changed();
      const up = await this.d.client.uploadFrames(host.streamFrames(layer), { width: layer.width, height: layer.height, count, fps: layer.fps }, (n) => {
        job.note = `Sending frames ${n}/${count}…`;
        this.changed();
      });
      return { uploadId: up.uploadId };
    }
    if (host.renderLayer) await host.renderLayer(layer, outDir); // throws the host's own explanation
    throw new HostError(
      'UNSUPPORTED',
      `"${layer.name}" is a ${layer.kind} with no media file, and ${host.hostName} cannot render one clip for DreamLayer.`,
      host.hostName === 'Premiere Pro' ? 'Render it first (right-click > Render and Replace), then select the rendered clip and run again.' : 'Render it to a file first, then run the effect on that.',
    );
  }

  cancel(): void {
    const a = this.active;
    if (!a?.jobId || !this.busy) return;
    try {
      this.d.client.send({ type: 'job.cancel', jobId: a.jobId });
      a.note = 'Cancelling…';
    } catch (e) {
      a.error = plainError(e);
    }
    this.changed();
  }

  private onMessage(m: DaemonMessage): void {
    const a = this.active;
    if (this.early && m.type.startsWith('job.') && 'jobId' in m && m.type !== 'job.accepted' && a?.jobId !== m.jobId) {
      this.early.messages.push(m);
      return;
    }
    switch (m.type) {
      case 'job.started':
        if (a && a.jobId === m.jobId) {
          a.phase = 'running';
          a.note = m.resumed ? `Resumed (attempt ${m.attempt})` : 'Running';
        }
        break;
      case 'job.progress':
        if (a && a.jobId === m.jobId) {
          a.phase = 'running';
          a.progress = { done: m.done, total: m.total, fps: m.fps, etaSeconds: m.etaSeconds, stage: m.stage, frame: m.frame };
          a.note = m.stage;
        }
        break;
      case 'job.done': {
        const req: ImportRequest = { effect: m.result.effect, dir: m.outputs.dir, pattern: m.outputs.pattern, movie: m.outputs.movie, frames: m.outputs.frames, fps: m.outputs.fps, width: m.outputs.width, height: m.outputs.height };
        if (a && a.jobId === m.jobId) a.progress = a.progress ? { ...a.progress, done: a.progress.total, etaSeconds: 0 } : null;
        void this.importFinished(m.jobId, req);
        void this.refreshList();
        break;
      }
      case 'job.failed':
        if (a && a.jobId === m.jobId) {
          a.phase = 'failed';
          a.error = fromPayload(m.error);
          a.note = '';
        }
        void this.refreshList();
        break;
      case 'job.cancelled':
        if (a && a.jobId === m.jobId) {
          a.phase = 'cancelled';
          a.note = 'Cancelled. Finished frames are kept; Resume continues from there.';
        }
        void this.refreshList();
        break;
      case 'error':
        if (a && m.jobId && a.jobId === m.jobId) a.error = fromPayload(m.error);
        break;
      default:
        return;
    }
    this.changed();
  }

  private onPreview(f: BinaryFrame): void {
    if (this.early && this.active && this.active.jobId === null) this.early.preview = f;
    if (!this.active || this.active.jobId !== f.id) return;
    this.active.preview = jpegDataUrl(f.payload);
    this.changed();
  }

  /** Imports a finished job above its layer, once. */
  private async importFinished(jobId: string, req: ImportRequest): Promise<void> {
    const memo = this.memo(jobId);
    const a = this.active && this.active.jobId === jobId ? this.active : null;
    if (!memo || memo.imported) {
      if (a) a.phase = 'done';
      this.changed();
      return;
    }
    memo.imported = true; // set first: a second done event must not import twice
    this.d.save();
    if (a) {
      a.phase = 'importing';
      a.note = `Importing into ${this.d.host.hostName}…`;
      this.changed();
    }
    try {
      const imported = await this.d.host.importResult(memo.layer, req);
      if (a) {
        a.phase = 'done';
        a.imported = imported;
        a.note = `${imported.replaced ? 'Replaced' : 'Added'} "${imported.name}" (${imported.where}).`;
        this.d.onImported?.(a);
      }
    } catch (e) {
      memo.imported = false;
      this.d.save();
      if (a) {
        a.phase = 'failed';
        a.error = plainError(e);
        a.note = `The result is in ${req.dir}.`;
      } else this.notice = plainError(e);
    }
    this.changed();
  }

  /** After (re)connecting: refresh the list and catch up on the job we were following. */
  private async onConnected(): Promise<void> {
    await this.refreshList();
    const a = this.active;
    if (!a?.jobId || TERMINAL.has(a.phase)) return;
    try {
      const info = await this.d.client.request({ type: 'job.get', jobId: a.jobId }, 'job.info');
      await this.syncFromRecord(info.job);
    } catch (e) {
      a.error = plainError(e);
      this.changed();
    }
  }

  private async syncFromRecord(rec: JobRecord): Promise<void> {
    const a = this.active;
    if (!a || a.jobId !== rec.id) return;
    a.progress = rec.progress ?? a.progress;
    switch (rec.state) {
      case 'done': {
        const req = importRequestFromRecord(rec);
        if (req) await this.importFinished(rec.id, req);
        break;
      }
      case 'failed':
        a.phase = 'failed';
        a.error = rec.error ? fromPayload(rec.error) : null;
        break;
      case 'cancelled':
        a.phase = 'cancelled';
        break;
      case 'interrupted':
        // The daemon came back without resuming it (--no-auto-resume): the user pressed Run, so resume.
        await this.resume(rec.id);
        break;
      default:
        a.phase = rec.state;
        a.note = rec.state === 'running' ? 'Running (reconnected)' : 'Queued (reconnected)';
    }
    this.changed();
  }

  async refreshList(): Promise<void> {
    if (!this.d.client.connected) return;
    try {
      const r = await this.d.client.request({ type: 'job.list' }, 'job.listed');
      this.jobs = [...r.jobs].sort((x, y) => (x.createdAt < y.createdAt ? 1 : -1)).slice(0, 8);
      this.changed();
    } catch {
      /* the list is a convenience; the next event refreshes it */
    }
  }

  /** True when the panel knows which layer a job belongs to (so its result can be imported). */
  canImport(jobId: string): boolean {
    return !!this.memo(jobId);
  }

  /** Job list "Import": imports (again) a finished job above its layer. */
  async importJob(jobId: string): Promise<void> {
    try {
      const info = await this.d.client.request({ type: 'job.get', jobId }, 'job.info');
      const req = importRequestFromRecord(info.job);
      const memo = this.memo(jobId);
      if (!req || !memo) throw new HostError('IMPORT_FAILED', `Job ${jobId} has no result this panel can place.`, 'Import its folder by hand.');
      memo.imported = false;
      this.active = { jobId, effect: memo.effect, layer: memo.layer, phase: 'importing', note: '', progress: info.job.progress, preview: null, imported: null, error: null };
      await this.importFinished(jobId, req);
    } catch (e) {
      this.notice = plainError(e);
      this.changed();
    }
  }

  /** Job list "Resume" (interrupted, failed or cancelled jobs continue from their last finished frame). */
  async resume(jobId: string): Promise<void> {
    const memo = this.memo(jobId);
    try {
      const acc = await this.d.client.request({ type: 'job.resume', jobId }, 'job.accepted');
      if (memo) this.active = { jobId, effect: memo.effect, layer: memo.layer, phase: 'queued', note: acc.position > 0 ? `Queued (${acc.position} ahead)` : 'Resuming…', progress: null, preview: null, imported: null, error: null };
      void this.refreshList();
    } catch (e) {
      if (e instanceof DaemonRequestError || e instanceof Error) this.notice = plainError(e);
    }
    this.changed();
  }
}
