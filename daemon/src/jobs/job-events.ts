/**
 * What the job queue tells the world. The server turns these into protocol
 * messages; the queue never sees a socket (ComfyUI's server_protocol idea).
 */
import type { ErrorPayload } from '../../../shared/src/errors.ts';
import type { ProgressInfo, ResultRecord } from '../../../shared/src/job-spec.ts';
import type { JobRecord } from '../../../shared/src/protocol/messages.ts';

export type JobEvent =
  | { type: 'queued'; job: JobRecord; position: number }
  | { type: 'started'; jobId: string; resumed: boolean; attempt: number }
  | { type: 'progress'; jobId: string; progress: ProgressInfo }
  | { type: 'preview'; jobId: string; frame: number; jpeg: Buffer }
  | { type: 'done'; jobId: string; result: ResultRecord }
  | { type: 'failed'; jobId: string; error: ErrorPayload }
  | { type: 'cancelled'; jobId: string }
  | { type: 'interrupted'; jobId: string }
  | { type: 'removed'; jobId: string };

export type JobEventListener = (e: JobEvent) => void;

/** A minimal typed event fan-out; a failing listener never breaks the others or the queue. */
export class JobEventBus {
  private readonly listeners = new Set<JobEventListener>();

  on(fn: JobEventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(e: JobEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        /* listener bugs are theirs */
      }
    }
  }
}
