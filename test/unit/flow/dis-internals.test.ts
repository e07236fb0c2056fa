import { describe, expect, it } from 'vitest';
import { medianSparse } from '../../../daemon/src/flow/dis/median-sparse.ts';
import { densify } from '../../../daemon/src/flow/dis/densify.ts';
import { halve, luminance255, padReplicate, sobel } from '../../../daemon/src/flow/dis/gray-pyramid.ts';
import { resampleFlow } from '../../../daemon/src/flow/resize-flow.ts';
import { variationalRefine } from '../../../daemon/src/flow/dis/variational-refine.ts';
import { autoCoarsestScale } from '../../../daemon/src/flow/dis/dis-flow.ts';
import { rng, render, textureFn } from './helpers.ts';

describe('DIS internals', () => {
  it('medianSparse equals a sorted-window median everywhere (clipped windows on the border)', () => {
    const r = rng(4);
    const cols = 60, rows = 40; // 2204 full windows; u has many ties, v none
    const u = Float32Array.from({ length: cols * rows }, () => Math.floor(r() * 4)), v = Float32Array.from({ length: cols * rows }, () => r() * 10 - 5);
    const ref = (a: Float32Array) => a.map((_, o) => {
      const x = o % cols, y = Math.floor(o / cols), w: number[] = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (y + dy >= 0 && y + dy < rows && x + dx >= 0 && x + dx < cols) w.push(a[(y + dy) * cols + x + dx]);
      w.sort((p, q) => p - q);
      return w[w.length >> 1];
    });
    const eu = ref(u), ev = ref(v);
    const sp = { cols, rows, u: u.slice(), v: v.slice() };
    medianSparse(sp);
    expect(Array.from(sp.u)).toEqual(Array.from(eu));
    expect(Array.from(sp.v)).toEqual(Array.from(ev));
  });

  it('halve averages 2×2 blocks; sobel gives intensity per pixel on a ramp; padding replicates', () => {
    const p = { width: 5, height: 4, data: Float32Array.from({ length: 20 }, (_, i) => 3 * (i % 5) + 7 * Math.floor(i / 5)) };
    const h = halve(p);
    expect([h.width, h.height]).toEqual([2, 2]);
    expect(h.data[0]).toBeCloseTo((0 + 3 + 7 + 10) / 4, 6);
    const { gx, gy } = sobel(p);
    expect(gx[1 * 5 + 2]).toBeCloseTo(3, 6); // interior: exact slope
    expect(gy[2 * 5 + 2]).toBeCloseTo(7, 6);
    const e = padReplicate(p, 2);
    expect(e.data[0]).toBe(p.data[0]);
    expect(e.data[(e.height - 1) * e.width + e.width - 1]).toBe(p.data[19]);
  });

  it('luminance uses Rec. 601 weights on a 0..255 scale', () => {
    const l = luminance255({ width: 1, height: 1, channels: 3, data: Float32Array.of(1, 0.5, 0) });
    expect(l.data[0]).toBeCloseTo(255 * (0.299 + 0.587 * 0.5), 4);
  });

  it('densify spreads a constant patch flow exactly, and resampleFlow doubles vectors', () => {
    const i0 = luminance255(render(textureFn(3), 40, 30, 3));
    const sp = { cols: 11, rows: 8, u: new Float32Array(88).fill(1.25), v: new Float32Array(88).fill(-0.5) };
    const u = new Float32Array(1200), v = new Float32Array(1200);
    densify(i0, padReplicate(i0, 16), 16, sp, 8, 3, u, v);
    for (let i = 0; i < 1200; i++) { expect(u[i]).toBeCloseTo(1.25, 5); expect(v[i]).toBeCloseTo(-0.5, 5); }
    const up = resampleFlow(u, v, 40, 30, 80, 60, 2, 2);
    expect(up.u[1234]).toBeCloseTo(2.5, 5);
    expect(up.v[4321]).toBeCloseTo(-1, 5);
  });

  it('variational refinement pulls a perturbed flow towards the true one', () => {
    const W = 96, H = 72, fn = textureFn(8, 1, 14);
    const a = luminance255(render(fn, W, H, 1)), b = luminance255(render(fn, W, H, 1, -0.8, 0.6)); // a(x) = b(x + (0.8, −0.6))
    const r = rng(9);
    const u = Float32Array.from({ length: W * H }, () => 0.8 + (r() - 0.5) * 0.6), v = Float32Array.from({ length: W * H }, () => -0.6 + (r() - 0.5) * 0.6);
    const err = () => { let e = 0; for (let y = 8; y < H - 8; y++) for (let x = 8; x < W - 8; x++) e += Math.hypot(u[y * W + x] - 0.8, v[y * W + x] + 0.6); return e / ((W - 16) * (H - 16)); };
    const before = err();
    variationalRefine(a, b, u, v, { alpha: 20, delta: 5, gamma: 10, iterations: 5, sorIterations: 5, omega: 1.85 });
    expect(err()).toBeLessThan(before / 3);
  });

  it('picks the coarsest level as OpenCV does', () => {
    expect(autoCoarsestScale(1024, 436, 8)).toBe(5);
    expect(autoCoarsestScale(1920, 1080, 8)).toBe(6);
    expect(autoCoarsestScale(64, 48, 8)).toBe(1);
  });
});
