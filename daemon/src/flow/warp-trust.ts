/**
 * How far a warp of the previous frame's result can be trusted, per pixel of
 * the current frame: the forward–backward consistency mask (occlusions, motion
 * boundaries, pixels that entered the frame) times a photometric check — the
 * previous SOURCE, warped by the same flow, must match the current source, or
 * the flow is wrong there (fast motion, flashes). Shared by every effect that
 * carries its previous output along the motion (stylize, dream).
 */
import type { Image8 } from '../core/image.ts';
import { confidenceMask } from './occlusion.ts';
import type { FlowField } from './types.ts';
import { warpBackward } from './warp.ts';

export interface WarpTrustOptions {
  /** Mean RGB difference (0..1) below which the warp is fully trusted… */
  threshold: number;
  /** …and the width of the ramp down to no trust. */
  ramp: number;
}

/** RGB(A) 8-bit → interleaved RGB float 0..1. */
function rgbFloat(img: Image8): { width: number; height: number; channels: 3; data: Float32Array } {
  const out = new Float32Array(img.width * img.height * 3);
  const d = img.data;
  const c = img.channels;
  for (let i = 0, j = 0; j < out.length; i += c, j += 3) {
    out[j] = d[i] / 255;
    out[j + 1] = d[i + 1] / 255;
    out[j + 2] = d[i + 2] / 255;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/**
 * Trust in 0..1 on the current frame's grid. `forward` is previous→current (on
 * the previous grid), `backward` current→previous (on the current grid).
 */
export function warpTrust(forward: FlowField, backward: FlowField, previousSource: Image8, source: Image8, opts: WarpTrustOptions): Float32Array {
  const conf = confidenceMask(forward, backward).confidence;
  const warpedSrc = warpBackward(rgbFloat(previousSource), backward).image.data;
  const src = source.data;
  const sc = source.channels;
  const n = source.width * source.height;
  const { threshold: t0, ramp } = opts;
  const trust = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    const k = sc * i;
    const d = (Math.abs(warpedSrc[j] - src[k] / 255) + Math.abs(warpedSrc[j + 1] - src[k + 1] / 255) + Math.abs(warpedSrc[j + 2] - src[k + 2] / 255)) / 3;
    const photo = d <= t0 ? 1 : d >= t0 + ramp ? 0 : 1 - (d - t0) / ramp;
    trust[i] = conf[i] * photo;
  }
  return trust;
}
