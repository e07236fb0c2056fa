import { describe, expect, it } from 'vitest';
import { applyCoefficients, bilinearUpsample, boxMean, guidedUpsample, luminance01, prepareGuide } from '../../../daemon/src/effects/depth/guided-upsample.ts';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Naive float64 window mean (clipped window), the reference for boxMean. */
function naiveBox(src: ArrayLike<number>, w: number, h: number, r: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          s += src[yy * w + xx];
          n++;
        }
      }
      out[y * w + x] = s / n;
    }
  }
  return out;
}

/** The guided filter of He et al. (Algorithm 1) in float64 with naive windows. */
function naiveGuidedFilter(I: ArrayLike<number>, p: ArrayLike<number>, w: number, h: number, r: number, eps: number): Float64Array {
  const n = w * h;
  const mul = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from({ length: n }, (_, i) => a[i] * b[i]);
  const mI = naiveBox(I, w, h, r);
  const mP = naiveBox(p, w, h, r);
  const cII = naiveBox(mul(I, I), w, h, r);
  const cIP = naiveBox(mul(I, p), w, h, r);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = (cIP[i] - mI[i] * mP[i]) / (cII[i] - mI[i] * mI[i] + eps);
    b[i] = mP[i] - a[i] * mI[i];
  }
  const mA = naiveBox(a, w, h, r);
  const mB = naiveBox(b, w, h, r);
  return Float64Array.from({ length: n }, (_, i) => mA[i] * I[i] + mB[i]);
}

describe('boxMean', () => {
  it('equals the naive clipped-window mean for several radii and odd sizes', () => {
    const next = rng(1);
    const w = 23;
    const h = 17;
    const src = Float32Array.from({ length: w * h }, () => next());
    for (const r of [0, 1, 3, 9, 30]) {
      const got = boxMean(src, w, h, r);
      const ref = naiveBox(src, w, h, r);
      for (let i = 0; i < w * h; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-6);
    }
  });
});

describe('guided filter', () => {
  it('on an equal grid matches a float64 implementation of He et al.', () => {
    const next = rng(7);
    const w = 31;
    const h = 21;
    const I = Float32Array.from({ length: w * h }, (_, i) => ((i % w) > 14 ? 0.7 : 0.2) + 0.05 * next());
    const p = Float32Array.from({ length: w * h }, () => next());
    const guide = prepareGuide(I, w, h, w, h, 2);
    const got = guidedUpsample(guide, p, 1e-3);
    const ref = naiveGuidedFilter(I, p, w, h, 2, 1e-3);
    for (let i = 0; i < w * h; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-4);
  });

  it('is linear in the depth: q(s·p + t) = s·q(p) + t', () => {
    const next = rng(3);
    const W = 64;
    const H = 40;
    const I = Float32Array.from({ length: W * H }, () => next());
    const p = Float32Array.from({ length: 32 * 20 }, () => next());
    const g = prepareGuide(I, W, H, 32, 20, 1);
    const q = guidedUpsample(g, p, 1e-4);
    const q2 = guidedUpsample(g, Float32Array.from(p, (v) => 3 * v - 2), 1e-4);
    for (let i = 0; i < W * H; i++) expect(q2[i]).toBeCloseTo(3 * q[i] - 2, 3);
  });

  it('puts a low-resolution depth step on the image edge (step-edge test) where bilinear smears it', () => {
    const W = 256;
    const H = 96;
    const edge = 101; // not on the low-resolution grid
    const I = new Float32Array(W * H);
    const truth = new Float32Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        I[y * W + x] = x < edge ? 0.2 : 0.8;
        truth[y * W + x] = x < edge ? 0.3 : 0.9;
      }
    }
    for (const factor of [2.4, 4]) {
      const w = Math.round(W / factor);
      const h = Math.round(H / factor);
      const low = resizePlanes(truth, 1, H, W, h, w, 'bilinear'); // what a network at low resolution sees
      const bil = bilinearUpsample(low, w, h, W, H);
      const guided = guidedUpsample(prepareGuide(I, W, H, w, h, 1), low, 1e-4);
      let eBil = 0;
      let eGuided = 0;
      let n = 0;
      let flatErr = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = y * W + x;
          if (Math.abs(x - edge) <= 8) {
            eBil += Math.abs(bil[i] - truth[i]);
            eGuided += Math.abs(guided[i] - truth[i]);
            n++;
          } else flatErr = Math.max(flatErr, Math.abs(guided[i] - truth[i]));
        }
      }
      // Bilinear leaves a ramp several pixels wide; the guided result is within a few hundredths.
      expect(eBil / n).toBeGreaterThan(0.03);
      expect(eGuided / n).toBeLessThan((eBil / n) / 8);
      expect(flatErr).toBeLessThan(2e-3);
      // Either side of the edge is on its own level.
      expect(guided[40 * W + edge - 1]).toBeLessThan(0.32);
      expect(guided[40 * W + edge]).toBeGreaterThan(0.87);
    }
  });

  it('applyCoefficients with a = 0 is plain bilinear interpolation of b', () => {
    const next = rng(5);
    const b = Float32Array.from({ length: 9 * 6 }, () => next());
    const q = applyCoefficients(new Float32Array(9 * 6), b, 9, 6, new Float32Array(20 * 13).fill(0.5), 20, 13);
    const ref = bilinearUpsample(b, 9, 6, 20, 13);
    for (let i = 0; i < q.length; i++) expect(q[i]).toBeCloseTo(ref[i], 5);
  });

  it('luminance01 uses Rec. 709 weights', () => {
    const l = luminance01(Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255), 4, 1, 3);
    expect(Array.from(l).map((v) => +v.toFixed(4))).toEqual([0.2126, 0.7152, 0.0722, 1]);
  });
});
