/**
 * Colour guided filter (He, Sun, Tang, "Guided Image Filtering", TPAMI 2013),
 * with the subsampled "fast guided filter" variant (He & Sun 2015). Refines a
 * coarse or binary mask into alpha that follows the frame's own edges: inside a
 * window the output is a linear function of the guide's colour, so hair and
 * motion-blurred edges get partial alpha where the colour is partway between
 * the subject and the background.
 */
import { resizePlanes } from '../../runtime/resize.ts';
import { boxMean } from './plane-ops.ts';

export interface GuidedFilterOptions {
  /** Window radius in pixels of the full-resolution guide. */
  radius: number;
  /** Regularisation (guide values 0..1): larger = smoother, less edge-following. */
  eps: number;
  /** Compute the linear coefficients at 1/subsample resolution (≥ 1). */
  subsample?: number;
}

/**
 * Filters `p` (h×w) guided by `guide` (planar RGB, 3·h·w, values 0..1).
 * Returns a new h×w array (not clamped).
 */
export function guidedFilter(guide: Float32Array, p: Float32Array, w: number, h: number, opts: GuidedFilterOptions): Float32Array {
  const s = Math.max(1, Math.floor(opts.subsample ?? 1));
  const sw = Math.max(1, Math.round(w / s));
  const sh = Math.max(1, Math.round(h / s));
  const small = s > 1;
  const I = small ? resizePlanes(guide, 3, h, w, sh, sw, 'bilinear') : guide;
  const P = small ? resizePlanes(p, 1, h, w, sh, sw, 'bilinear') : p;
  const r = Math.max(1, Math.round(opts.radius / (small ? w / sw : 1)));
  const n = sw * sh;
  const eps = opts.eps;
  const Ir = I.subarray(0, n), Ig = I.subarray(n, 2 * n), Ib = I.subarray(2 * n, 3 * n);
  const mean = (src: Float32Array) => boxMean(src, sw, sh, r);
  const prod = (a: Float32Array, b: Float32Array) => {
    const o = new Float32Array(n);
    for (let i = 0; i < n; i++) o[i] = a[i] * b[i];
    return o;
  };
  const mR = mean(Ir), mG = mean(Ig), mB = mean(Ib), mP = mean(P);
  const mRP = mean(prod(Ir, P)), mGP = mean(prod(Ig, P)), mBP = mean(prod(Ib, P));
  const mRR = mean(prod(Ir, Ir)), mRG = mean(prod(Ir, Ig)), mRB = mean(prod(Ir, Ib));
  const mGG = mean(prod(Ig, Ig)), mGB = mean(prod(Ig, Ib)), mBB = mean(prod(Ib, Ib));
  const aR = new Float32Array(n), aG = new Float32Array(n), aB = new Float32Array(n), b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const cR = mRP[i] - mR[i] * mP[i], cG = mGP[i] - mG[i] * mP[i], cB = mBP[i] - mB[i] * mP[i];
    // Covariance of the guide in the window, regularised; solve (Σ + εI) a = cov(I, p) by the adjugate.
    const rr = mRR[i] - mR[i] * mR[i] + eps, rg = mRG[i] - mR[i] * mG[i], rb = mRB[i] - mR[i] * mB[i];
    const gg = mGG[i] - mG[i] * mG[i] + eps, gb = mGB[i] - mG[i] * mB[i], bb = mBB[i] - mB[i] * mB[i] + eps;
    const i00 = gg * bb - gb * gb, i01 = gb * rb - rg * bb, i02 = rg * gb - gg * rb;
    const i11 = rr * bb - rb * rb, i12 = rb * rg - rr * gb, i22 = rr * gg - rg * rg;
    const det = rr * i00 + rg * i01 + rb * i02;
    const ar = (i00 * cR + i01 * cG + i02 * cB) / det;
    const ag = (i01 * cR + i11 * cG + i12 * cB) / det;
    const ab = (i02 * cR + i12 * cG + i22 * cB) / det;
    aR[i] = ar; aG[i] = ag; aB[i] = ab;
    b[i] = mP[i] - ar * mR[i] - ag * mG[i] - ab * mB[i];
  }
  let maR = mean(aR), maG = mean(aG), maB = mean(aB), mb = mean(b);
  if (small) {
    maR = resizePlanes(maR, 1, sh, sw, h, w, 'bilinear');
    maG = resizePlanes(maG, 1, sh, sw, h, w, 'bilinear');
    maB = resizePlanes(maB, 1, sh, sw, h, w, 'bilinear');
    mb = resizePlanes(mb, 1, sh, sw, h, w, 'bilinear');
  }
  const N = w * h;
  const q = new Float32Array(N);
  for (let i = 0; i < N; i++) q[i] = maR[i] * guide[i] + maG[i] * guide[N + i] + maB[i] * guide[2 * N + i] + mb[i];
  return q;
}
