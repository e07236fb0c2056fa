/**
 * The job queue: durable records, a bounded number of jobs running at once,
 * cancel, resume after a crash, and events (throttled progress, previews).
 *
 * Life of a job: queued → running → done | failed | cancelled. A daemon that
 * dies mid-job leaves the record saying `running`; the next start marks it
 * `interrupted` and (by default) queues it again. The engine is idempotent, so
 * resuming is simply running the same spec again.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec } from '../../../shared/src/job-spec.ts';
import { TERMINAL_STATES, type JobRecord } from '../../../shared/src/protocol/messages.ts';
import type { LogFile, Logger } from '../logs/log-file.ts';
import { nullLogger } from '../logs/log-file.ts';
import type { LogManager } from '../logs/log-manager.ts';
import { JobEventBus } from './job-events.ts';
import { newJobId } from './job-id.ts';
import type { JobRunner } from './job-runner.ts';
import type { JobStore } from './job-store.ts';
import { runAttempt, type Running } from './job-attempt.ts';

export interface JobManagerOptions {
  store: JobStore;
  runner: JobRunner;
  logs?: LogManager | null;
  /** Daemon log. */
  log?: Logger;
  /** Jobs running at once (default 1: one job on the accelerator). */
  concurrency?: number;
  /** Minimum gap between progress events of one job (default 200 ms, i.e. ≤ 5/s). */
  progressIntervalMs?: number;
  /** Minimum gap between previews of one job (default 500 ms). */
  previewIntervalMs?: number;
  /** Minimum gap between progress writes of the job record (default 1 s). */
  persistIntervalMs?: number;
  /** Checks (and may normalise) a spec right before each run, e.g. path confinement under the current --allow. */
  prepare?: (spec: JobSpec) => JobSpec;
}

const now = (): string => new Date().toISOString();

export class JobManager {
  readonly events = new JobEventBus();
  private readonly records = new Map<string, JobRecord>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly previews = new Map<string, { frame: number; jpeg: Buffer }>();
  private readonly opts: JobManagerOptions;
  private readonly concurrency: number;
  private readonly log: Logger;
  private closed = false;

  constructor(opts: JobManagerOptions) {
    this.opts = opts;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.log = opts.log ?? nullLogger;
  }

  /**
   * Reads every record from disk. Records left `running` belong to a daemon that
   * died: they become `interrupted`. With `autoResume`, every interrupted job (also
   * those a graceful shutdown or a --no-auto-resume run left) is queued again.
   * `interrupted` in the result lists only the crash victims found now.
   * `queued` records are queued again unless `requeue` is false (CLI use).
   */
  load(opts: { autoResume: boolean; requeue?: boolean }): { interrupted: string[]; resumed: string[] } {
    const interrupted: string[] = [];
    const resumed: string[] = [];
    const queued: string[] = [];
    const waiting: string[] = [];
    for (const rec of this.opts.store.loadAll((id, err) => this.log.warn(`job ${id}: unreadable record skipped: ${err.message}`))) {
      this.records.set(rec.id, rec);
      if (rec.state === 'running') {
        rec.state = 'interrupted';
        rec.updatedAt = now();
        this.persist(rec);
        interrupted.push(rec.id);
        this.jobLog(rec.id, (l) => l.warn('the daemon stopped while this job was running (crash, kill or power loss); finished frames are kept'));
        this.log.warn(`job ${rec.id} was interrupted by the previous daemon run (${rec.progress ? `${rec.progress.done}/${rec.progress.total} frames done` : 'no progress recorded'})`);
      } else if (rec.state === 'queued' && opts.requeue !== false) {
        queued.push(rec.id);
      } else if (rec.state === 'interrupted') {
        // Stopped by a graceful shutdown, or left by a --no-auto-resume run: also waiting to resume.
        waiting.push(rec.id);
      }
    }
    if (opts.autoResume) {
      for (const id of [...interrupted, ...waiting]) {
        const rec = this.records.get(id)!;
        rec.state = 'queued';
        rec.updatedAt = now();
        this.persist(rec);
        this.queue.push(id);
        resumed.push(id);
      }
    }
    this.queue.push(...queued);
    this.pump();
    return { interrupted, resumed };
  }

  /** Queues a new job; the spec must already be validated. */
  submit(spec: JobSpec, meta: { owner?: string | null; uploadId?: string | null } = {}): JobRecord {
    if (this.closed) throw new DreamLayerError('JOB_STATE', { message: 'The daemon is shutting down.', hint: 'Submit the job again once it has restarted.' });
    const id = newJobId();
    const t = now();
    const rec: JobRecord = {
      id,
      state: 'queued',
      spec,
      owner: meta.owner ?? null,
      uploadId: meta.uploadId ?? null,
      createdAt: t,
      updatedAt: t,
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      progress: null,
      result: null,
      error: null,
      log: this.opts.logs ? this.opts.logs.jobLogPath(id) : null,
    };
    this.records.set(id, rec);
    this.persist(rec);
    this.opts.logs?.pruneJobLogs([...this.records.values()].filter((r) => !TERMINAL_STATES.includes(r.state)).map((r) => this.opts.logs!.jobLogPath(r.id)));
    this.jobLog(id, (l) => l.info(`submitted: ${JSON.stringify(spec)}`));
    this.log.info(`job ${id} queued: ${spec.effect} ${spec.input.path} -> ${spec.output.dir}`);
    this.enqueue(rec);
    return rec;
  }

  /** Queues an interrupted, failed or cancelled job again; it continues from its first unfinished frame. */
  resume(id: string): JobRecord {
    const rec = this.get(id);
    if (rec.state !== 'interrupted' && rec.state !== 'failed' && rec.state !== 'cancelled') {
      throw new DreamLayerError('JOB_STATE', { message: `Job ${id} is ${rec.state}; only interrupted, failed or cancelled jobs can be resumed.` });
    }
    if (this.closed) throw new DreamLayerError('JOB_STATE', { message: 'The daemon is shutting down.' });
    rec.state = 'queued';
    rec.error = null;
    rec.finishedAt = null;
    rec.updatedAt = now();
    this.persist(rec);
    this.jobLog(id, (l) => l.info('resume requested'));
    this.log.info(`job ${id} queued again (resume)`);
    this.enqueue(rec);
    return rec;
  }

  /** Cancels a job: a queued or interrupted one at once, a running one as soon as the engine notices (between frames). */
  cancel(id: string): JobRecord {
    const rec = this.get(id);
    const run = this.running.get(id);
    if (run) {
      if (!run.reason) {
        run.reason = 'cancel';
        run.ac.abort(new DreamLayerError('CANCELLED'));
        this.log.info(`job ${id}: cancel requested`);
      }
      return rec;
    }
    if (rec.state === 'queued' || rec.state === 'interrupted') {
      const i = this.queue.indexOf(id);
      if (i >= 0) this.queue.splice(i, 1);
      this.finish(rec, 'cancelled');
      this.events.emit({ type: 'cancelled', jobId: id });
      return rec;
    }
    throw new DreamLayerError('JOB_STATE', { message: `Job ${id} is already ${rec.state}.` });
  }

  /** Deletes a job record (and its log and preview); output files stay. */
  remove(id: string): JobRecord {
    const rec = this.get(id);
    if (rec.state === 'running' || rec.state === 'queued') {
      throw new DreamLayerError('JOB_STATE', { message: `Job ${id} is ${rec.state}.`, hint: 'Cancel it first (`dreamlayer jobs cancel ID`).' });
    }
    this.records.delete(id);
    this.previews.delete(id);
    this.opts.store.remove(id);
    this.log.info(`job ${id} removed`);
    this.events.emit({ type: 'removed', jobId: id });
    return rec;
  }

  get(id: string): JobRecord {
    const rec = this.records.get(id);
    if (!rec) throw new DreamLayerError('JOB_NOT_FOUND', { message: `No job has the id ${JSON.stringify(String(id).slice(0, 80))}.` });
    return rec;
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  /** All records, oldest first. */
  list(): JobRecord[] {
    return [...this.records.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Jobs ahead of this one: the running ones (when all slots are busy) and those queued before it. */
  position(id: string): number {
    const i = this.queue.indexOf(id);
    if (i < 0) return 0;
    return i + Math.max(0, this.running.size - this.concurrency + 1);
  }

  counts(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running.size };
  }

  /** The latest preview JPEG (memory, else `preview.jpg` from an earlier run). */
  latestPreview(id: string): Buffer | null {
    this.get(id);
    return this.previews.get(id)?.jpeg ?? this.opts.store.readPreview(id);
  }

  /** Stops taking work; running jobs are stopped and left `interrupted` so the next start resumes them. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const [id, run] of this.running) {
      if (!run.reason) run.reason = 'shutdown';
      run.ac.abort(new DreamLayerError('CANCELLED', { message: 'The daemon is shutting down.' }));
      this.log.info(`job ${id}: stopping for shutdown`);
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.running.size || this.queue.length) {
      if (this.running.size) await Promise.race([...this.running.values()].map((r) => r.done));
      else await new Promise((r) => setImmediate(r));
    }
  }

  // ------------------------------------------------------------------ internals

  private enqueue(rec: JobRecord): void {
    this.queue.push(rec.id);
    this.events.emit({ type: 'queued', job: rec, position: this.position(rec.id) });
    this.pump();
  }

  private pumpScheduled = false;

  /**
   * Starts queued jobs on a later tick, never inside submit()/resume(): the caller
   * must be able to reply `job.accepted` and subscribe before `job.started` fires.
   */
  private pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.startQueued();
    });
  }

  private startQueued(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      const rec = this.records.get(id);
      if (!rec || rec.state !== 'queued') continue;
      const run: Running = { ac: new AbortController(), reason: null, done: Promise.resolve() };
      this.running.set(id, run);
      run.done = this.execute(rec, run).finally(() => {
        this.running.delete(id);
        this.pump();
      });
    }
  }

  private async execute(rec: JobRecord, run: Running): Promise<void> {
    const jobLog = this.openJobLog(rec.id);
    try {
      await runAttempt(rec, run, jobLog, {
        runner: this.opts.runner,
        events: this.events,
        log: this.log,
        prepare: this.opts.prepare,
        persist: (r) => this.persist(r),
        finish: (r, state) => this.finish(r, state),
        preview: (id, p) => {
          this.previews.set(id, p);
        },
        savePreview: (id, jpeg) => this.opts.store.savePreview(id, jpeg),
        intervals: { progress: this.opts.progressIntervalMs ?? 200, preview: this.opts.previewIntervalMs ?? 500, persist: this.opts.persistIntervalMs ?? 1000 },
      });
    } finally {
      jobLog?.close();
    }
  }

  private finish(rec: JobRecord, state: 'done' | 'failed' | 'cancelled'): void {
    rec.state = state;
    rec.finishedAt = now();
    rec.updatedAt = rec.finishedAt;
    this.persist(rec);
  }

  private persist(rec: JobRecord): void {
    try {
      this.opts.store.save(rec);
    } catch (e) {
      this.log.error(`job ${rec.id}: cannot write its record: ${(e as Error).message}`);
    }
  }

  private openJobLog(id: string): LogFile | null {
    try {
      return this.opts.logs?.openJobLog(id) ?? null;
    } catch {
      return null;
    }
  }

  private jobLog(id: string, fn: (l: LogFile) => void): void {
    const l = this.openJobLog(id);
    if (!l) return;
    fn(l);
    l.close();
  }
}
