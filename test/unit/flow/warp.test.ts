import { describe, expect, it } from 'vitest';
import type { FloatImage } from '../../../daemon/src/core/image.ts';
import { warpBackward } from '../../../daemon/src/flow/warp.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';
import { constantFlow, render, textureFn } from './helpers.ts';

/** Independent float64 bilinear sample at (x, y) inside [0, W−1] × [0, H−1]. */
function bilinear64(img: FloatImage, x: number, y: number, c: number): number {
  const { width: W, height: H, channels: C, data } = img;
  const x0 = Math.min(Math.floor(x), W - 2), y0 = Math.min(Math.floor(y), H - 2);
  const ax = x - x0, ay = y - y0;
  const at = (xx: number, yy: number) => data[(yy * W + xx) * C + c];
  return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
}

/** A smooth, spatially varying flow: a small rotation plus a zoom about the centre plus a shift. */
function swirl(W: number, H: number): FlowField {
  const u = new Float32Array(W * H), v = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const dx = x - W / 2, dy = y - H / 2;
    u[y * W + x] = 0.08 * dx - 0.11 * dy + 0.37;
    v[y * W + x] = 0.11 * dx + 0.08 * dy - 0.61;
  }
  return { width: W, height: H, u, v };
}

describe('warpBackward', () => {
  const W = 41, H = 29;
  const img = render(textureFn(7), W, H, 3);

  it('matches a float64 bilinear reference on a sub-pixel translation and a smooth warp', () => {
    for (const flow of [constantFlow(W, H, 1.37, -0.62), swirl(W, H)]) {
      const { image, outside } = warpBackward(img, flow);
      let checked = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const o = y * W + x;
        const sx = x + flow.u[o], sy = y + flow.v[o];
        const inside = sx >= -0.5 && sx <= W - 0.5 && sy >= -0.5 && sy <= H - 0.5;
        expect(outside[o]).toBe(inside ? 0 : 1);
        if (!inside) continue;
        // Within the outer half pixel the edge is replicated: clamp, then interpolate.
        const cx = Math.min(Math.max(sx, 0), W - 1), cy = Math.min(Math.max(sy, 0), H - 1);
        for (let c = 0; c < 3; c++) expect(Math.abs(image.data[o * 3 + c] - bilinear64(img, cx, cy, c))).toBeLessThan(2e-6);
        checked++;
      }
      expect(checked).toBeGreaterThan(W * H * 0.5);
    }
  });

  it('is exact on integer shifts and reconstructs the shifted frame', () => {
    const fn = textureFn(3, 1);
    const a = render(fn, W, H, 1);
    const b = render(fn, W, H, 1, -2, -1); // b(x) = T(x − (2, 1)), so a(x) = b(x + (2, 1))
    const { image, outside } = warpBackward(b, constantFlow(W, H, 2, 1));
    for (let y = 0; y < H - 1; y++) for (let x = 0; x < W - 2; x++) {
      expect(outside[y * W + x]).toBe(0);
      expect(Math.abs(image.data[y * W + x] - a.data[y * W + x])).toBeLessThan(1e-6);
    }
  });

  it('flags exactly the samples that leave the frame, keeps their values finite and in range, and counts them', () => {
    const flow = constantFlow(W, H, 1.37, -0.62);
    const { image, outside, outsideCount } = warpBackward(img, flow);
    // The frame spans [−0.5, 40.5] × [−0.5, 28.5]: x + 1.37 > 40.5 ⇔ x = 40 (right column); y − 0.62 < −0.5 ⇔ y = 0 (top row).
    let expected = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const out = x === W - 1 || y === 0;
      expected += out ? 1 : 0;
      expect(outside[y * W + x]).toBe(out ? 1 : 0);
    }
    expect(outsideCount).toBe(expected);
    let lo = Infinity, hi = -Infinity;
    for (const v of img.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (const v of image.data) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(lo - 1e-6);
      expect(v).toBeLessThanOrEqual(hi + 1e-6);
    }
  });

  it('treats non-finite flow as outside and supports 1 and 4 channels', () => {
    const flow = constantFlow(W, H, 0, 0);
    flow.u[5] = NaN;
    flow.v[6] = Infinity;
    for (const ch of [1, 4]) {
      const im = render(textureFn(11, ch), W, H, ch);
      const { image, outside, outsideCount } = warpBackward(im, flow);
      expect(outsideCount).toBe(2);
      expect(outside[5] + outside[6]).toBe(2);
      expect(image.channels).toBe(ch);
      for (let i = 0; i < im.data.length; i++) if (Math.floor(i / ch) !== 5 && Math.floor(i / ch) !== 6) expect(image.data[i]).toBeCloseTo(im.data[i], 6);
    }
  });

  it('refuses a flow of another size', () => {
    expect(() => warpBackward(img, constantFlow(W + 1, H, 0, 0))).toThrow(/41x29 but flow is 42x29/);
  });
});
