/**
 * Frames/s and ETA over a rolling window of recent frames (as Remotion does
 * with its last 50 frame times), so the estimate follows speed changes without
 * jumping on every frame.
 */
import type { ProgressInfo } from '../../../shared/src/job-spec.ts';

export class ProgressTracker {
  private times: number[] = [];
  private done: number;
  private lastFrame: number | null = null;

  constructor(
    readonly total: number,
    alreadyDone = 0,
    private readonly window = 30,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.done = alreadyDone;
    this.times.push(this.now());
  }

  frameDone(index: number): ProgressInfo {
    this.done++;
    this.lastFrame = index;
    this.times.push(this.now());
    if (this.times.length > this.window + 1) this.times.shift();
    return this.snapshot('render');
  }

  snapshot(stage: string): ProgressInfo {
    const n = this.times.length - 1;
    const dt = n > 0 ? (this.times[n] - this.times[0]) / 1000 : 0;
    const fps = n > 0 && dt > 0 ? n / dt : 0;
    const left = this.total - this.done;
    return {
      done: this.done,
      total: this.total,
      fps,
      etaSeconds: fps > 0 ? left / fps : left === 0 ? 0 : null,
      stage,
      frame: this.lastFrame,
    };
  }
}
