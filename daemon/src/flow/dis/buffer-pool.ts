/**
 * Working buffers reused from one flow computation to the next. A pair at 1024×436 needs about
 * 30 MB of typed arrays; allocating (and zeroing, and collecting) them for every pair costs more
 * than a tenth of the computation. Each key names one buffer of one pyramid level.
 */
export class BufferPool {
  private readonly buffers = new Map<string, Float32Array>();

  /** A Float32Array of `length` for `key`; its contents are stale unless `zero` is set. */
  f32(key: string, length: number, zero = false): Float32Array {
    const a = this.buffers.get(key);
    if (a && a.length === length) {
      if (zero) a.fill(0);
      return a;
    }
    const b = new Float32Array(length);
    this.buffers.set(key, b);
    return b;
  }

  /** Drops every buffer (after a change of frame size, say). */
  clear(): void {
    this.buffers.clear();
  }
}

/** The pool used when the caller passes none: nothing is kept between calls. */
export const NO_POOL = {
  f32: (_key: string, length: number): Float32Array => new Float32Array(length),
  clear: (): void => {},
} satisfies Pick<BufferPool, 'f32' | 'clear'>;

export type Pool = Pick<BufferPool, 'f32'>;
