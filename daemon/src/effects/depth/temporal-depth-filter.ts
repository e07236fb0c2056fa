/**
 * Flow-guided temporal filtering of a depth sequence (a recursive, edge-stopping filter along
 * the motion). The previous *output* depth is warped into the current frame along the optical
 * flow and blended with the new depth, per pixel, with weight
 *
 *   α = strength · c_flow · exp(−½ (Δd / σ_d)²),   Δd = d_new − d_prev∘warp
 *   c_flow = [x + w(x) inside the frame] · exp(−½ (ΔI / σ_I)²),   ΔI = I_cur − I_prev∘warp
 *
 * so static and slowly moving surfaces, whose depth agrees from frame to frame, are averaged
 * (their flicker falls roughly by √((1+α)/(1−α))), while where the flow is unreliable
 * (occlusion, a wrong vector: the warped luminance does not match) or the depth really changed
 * (a moving object arriving: |Δd| large) the new depth is taken as is, so nothing lags.
 */
import type { FlowField } from '../../flow/types.ts';
import { warpBackward } from '../../flow/warp.ts';

export interface TemporalDepthOptions {
  /** Largest weight of the warped previous depth (0 = off). */
  strength: number;
  /** Depth difference (normalised units, 0..1 = the clip's range) at which blending fades (edge stopping). */
  depthSigma: number;
  /** Luminance mismatch (0..1) after warping at which the flow is no longer trusted. */
  photoSigma: number;
}

export const DEFAULT_TEMPORAL: Omit<TemporalDepthOptions, 'strength'> = { depthSigma: 0.12, photoSigma: 0.025 };

/**
 * Flow confidence from the photometric check: exp(−½(ΔI/σ)²) where the warped previous
 * luminance matches the current one, 0 where the flow points outside the frame. `stride` reads
 * the warped values from an interleaved buffer.
 */
export function flowConfidence(curLuma: Float32Array, warpedPrevLuma: ArrayLike<number>, outside: Uint8Array, photoSigma: number, out?: Float32Array, stride = 1): Float32Array {
  const n = curLuma.length;
  const dst = out ?? new Float32Array(n);
  const k = -0.5 / (photoSigma * photoSigma);
  for (let i = 0, j = 0; i < n; i++, j += stride) {
    const d = curLuma[i] - warpedPrevLuma[j];
    dst[i] = outside[i] ? 0 : Math.exp(k * d * d);
  }
  return dst;
}

/** The blend itself: out = α·prevWarped + (1−α)·cur with α as in the file comment (`stride` as above). */
export function blendTemporal(cur: Float32Array, prevWarped: ArrayLike<number>, confidence: Float32Array, opts: TemporalDepthOptions, out?: Float32Array, stride = 1): Float32Array {
  const n = cur.length;
  const dst = out ?? new Float32Array(n);
  const k = -0.5 / (opts.depthSigma * opts.depthSigma);
  const s = opts.strength;
  for (let i = 0, j = 0; i < n; i++, j += stride) {
    const c = cur[i];
    const p = prevWarped[j];
    const d = c - p;
    const a = s * confidence[i] * Math.exp(k * d * d);
    dst[i] = c + a * (p - c);
  }
  return dst;
}

/**
 * One step of the filter on the working grid. `flow` is the flow from the current frame to the
 * previous one (on the current grid: cur(x) ≈ prev(x + w(x))).
 */
export function filterDepthStep(
  cur: Float32Array,
  curLuma: Float32Array,
  prev: { depth: Float32Array; luma: Float32Array },
  flow: FlowField,
  opts: TemporalDepthOptions,
): { depth: Float32Array; confidence: Float32Array } {
  // Depth and luminance warped together as one 2-channel image (one pass over the flow).
  const n = cur.length;
  const packed = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    packed[2 * i] = prev.depth[i];
    packed[2 * i + 1] = prev.luma[i];
  }
  const warped = warpBackward({ width: flow.width, height: flow.height, channels: 2, data: packed }, flow);
  const w = warped.image.data;
  const confidence = flowConfidence(curLuma, w.subarray(1), warped.outside, opts.photoSigma, undefined, 2);
  return { depth: blendTemporal(cur, w, confidence, opts, undefined, 2), confidence };
}
