/**
 * Where a warp can be trusted: the forward–backward consistency test of Ruder, Dosovitskiy and
 * Brox ("Artistic style transfer for videos", GCPR 2016, §4.2), plus frame exits.
 *
 * The mask lives on the grid of frame B, for the warp that reconstructs B from A with the backward
 * flow ŵ (B→A): B(x) ≈ A(x + ŵ(x)), i.e. `warpBackward(A, backward)`. For each pixel x of B, with
 * w̃(x) = w(x + ŵ(x)) the forward flow (A→B) sampled where x comes from:
 *   - disoccluded    where |w̃ + ŵ|² > 0.01·(|w̃|² + |ŵ|²) + 0.5   (x was hidden in A)
 *   - motion boundary where |∇û|² + |∇v̂|² > 0.01·|ŵ|² + 0.002     (forward differences of ŵ)
 *   - outside         where x + ŵ(x) leaves A's area [−0.5, W−0.5] × [−0.5, H−0.5] (it entered the frame).
 * Everything else is trusted. The soft confidence is the trusted mask eroded by `erode` pixels and
 * box-blurred by `blur` pixels, and is exactly 0 on every untrusted pixel.
 */
import type { FlowField } from './types.ts';

export interface ConfidenceOptions {
  /** Grow the untrusted regions by this many pixels before blurring (default 2). */
  erode?: number;
  /** Radius of the box blur that softens the edge of the trusted region (default 2). */
  blur?: number;
  /** Also distrust motion boundaries (default true). */
  motionBoundaries?: boolean;
}

export interface ConfidenceMask {
  width: number;
  height: number;
  /** Soft confidence 0..1 (1 = trust the warped value), on B's grid. */
  confidence: Float32Array;
  /** 1 where none of the tests below fired. */
  trusted: Uint8Array;
  disoccluded: Uint8Array;
  motionBoundary: Uint8Array;
  outside: Uint8Array;
}

/** Runs the consistency test; `forward` is A→B on A's grid, `backward` is B→A on B's grid. */
export function confidenceMask(forward: FlowField, backward: FlowField, opts: ConfidenceOptions = {}): ConfidenceMask {
  const { width: w, height: h } = backward;
  if (forward.width !== w || forward.height !== h) {
    throw new RangeError(`confidenceMask: forward flow is ${forward.width}x${forward.height}, backward ${w}x${h}`);
  }
  const n = w * h;
  const disoccluded = new Uint8Array(n), motionBoundary = new Uint8Array(n), outside = new Uint8Array(n), trusted = new Uint8Array(n);
  const fu = forward.u, fv = forward.v, bu = backward.u, bv = backward.v;
  const useBoundaries = opts.motionBoundaries ?? true;
  const xmax = w - 1, ymax = h - 1;
  const dx = w > 1 ? 1 : 0, dy = h > 1 ? w : 0;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      const ub = bu[o], vb = bv[o];
      let sx = x + ub, sy = y + vb;
      let bad = false;
      if (!(sx >= -0.5 && sx <= w - 0.5 && sy >= -0.5 && sy <= h - 0.5)) {
        outside[o] = 1;
        bad = true;
      } else {
        sx = sx > 0 ? (sx < xmax ? sx : xmax) : 0;
        sy = sy > 0 ? (sy < ymax ? sy : ymax) : 0;
        let x0 = Math.floor(sx), y0 = Math.floor(sy);
        if (x0 === xmax && x0 > 0) x0--;
        if (y0 === ymax && y0 > 0) y0--;
        const ax = sx - x0, ay = sy - y0;
        const p = y0 * w + x0;
        const ut = fu[p] + ax * (fu[p + dx] - fu[p]), ubt = fu[p + dy] + ax * (fu[p + dy + dx] - fu[p + dy]);
        const vt = fv[p] + ax * (fv[p + dx] - fv[p]), vbt = fv[p + dy] + ax * (fv[p + dy + dx] - fv[p + dy]);
        const uw = ut + ay * (ubt - ut), vw = vt + ay * (vbt - vt);
        const su = uw + ub, sv = vw + vb;
        if (su * su + sv * sv > 0.01 * (uw * uw + vw * vw + ub * ub + vb * vb) + 0.5) {
          disoccluded[o] = 1;
          bad = true;
        }
      }
      if (useBoundaries) {
        const ux = x < xmax ? bu[o + 1] - ub : 0, vx = x < xmax ? bv[o + 1] - vb : 0;
        const uy = y < ymax ? bu[o + w] - ub : 0, vy = y < ymax ? bv[o + w] - vb : 0;
        if (ux * ux + uy * uy + vx * vx + vy * vy > 0.01 * (ub * ub + vb * vb) + 0.002) {
          motionBoundary[o] = 1;
          bad = true;
        }
      }
      trusted[o] = bad ? 0 : 1;
    }
  }
  const confidence = softenMask(trusted, w, h, opts.erode ?? 2, opts.blur ?? 2);
  return { width: w, height: h, confidence, trusted, disoccluded, motionBoundary, outside };
}

/** Erodes a 0/1 mask by `erode` px (square), box-blurs it by `blur` px, and zeroes the originally untrusted pixels. */
export function softenMask(mask: Uint8Array, w: number, h: number, erode: number, blur: number): Float32Array {
  const n = w * h;
  let m: Float32Array = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = mask[i];
  if (erode > 0) m = boxFilter(m, w, h, erode, 'min');
  if (blur > 0) m = boxFilter(m, w, h, blur, 'mean');
  for (let i = 0; i < n; i++) if (!mask[i]) m[i] = 0;
  return m;
}

/** Separable square filter of radius r (window clipped at the borders): minimum or mean. */
function boxFilter(src: Float32Array, w: number, h: number, r: number, mode: 'min' | 'mean'): Float32Array {
  const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
  const line = (get: (i: number) => number, set: (i: number, v: number) => void, len: number): void => {
    if (mode === 'mean') {
      // Running sum over the clipped window.
      let sum = 0;
      for (let i = 0; i < Math.min(r, len); i++) sum += get(i);
      for (let i = 0; i < len; i++) {
        if (i + r < len) sum += get(i + r);
        if (i - r - 1 >= 0) sum -= get(i - r - 1);
        const count = Math.min(len - 1, i + r) - Math.max(0, i - r) + 1;
        set(i, sum / count);
      }
    } else {
      // Masks are 0/1 here, so the window minimum is 0 iff a 0 lies within r: track the last zero seen from each side.
      let lastZero = -Infinity;
      const left = new Float32Array(len);
      for (let i = 0; i < len; i++) {
        if (get(i) === 0) lastZero = i;
        left[i] = i - lastZero <= r ? 0 : 1;
      }
      let nextZero = Infinity;
      for (let i = len - 1; i >= 0; i--) {
        if (get(i) === 0) nextZero = i;
        set(i, left[i] === 0 || nextZero - i <= r ? 0 : 1);
      }
    }
  };
  for (let y = 0; y < h; y++) line((i) => src[y * w + i], (i, v) => { tmp[y * w + i] = v; }, w);
  for (let x = 0; x < w; x++) line((i) => tmp[i * w + x], (i, v) => { out[i * w + x] = v; }, h);
  return out;
}
