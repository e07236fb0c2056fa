/**
 * One attempt at running a job: mark it running, call the engine with a
 * signal and throttled progress/preview outlets, and settle the record as
 * done, failed, cancelled, or (on daemon shutdown) interrupted.
 */
import { toDreamLayerError, type DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec, ProgressInfo } from '../../../shared/src/job-spec.ts';
import type { JobRecord } from '../../../shared/src/protocol/messages.ts';
import type { LogFile, Logger } from '../logs/log-file.ts';
import type { JobEventBus } from './job-events.ts';
import type { JobRunner } from './job-runner.ts';
import { LatestThrottle } from './throttle.ts';

/** A running job's handle: its abort controller and why it is being stopped. */
export interface Running {
  ac: AbortController;
  reason: 'cancel' | 'shutdown' | null;
  done: Promise<void>;
}

/** What an attempt needs from the queue. */
export interface AttemptHost {
  runner: JobRunner;
  events: JobEventBus;
  log: Logger;
  prepare?: (spec: JobSpec) => JobSpec;
  persist(rec: JobRecord): void;
  finish(rec: JobRecord, state: 'done' | 'failed' | 'cancelled'): void;
  /** Remembers the latest preview in memory. */
  preview(id: string, p: { frame: number; jpeg: Buffer }): void;
  savePreview(id: string, jpeg: Buffer): void;
  intervals: { progress: number; preview: number; persist: number };
}

const now = (): string => new Date().toISOString();

export async function runAttempt(rec: JobRecord, run: Running, jobLog: LogFile | null, host: AttemptHost): Promise<void> {
  const id = rec.id;
  const resumed = rec.attempts > 0 || (rec.progress?.done ?? 0) > 0;
  rec.state = 'running';
  rec.attempts += 1;
  rec.startedAt ??= now();
  rec.updatedAt = now();
  rec.error = null;
  host.persist(rec);
  jobLog?.info(`attempt ${rec.attempts} started${resumed ? ' (resuming: frames already finished are kept)' : ''}`);
  host.log.info(`job ${id} started (attempt ${rec.attempts})`);
  host.events.emit({ type: 'started', jobId: id, resumed, attempt: rec.attempts });

  const persistProgress = new LatestThrottle<null>(host.intervals.persist, () => host.persist(rec));
  const progressOut = new LatestThrottle<ProgressInfo>(host.intervals.progress, (p) => host.events.emit({ type: 'progress', jobId: id, progress: p }));
  const previewOut = new LatestThrottle<{ frame: number; jpeg: Buffer }>(host.intervals.preview, (p) => {
    host.events.emit({ type: 'preview', jobId: id, frame: p.frame, jpeg: p.jpeg });
    try {
      host.savePreview(id, p.jpeg);
    } catch {
      /* a preview is a nicety */
    }
  });
  let lastLoggedTenth = -1;
  try {
    const spec = host.prepare ? host.prepare(rec.spec) : rec.spec;
    const result = await host.runner.run(spec, {
      signal: run.ac.signal,
      onProgress: (p) => {
        if (run.reason) return;
        rec.progress = { ...p };
        rec.updatedAt = now();
        persistProgress.push(null);
        progressOut.push(rec.progress);
        const tenth = p.total ? Math.floor((p.done / p.total) * 10) : 0;
        if (tenth !== lastLoggedTenth) {
          lastLoggedTenth = tenth;
          jobLog?.info(`progress ${p.done}/${p.total} frames (stage ${p.stage}, ${p.fps.toFixed(2)} fps)`);
        }
      },
      onPreview: (frame, jpeg) => {
        if (run.reason) return;
        host.preview(id, { frame, jpeg });
        previewOut.push({ frame, jpeg });
      },
      log: (line) => jobLog?.info(line),
    });
    progressOut.flush();
    previewOut.flush();
    rec.result = result;
    if (rec.progress) rec.progress = { ...rec.progress, done: rec.progress.total, etaSeconds: 0 };
    host.finish(rec, 'done');
    jobLog?.info(`done: ${result.frames.count} frames ${result.width}x${result.height} at ${result.fps} fps in ${rec.spec.output.dir} (${result.timing.seconds.toFixed(1)} s)`);
    host.log.info(`job ${id} done`);
    host.events.emit({ type: 'done', jobId: id, result });
  } catch (e) {
    progressOut.cancel();
    previewOut.cancel();
    settleFailure(rec, run, toDreamLayerError(e, 'INTERNAL', { stage: 'job' }), jobLog, host);
  } finally {
    persistProgress.cancel();
  }
}

/** Shutdown → interrupted; cancel → cancelled; anything else → failed with the error kept in the record. */
function settleFailure(rec: JobRecord, run: Running, err: DreamLayerError, jobLog: LogFile | null, host: AttemptHost): void {
  const id = rec.id;
  if (run.reason === 'shutdown') {
    rec.state = 'interrupted';
    rec.updatedAt = now();
    host.persist(rec);
    jobLog?.info('stopped by daemon shutdown; it resumes on the next start');
    host.events.emit({ type: 'interrupted', jobId: id });
  } else if (run.reason === 'cancel' || err.code === 'CANCELLED') {
    host.finish(rec, 'cancelled');
    jobLog?.info('cancelled; finished frames are kept (resume continues from there)');
    host.log.info(`job ${id} cancelled`);
    host.events.emit({ type: 'cancelled', jobId: id });
  } else {
    rec.error = err.toPayload();
    host.finish(rec, 'failed');
    jobLog?.error(`failed: ${err.toLine()}${err.details ? `\ndetails:\n${err.details}` : ''}`);
    const cause = err.cause instanceof Error ? err.cause : err;
    if (cause.stack) jobLog?.error(`stack: ${cause.stack}`);
    host.log.error(`job ${id} failed: ${err.code} ${err.message}`);
    host.events.emit({ type: 'failed', jobId: id, error: rec.error });
  }
}
