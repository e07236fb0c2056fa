/**
 * What the HTTP and WebSocket front ends share: the queue, the uploads, the
 * path policy, the engine's read-only lists, and the pairing token.
 */
import type { EffectDescriptor } from '../../../shared/src/params/param-spec.ts';
import type { JobManager } from '../jobs/job-manager.ts';
import type { Logger } from '../logs/log-file.ts';
import type { FrameUploads } from './frame-uploads.ts';
import type { PathPolicy } from './path-policy.ts';

export interface DaemonContext {
  token: string;
  /** The port actually listened on (known after listen; `--port 0` picks one). */
  port(): number;
  startedAt: number;
  manager: JobManager;
  uploads: FrameUploads;
  paths: PathPolicy;
  effects(): EffectDescriptor[];
  providers(): string[];
  models(): Promise<unknown[]>;
  /** WebSocket messages per second per connection (bursts up to 4×). */
  rateLimit: number;
  log: Logger;
}
