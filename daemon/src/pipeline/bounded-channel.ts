/**
 * An async channel with a fixed capacity: `push` waits while the channel is
 * full, so a fast producer (the decoder) can never run ahead of a slow
 * consumer (inference) by more than `capacity` items. This is what keeps
 * memory bounded whatever the clip length.
 */
export class BoundedChannel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private closed = false;
  private failure: unknown = null;
  private waitingPush: (() => void)[] = [];
  private waitingPull: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed && !this.failure) {
      await new Promise<void>((r) => this.waitingPush.push(r));
    }
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('push on a closed channel');
    this.items.push(item);
    this.waitingPull.shift()?.();
  }

  /** No more items; consumers finish after draining. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  /** Abort both ends with an error. */
  fail(err: unknown): void {
    if (!this.failure) this.failure = err;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const r of this.waitingPush.splice(0)) r();
    for (const r of this.waitingPull.splice(0)) r();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.items.length) {
        const item = this.items.shift()!;
        this.waitingPush.shift()?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((r) => this.waitingPull.push(r));
    }
  }
}
