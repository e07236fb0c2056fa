import { describe, expect, it } from 'vitest';
import { pasteMask } from '../../../daemon/src/effects/matte/paste-mask.ts';

/**
 * Independent reference (float64), written the way torchvision does it: pad the m×m grid with one
 * row/column of zeros, widen the box by the same proportion, then bilinearly resample the padded
 * grid over the widened box (align_corners = false).
 */
function reference(mask: number[], m: number, box: [number, number, number, number], w: number, h: number): Float64Array {
  const P = m + 2;
  const padded = new Float64Array(P * P);
  for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) padded[(r + 1) * P + c + 1] = mask[r * m + c];
  const [x0, y0, x1, y1] = box;
  const cw = (x1 - x0) / m, chh = (y1 - y0) / m;
  const X0 = x0 - cw, Y0 = y0 - chh, X1 = x1 + cw, Y1 = y1 + chh;
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = ((x + 0.5 - X0) / (X1 - X0)) * P - 0.5;
      const v = ((y + 0.5 - Y0) / (Y1 - Y0)) * P - 0.5;
      if (u < 0 || v < 0 || u > P - 1 || v > P - 1) continue;
      const c0 = Math.floor(u), r0 = Math.floor(v);
      const c1 = Math.min(P - 1, c0 + 1), r1 = Math.min(P - 1, r0 + 1);
      const fu = u - c0, fv = v - r0;
      out[y * w + x] =
        (1 - fv) * ((1 - fu) * padded[r0 * P + c0] + fu * padded[r0 * P + c1]) + fv * ((1 - fu) * padded[r1 * P + c0] + fu * padded[r1 * P + c1]);
    }
  }
  return out;
}

describe('pasteMask', () => {
  it('matches the padded-grid bilinear reference for an arbitrary mask and a fractional box', () => {
    const m = 28;
    const mask = Array.from({ length: m * m }, (_, i) => ((i * 7919) % 101) / 100);
    const box: [number, number, number, number] = [10.3, 5.7, 61.9, 47.2];
    const W = 80, H = 60;
    const got = pasteMask(Float32Array.from(mask), m, m, { x0: box[0], y0: box[1], x1: box[2], y1: box[3] }, W, H);
    const want = reference(mask, m, box, W, H);
    let maxErr = 0;
    for (let i = 0; i < W * H; i++) maxErr = Math.max(maxErr, Math.abs(got.data[i] - want[i]));
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('puts a full mask exactly into its box (threshold 0.5 → the box, within half a pixel)', () => {
    const m = 28;
    const W = 64, H = 48;
    const p = pasteMask(new Float32Array(m * m).fill(1), m, m, { x0: 8, y0: 6, x1: 40, y1: 30 }, W, H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= 8 && x < 40 && y >= 6 && y < 30;
        expect(p.data[y * W + x] >= 0.5, `(${x},${y})`).toBe(inside);
      }
    }
  });

  it('keeps the orientation: the left half of the grid lands in the left half of the box', () => {
    const m = 28;
    const mask = new Float32Array(m * m);
    for (let r = 0; r < m; r++) for (let c = 0; c < m / 2; c++) mask[r * m + c] = 1;
    const W = 100, H = 50;
    const p = pasteMask(mask, m, m, { x0: 20, y0: 10, x1: 80, y1: 40 }, W, H);
    expect(p.data[25 * W + 30]).toBeGreaterThan(0.99);
    expect(p.data[25 * W + 70]).toBeLessThan(0.01);
    // The 0.5 crossing sits at the box's middle column (x = 50).
    expect(p.data[25 * W + 49]).toBeGreaterThan(0.5);
    expect(p.data[25 * W + 50]).toBeLessThan(0.5);
  });

  it('clips boxes that leave the frame and ignores empty boxes', () => {
    const m = 28;
    const p = pasteMask(new Float32Array(m * m).fill(1), m, m, { x0: -20, y0: -10, x1: 10, y1: 10 }, 30, 20);
    expect(p.data[0]).toBeGreaterThan(0.99);
    expect(p.data[5 * 30 + 20]).toBe(0);
    const e = pasteMask(new Float32Array(m * m).fill(1), m, m, { x0: 5, y0: 5, x1: 5, y1: 9 }, 30, 20);
    expect(e.data.every((v) => v === 0)).toBe(true);
  });
});
