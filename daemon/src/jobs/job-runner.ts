/**
 * The engine as the job queue sees it. The real one is `runJob` from
 * pipeline/run-job.ts; tests and the queue's own unit tests can inject another.
 * Contract: idempotent and resumable — called again with the same spec it keeps
 * the frames already finished in the output folder and rebuilds temporal state
 * from disk. It throws DreamLayerError (code CANCELLED when aborted).
 */
import type { JobSpec, ProgressInfo, ResultRecord } from '../../../shared/src/job-spec.ts';

export interface RunContext {
  signal?: AbortSignal;
  onProgress?: (p: ProgressInfo) => void;
  /** A small JPEG of a finished frame. */
  onPreview?: (frame: number, jpeg: Buffer) => void;
  log?: (line: string) => void;
}

export interface JobRunner {
  run(spec: JobSpec, ctx: RunContext): Promise<ResultRecord>;
}
