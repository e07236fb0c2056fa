/**
 * Latest-value throttle: at most one delivery per interval, always delivering
 * the most recent value (trailing edge), and a flush for the final one.
 */
export class LatestThrottle<T> {
  private last = 0;
  private pending: { value: T } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (value: T) => void,
  ) {}

  push(value: T): void {
    const now = Date.now();
    if (!this.timer && now - this.last >= this.intervalMs) {
      this.last = now;
      this.deliver(value);
      return;
    }
    this.pending = { value };
    if (!this.timer) {
      this.timer = setTimeout(() => this.fire(), Math.max(0, this.intervalMs - (now - this.last)));
      this.timer.unref?.();
    }
  }

  private fire(): void {
    this.timer = null;
    const p = this.pending;
    this.pending = null;
    if (p) {
      this.last = Date.now();
      this.deliver(p.value);
    }
  }

  /** Delivers a pending value now (before a terminal event). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.fire();
  }

  /** Drops a pending value. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
