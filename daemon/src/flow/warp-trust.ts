/**
 * How far a warp of the previous frame's result can be trusted, per pixel of
 * the current frame: the forward–backward consistency mask (occlusions, motion
 * boundaries, pixels that entered the frame) times a photometric check — the
 * previous SOURCE, warped by the same flow, must match the current source, or
 * the flow is wrong there (fast motion, flashes). Shared by every effect that
 * carries its previous output along the motion (stylize, dream).
 *
 * The defaults are the strict combination (consistency mask × photometric
 * check). Options let a caller weigh the two tests differently: the consistency
 * test without its motion-boundary part, and a share of trust where only the
 * consistency test objects but the sources match (`inconsistentTrust`). Pixels
 * whose motion leaves the frame are never trusted.
 */
import { toFloatRgb, type Image8 } from '../core/image.ts';
import { confidenceMask, type ConfidenceOptions } from './occlusion.ts';
import type { FlowField } from './types.ts';
import { warpBackward } from './warp.ts';

export interface WarpTrustOptions {
  /** Mean RGB difference (0..1) below which the warp is fully trusted… */
  threshold: number;
  /** …and the width of the ramp down to no trust. */
  ramp: number;
  /** Options of the forward–backward consistency mask (default: its defaults). */
  consistency?: ConfidenceOptions;
  /**
   * Trust (0..1, times the photometric check) kept where the consistency test fails but the
   * pixel stays in the frame (default 0: the mask decides alone). Flow estimated at a coarse
   * scale is often forward–backward inconsistent on non-rigid motion where the warp is fine;
   * the photometric check still rejects real occlusions, whose warped source does not match.
   */
  inconsistentTrust?: number;
  /** Radius of a box average of the photometric difference (default 0: per pixel). Averaging
   * over 3×3 px (radius 1) keeps sensor noise and compression from deciding single pixels. */
  photometricRadius?: number;
}

/** Separable box mean of radius r (window clipped at the borders). */
function boxMean(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w - 1, x + r);
      let s = 0;
      for (let k = x0; k <= x1; k++) s += src[row + k];
      tmp[row + x] = s / (x1 - x0 + 1);
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h - 1, y + r);
    const inv = 1 / (y1 - y0 + 1);
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = y0; k <= y1; k++) s += tmp[k * w + x];
      out[y * w + x] = s * inv;
    }
  }
  return out;
}

/**
 * Trust in 0..1 on the current frame's grid. `forward` is previous→current (on
 * the previous grid), `backward` current→previous (on the current grid).
 */
export function warpTrust(forward: FlowField, backward: FlowField, previousSource: Image8, source: Image8, opts: WarpTrustOptions): Float32Array {
  const mask = confidenceMask(forward, backward, opts.consistency);
  const conf = mask.confidence;
  const outside = mask.outside;
  const lambda = opts.inconsistentTrust ?? 0;
  const warpedSrc = warpBackward(toFloatRgb(previousSource), backward).image.data;
  const src = source.data;
  const sc = source.channels;
  const n = source.width * source.height;
  const { threshold: t0, ramp } = opts;
  let diff: Float32Array = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    const k = sc * i;
    diff[i] = (Math.abs(warpedSrc[j] - src[k] / 255) + Math.abs(warpedSrc[j + 1] - src[k + 1] / 255) + Math.abs(warpedSrc[j + 2] - src[k + 2] / 255)) / 3;
  }
  const r = opts.photometricRadius ?? 0;
  if (r > 0) diff = boxMean(diff, source.width, source.height, r);
  const trust = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = diff[i];
    const photo = d <= t0 ? 1 : d >= t0 + ramp ? 0 : 1 - (d - t0) / ramp;
    const c = conf[i];
    trust[i] = outside[i] ? 0 : (c + (1 - c) * lambda) * photo;
  }
  return trust;
}
