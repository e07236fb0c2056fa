/**
 * Video dreams without flicker: each frame's dream starts from the previous
 * frame's dream carried along the SOURCE's optical flow, where that flow can
 * be trusted, and from the fresh source frame elsewhere. The patterns then
 * follow the motion and keep growing on the same spots instead of being
 * re-hallucinated at random places every frame.
 *
 * Trust = forward–backward consistency (occlusions, motion boundaries, pixels
 * that entered the frame: flow/occlusion.ts) × a photometric check (the
 * previous source, warped, must match the current source), scaled by the
 * `temporal` share. The previous dream is warped with a Catmull-Rom kernel so
 * its detail stays sharp over many frames.
 */
import { toFloatRgb, type Image8 } from '../../core/image.ts';
import { warpTrust } from '../../flow/warp-trust.ts';
import type { FlowField } from '../../flow/types.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';
import { warpBicubic } from '../stylize/temporal-stylizer.ts';

export interface CarryInputs {
  /** The dream written for the previous frame, and that frame's source. */
  previousDream: Image8;
  previousSource: Image8;
  source: Image8;
  /** Flow previous→current (on the previous grid) and current→previous (on the current grid). */
  forward: FlowField;
  backward: FlowField;
}

/** Mean RGB difference (0..1) of the sources below which the warp is fully trusted, and the ramp to no trust. */
const PHOTO_T0 = 0.05;
const PHOTO_RAMP = 0.1;

/**
 * The starting image of a frame's dream (planar RGB, pixel units): per pixel,
 * a · warped previous dream + (1 − a) · source, with a = temporal × trust.
 * Also returns the mean of a / temporal (the trusted share, for logs).
 */
export function carriedStart(inp: CarryInputs, temporal: number): { start: PlanarImage; trustedShare: number } {
  const { width: w, height: h } = inp.source;
  const n = w * h;
  const trusted = warpTrust(inp.forward, inp.backward, inp.previousSource, inp.source, { threshold: PHOTO_T0, ramp: PHOTO_RAMP });
  const warped = warpBicubic(toFloatRgb(inp.previousDream), inp.backward);
  const src = inp.source.data;
  const sc = inp.source.channels;
  const out = new Float32Array(3 * n);
  let share = 0;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    const k = sc * i;
    const s0 = src[k]!, s1 = src[k + 1]!, s2 = src[k + 2]!;
    const trust = trusted[i]!;
    const a = temporal * trust;
    share += trust;
    out[i] = a * warped[j]! * 255 + (1 - a) * s0;
    out[n + i] = a * warped[j + 1]! * 255 + (1 - a) * s1;
    out[2 * n + i] = a * warped[j + 2]! * 255 + (1 - a) * s2;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? 0 : out[i]! > 255 ? 255 : out[i]!;
  return { start: { data: out, channels: 3, height: h, width: w }, trustedShare: share / n };
}
