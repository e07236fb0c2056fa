/** Synthetic images and flows for the flow tests (deterministic, float64-friendly). */
import type { FloatImage } from '../../../daemon/src/core/image.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';

/** Deterministic pseudo-random numbers (mulberry32). */
export { seededRandom as rng } from '../../../daemon/src/core/seeded-random.ts';
import { seededRandom as rng } from '../../../daemon/src/core/seeded-random.ts';

/**
 * A smooth random texture as a continuous function (sum of random sinusoids), so shifted copies
 * can be rendered exactly at any sub-pixel offset. Values roughly 0.1..0.9 per channel.
 */
export function textureFn(seed: number, channels = 3, waves = 12): (x: number, y: number, c: number) => number {
  const r = rng(seed);
  const terms: { c: number; kx: number; ky: number; ph: number; a: number }[] = [];
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < waves; i++) {
      const f = 0.05 + 0.35 * r();
      const th = 2 * Math.PI * r();
      terms.push({ c, kx: f * Math.cos(th), ky: f * Math.sin(th), ph: 2 * Math.PI * r(), a: (0.4 / waves) * (0.5 + r()) });
    }
  }
  return (x, y, c) => {
    let s = 0.5;
    for (const t of terms) if (t.c === c) s += t.a * Math.sin(t.kx * x + t.ky * y + t.ph);
    return s;
  };
}

/** Renders `fn` on a width×height grid, sampled at (x + dx, y + dy). */
export function render(fn: (x: number, y: number, c: number) => number, width: number, height: number, channels: number, dx = 0, dy = 0): FloatImage {
  const data = new Float32Array(width * height * channels);
  for (let y = 0, i = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++, i++) data[i] = fn(x + dx, y + dy, c);
  return { width, height, channels, data };
}

/** A constant flow field. */
export function constantFlow(width: number, height: number, u: number, v: number): FlowField {
  const n = width * height;
  return { width, height, u: new Float32Array(n).fill(u), v: new Float32Array(n).fill(v) };
}

/** Median of the values of `a` at indices where `keep` (if given) is true. */
export function median(a: ArrayLike<number>, keep?: (i: number) => boolean): number {
  const xs: number[] = [];
  for (let i = 0; i < a.length; i++) if (!keep || keep(i)) xs.push(a[i]);
  xs.sort((p, q) => p - q);
  return xs[xs.length >> 1];
}
