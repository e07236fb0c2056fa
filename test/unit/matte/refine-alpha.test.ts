import { describe, expect, it } from 'vitest';
import { guidedFilter } from '../../../daemon/src/effects/matte/guided-filter.ts';
import { refineAlpha, trimHaze } from '../../../daemon/src/effects/matte/matte-tracker.ts';
import { boxMean } from '../../../daemon/src/effects/matte/plane-ops.ts';
import { featherAlpha, growAlpha, invertAlpha } from '../../../daemon/src/effects/matte/alpha-adjust.ts';
import { createPlane } from '../../../daemon/src/effects/matte/matte-types.ts';
import { discAlpha, rng } from './synthetic.ts';

/** Brute-force float64 colour guided filter (He et al., Algorithm 2 with Σ + εU), windows clipped at borders. */
function naiveGuided(I: Float32Array, p: Float32Array, w: number, h: number, r: number, eps: number): Float64Array {
  const n = w * h;
  const a = Array.from({ length: 3 }, () => new Float64Array(n));
  const b = new Float64Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const mu = [0, 0, 0], S = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], cov = [0, 0, 0];
      let pm = 0, cnt = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          const j = yy * w + xx;
          const v = [I[j], I[n + j], I[2 * n + j]];
          for (let c = 0; c < 3; c++) {
            mu[c] += v[c];
            cov[c] += v[c] * p[j];
            for (let d = 0; d < 3; d++) S[c][d] += v[c] * v[d];
          }
          pm += p[j];
          cnt++;
        }
      }
      for (let c = 0; c < 3; c++) mu[c] /= cnt;
      pm /= cnt;
      const M = S.map((row, c) => row.map((v, d) => v / cnt - mu[c] * mu[d] + (c === d ? eps : 0)));
      const rhs = cov.map((v, c) => v / cnt - mu[c] * pm);
      // Solve M a = rhs by Gaussian elimination.
      const A = M.map((row, i) => [...row, rhs[i]]);
      for (let i = 0; i < 3; i++) {
        for (let k = i + 1; k < 3; k++) {
          const f = A[k][i] / A[i][i];
          for (let j = i; j < 4; j++) A[k][j] -= f * A[i][j];
        }
      }
      const sol = [0, 0, 0];
      for (let i = 2; i >= 0; i--) sol[i] = (A[i][3] - A[i].slice(i + 1, 3).reduce((s, v, k) => s + v * sol[i + 1 + k], 0)) / A[i][i];
      const i0 = y * w + x;
      for (let c = 0; c < 3; c++) a[c][i0] = sol[c];
      b[i0] = pm - sol[0] * mu[0] - sol[1] * mu[1] - sol[2] * mu[2];
    }
  }
  const mean = (src: Float64Array) => Float64Array.from(boxMean(Float32Array.from(src), w, h, r));
  const ma = a.map(mean), mb = mean(b);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = ma[0][i] * I[i] + ma[1][i] * I[n + i] + ma[2][i] * I[2 * n + i] + mb[i];
  return q;
}

describe('guided filter', () => {
  it('matches a brute-force float64 implementation', () => {
    const w = 23, h = 17, n = w * h;
    const rnd = rng(3);
    const I = Float32Array.from({ length: 3 * n }, () => rnd());
    const p = Float32Array.from({ length: n }, () => (rnd() > 0.5 ? 1 : 0));
    const got = guidedFilter(I, p, w, h, { radius: 3, eps: 0.01 });
    const want = naiveGuided(I, p, w, h, 3, 0.01);
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
    expect(maxErr).toBeLessThan(2e-3);
  });

  it('boxMean equals the clipped-window average', () => {
    const w = 9, h = 7;
    const src = Float32Array.from({ length: w * h }, (_, i) => (i * 37) % 11);
    const m = boxMean(src, w, h, 2);
    for (const [x, y] of [[0, 0], [4, 3], [8, 6], [1, 5]]) {
      let s = 0, c = 0;
      for (let yy = Math.max(0, y - 2); yy <= Math.min(h - 1, y + 2); yy++) for (let xx = Math.max(0, x - 2); xx <= Math.min(w - 1, x + 2); xx++) {
        s += src[yy * w + xx];
        c++;
      }
      expect(m[y * w + x]).toBeCloseTo(s / c, 5);
    }
  });
});

describe('alpha refinement on a synthetic soft edge', () => {
  it('moves a coarse, misplaced binary mask onto the true soft edge and gives partial alpha there', () => {
    // Truth: a vertical edge whose alpha ramps over 6 px (motion blur), subject red, background blue-grey texture.
    const W = 96, H = 64;
    const truth = new Float32Array(W * H);
    const rnd = rng(11);
    const frame = { width: W, height: H, channels: 3 as const, data: new Uint8Array(W * H * 3) };
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const edge = 48 + 4 * Math.sin(y / 6);
        const a = Math.max(0, Math.min(1, (edge + 3 - (x + 0.5)) / 6));
        truth[y * W + x] = a;
        const fg = [210, 60, 50], bg = [60 + 20 * rnd(), 90 + 20 * rnd(), 140 + 20 * rnd()];
        for (let c = 0; c < 3; c++) frame.data[(y * W + x) * 3 + c] = Math.round(a * fg[c] + (1 - a) * bg[c]);
      }
    }
    // Coarse: a straight binary edge about 2 px off (what a model at a quarter of the resolution gives).
    const coarse = createPlane(W, H);
    for (let y = 0; y < H; y++) for (let x = 0; x < 50; x++) coarse.data[y * W + x] = 1;
    const refined = refineAlpha(frame, coarse, { radius: 6, eps: 1e-3 });
    const err = (a: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - truth[i]), 0) / a.length;
    expect(err(refined.data)).toBeLessThan(0.7 * err(coarse.data));
    const partial = Array.from(refined.data).filter((v, i) => v > 0.15 && v < 0.85 && truth[i] > 0.15 && truth[i] < 0.85).length;
    expect(partial).toBeGreaterThan(H * 2);
    expect(refined.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('grow, feather, invert', () => {
  const W = 80, H = 80;
  const disc = { width: W, height: H, data: discAlpha(W, H, { cx: 40, cy: 40, r: 15, rgb: [0, 0, 0] }) };
  const area = (p: Float32Array) => p.reduce((s, v) => s + v, 0);

  it('grows and shrinks the edge by the given pixels, keeping it soft', () => {
    const grown = growAlpha(disc, 5);
    const shrunk = growAlpha(disc, -5);
    // Coverage of a disc of radius r is πr².
    expect(area(grown.data)).toBeGreaterThan(Math.PI * 19.5 ** 2);
    expect(area(grown.data)).toBeLessThan(Math.PI * 20.6 ** 2);
    expect(area(shrunk.data)).toBeGreaterThan(Math.PI * 9.4 ** 2);
    expect(area(shrunk.data)).toBeLessThan(Math.PI * 10.5 ** 2);
    expect(Array.from(grown.data).some((v) => v > 0.1 && v < 0.9)).toBe(true);
  });

  it('feathers symmetrically (area kept, edge wider) and inverts', () => {
    const f = featherAlpha(disc, 6);
    expect(area(f.data)).toBeCloseTo(area(disc.data), 0);
    const soft = (p: Float32Array) => Array.from(p).filter((v) => v > 0.05 && v < 0.95).length;
    expect(soft(f.data)).toBeGreaterThan(4 * soft(disc.data));
    const inv = invertAlpha(disc);
    expect(inv.data[40 * W + 40]).toBe(0);
    expect(inv.data[0]).toBe(1);
  });
});

describe('haze removal', () => {
  it('drops faint alpha far from the solid matte and keeps the soft edge on it', () => {
    const W = 120, H = 80;
    const a = { width: W, height: H, data: discAlpha(W, H, { cx: 40, cy: 40, r: 20, rgb: [0, 0, 0] }) };
    // A soft fringe just outside the disc (hair) and a faint haze 40 px away.
    for (let y = 30; y < 50; y++) a.data[y * W + 61] = 0.3;
    for (let y = 30; y < 50; y++) for (let x = 95; x < 110; x++) a.data[y * W + x] = 0.3;
    const edge = Array.from(a.data).filter((v) => v > 0.05 && v < 0.95).length;
    trimHaze(a);
    expect(a.data[40 * W + 61]).toBeCloseTo(0.3, 5);
    expect(a.data[40 * W + 100]).toBe(0);
    expect(Array.from(a.data).filter((v) => v > 0.05 && v < 0.95).length).toBe(edge - 15 * 20);
  });
});
