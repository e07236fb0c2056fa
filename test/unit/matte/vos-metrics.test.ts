import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { squaredDistance } from '../../../daemon/src/effects/matte/distance-transform.ts';
import { bandFlicker, bandShimmer, boundaryBand, boundaryMap, boundaryTolerance, contourAccuracy, jaccard, VosScore } from '../../../daemon/src/effects/matte/vos-metrics.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { sharedData } from '../../helpers/shared-path.ts';

const rect = (w: number, h: number, x0: number, y0: number, x1: number, y1: number) => {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = 1;
  return m;
};

describe('distance transform', () => {
  it('equals brute force', () => {
    const w = 31, h = 19;
    const f = new Uint8Array(w * h);
    for (const i of [5, 77, 300, 301, 550]) f[i] = 1;
    const d = squaredDistance(f, w, h);
    for (let i = 0; i < w * h; i++) {
      let best = Infinity;
      for (let j = 0; j < w * h; j++) if (f[j]) best = Math.min(best, (i % w - (j % w)) ** 2 + (Math.floor(i / w) - Math.floor(j / w)) ** 2);
      expect(d[i]).toBe(best);
    }
  });
});

describe('J and F', () => {
  const W = 100, H = 80;
  it('J is the IoU, computed by hand for two offset rectangles', () => {
    const a = rect(W, H, 10, 10, 50, 50); // 1600 px
    const b = rect(W, H, 30, 10, 70, 50); // overlap 20×40 = 800
    expect(jaccard(a, b)).toBeCloseTo(800 / 2400, 10);
    expect(jaccard(new Uint8Array(10), new Uint8Array(10))).toBe(1);
  });

  it('F is 1 for contours within the tolerance and drops when they move beyond it', () => {
    const tol = boundaryTolerance(W, H); // ceil(0.008·128.06) = 2
    expect(tol).toBe(2);
    const gt = rect(W, H, 20, 20, 60, 60);
    expect(contourAccuracy(rect(W, H, 21, 21, 61, 61), gt, W, H).f).toBe(1);
    // Shifted by 10 px: only the parts of the top/bottom edges that still coincide count.
    const far = contourAccuracy(rect(W, H, 30, 20, 70, 60), gt, W, H);
    expect(far.f).toBeGreaterThan(0.2);
    expect(far.f).toBeLessThan(0.7);
    expect(contourAccuracy(new Uint8Array(W * H), gt, W, H).f).toBe(0);
  });

  it('the boundary map marks the edge pixels of a rectangle (DAVIS seg2bmap)', () => {
    const b = boundaryMap(rect(10, 10, 2, 2, 6, 6), 10, 10);
    const count = b.reduce((s, v) => s + v, 0);
    // Inner right/bottom edges (7) + the outside pixels left of / above the rectangle (9) for a 4×4 square.
    expect(count).toBeGreaterThan(10);
    expect(b[0]).toBe(0);
    expect(b[5 * 10 + 5]).toBe(1);
  });

  it('shimmer and flicker: moving edges count in shimmer, only unexplained change in flicker', () => {
    const g0 = rect(W, H, 20, 20, 60, 60), g1 = rect(W, H, 22, 20, 62, 60);
    const band = boundaryBand(g1, W, H);
    const a0 = Float32Array.from(g0), a1 = Float32Array.from(g1);
    expect(bandShimmer(a1, a0, band)).toBeGreaterThan(0);
    expect(bandFlicker(a1, a0, band, g1, g0)).toBe(0);
    const noisy = a1.map((v, i) => (i % 3 === 0 ? 1 - v : v));
    expect(bandFlicker(noisy, a0, band, g1, g0)).toBeGreaterThan(0.2);
  });

  it('scores the DAVIS ground truth against itself as perfect and a shifted copy as worse', async () => {
    const dir = sharedData('vos/dance-twirl/Annotations');
    const read = async (k: number) => {
      const g = await readImage(path.join(dir, `${String(k).padStart(5, '0')}.png`), { channels: 1, bits: 8 });
      return Float32Array.from(g.data as Uint8Array, (v) => (v > 127 ? 1 : 0));
    };
    const g0 = await read(0), g1 = await read(1);
    const w = 854, h = 480;
    const self = new VosScore(w, h);
    self.add(g0, g0);
    self.add(g1, g1);
    const s = self.summary();
    expect(s.J).toBe(1);
    expect(s.F).toBe(1);
    expect(s.flicker).toBe(0);
    // Shift frame 0's mask right by 6 px: J drops, F (tolerance 8 px) stays high, 12 px drops F.
    const shift = (m: Float32Array, dx: number) => {
      const o = new Float32Array(m.length);
      for (let y = 0; y < h; y++) for (let x = dx; x < w; x++) o[y * w + x] = m[y * w + x - dx];
      return o;
    };
    const sc6 = new VosScore(w, h).add(shift(g0, 6), g0);
    const sc24 = new VosScore(w, h).add(shift(g0, 24), g0);
    expect(sc6.j).toBeLessThan(0.95);
    expect(sc6.f).toBeGreaterThan(0.95);
    expect(sc24.j).toBeLessThan(sc6.j);
    expect(sc24.f).toBeLessThan(0.6);
  });
});
