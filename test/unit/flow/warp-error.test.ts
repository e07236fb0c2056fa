import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../daemon/src/core/image.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import type { FlowEstimator, FlowField } from '../../../daemon/src/flow/types.ts';
import { warpError } from '../../../daemon/src/flow/warp-error.ts';
import { constantFlow, render, textureFn } from './helpers.ts';

const W = 64, H = 48, N = 4;
const SHIFT = [2, 1]; // frame t shows the texture at x + t·SHIFT: content moves left/up by SHIFT per frame

/** Knows the sequence: flow from frame i to frame j is (j − i)·(−SHIFT) (frame i(x) = frame j(x − (j−i)·SHIFT)). */
class ExactShiftEstimator implements FlowEstimator {
  readonly name = 'exact-shift';
  constructor(private readonly frames: FloatImage[], private readonly scale = 1) {}
  async estimate(a: FloatImage, b: FloatImage): Promise<FlowField> {
    const k = this.frames.indexOf(b) - this.frames.indexOf(a);
    return constantFlow(a.width, a.height, -k * SHIFT[0] * this.scale, -k * SHIFT[1] * this.scale);
  }
}

const fn = textureFn(5);
const source = Array.from({ length: N }, (_, t) => render(fn, W, H, 3, t * SHIFT[0], t * SHIFT[1]));
const offset = (img: FloatImage, d: number): FloatImage => ({ ...img, data: img.data.map((v) => v + d) });

describe('warpError (Lai et al.)', () => {
  it('is zero for a perfectly warped sequence and 3·0.1² for ±0.05 flicker', async () => {
    const est = new ExactShiftEstimator(source);
    const steady = await warpError(source, source, est);
    expect(steady.pairs).toBe(N - 1);
    expect(steady.warpError).toBeLessThan(1e-12);
    // Frame exits: the right 2 columns and bottom row leave the frame between frames.
    expect(steady.validFraction).toBeCloseTo(((W - 2) * (H - 1)) / (W * H), 6);
    const flicker = source.map((f, t) => offset(f, t % 2 ? 0.05 : -0.05));
    const r = await warpError(source, flicker, est);
    for (const e of r.perPair) expect(e).toBeCloseTo(0.03, 6);
    expect(r.warpError).toBeCloseTo(0.03, 6);
  });

  it('separates steady from flickering output with flow from the built-in estimator', async () => {
    const est = new BuiltinFlowEstimator({ preset: 'fast' });
    const steady = await warpError(source, source, est);
    const flicker = await warpError(source, source.map((f, t) => offset(f, t % 2 ? 0.05 : -0.05)), est);
    expect(steady.warpError!).toBeLessThan(1e-3);
    expect(flicker.warpError!).toBeGreaterThan(0.025);
    expect(steady.validFraction).toBeGreaterThan(0.8);
    expect(steady.flow).toBe('builtin:fast');
  });

  it('resizes the source flow when the output has another size', async () => {
    // Output at 2x by pixel replication: the motion is exactly 2·SHIFT on its grid.
    const up = (img: FloatImage): FloatImage => {
      const out = new Float32Array(4 * img.data.length);
      for (let y = 0; y < 2 * H; y++) for (let x = 0; x < 2 * W; x++) for (let c = 0; c < 3; c++) out[(y * 2 * W + x) * 3 + c] = img.data[((y >> 1) * W + (x >> 1)) * 3 + c];
      return { width: 2 * W, height: 2 * H, channels: 3, data: out };
    };
    const r = await warpError(source, source.map(up), new ExactShiftEstimator(source));
    expect([r.width, r.height]).toEqual([2 * W, 2 * H]);
    expect(r.warpError).toBeLessThan(1e-12);
  });

  it('reports per-channel statistics and the border band', async () => {
    const framed = source.map(() => {
      const data = new Float32Array(W * H * 3);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const border = x < 16 || y < 16 || x >= W - 16 || y >= H - 16;
        data.set(border ? [0.5, 0.5, 0.5] : [0.1, 0.2, 0.3], (y * W + x) * 3);
      }
      return { width: W, height: H, channels: 3, data } as FloatImage;
    });
    const r = await warpError(source, framed, new ExactShiftEstimator(source));
    expect(r.borderBand).toBe(16);
    r.borderMean.forEach((m) => expect(m).toBeCloseTo(0.5, 6));
    expect(r.interiorMean.map((m) => +m.toFixed(6))).toEqual([0.1, 0.2, 0.3]);
    const border = (W * H - (W - 32) * (H - 32)) / (W * H);
    expect(r.mean[0]).toBeCloseTo(border * 0.5 + (1 - border) * 0.1, 6);
    const m = r.mean[0];
    expect(r.std[0]).toBeCloseTo(Math.sqrt(border * (0.5 - m) ** 2 + (1 - border) * (0.1 - m) ** 2), 5);
  });

  it('refuses mismatched frame counts', async () => {
    await expect(warpError(source, source.slice(1), new ExactShiftEstimator(source))).rejects.toMatchObject({ code: 'PARAM_INVALID' });
  });
});
