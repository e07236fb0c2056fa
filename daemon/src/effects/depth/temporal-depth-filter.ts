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
 * Samples `src` (w×h) at x + flow(x) with bilinear interpolation (backward warping, the flow
 * module's convention). `inside` is 1 where the sample point lies in the frame, else 0 (and the
 * value is the clamped border sample).
 */
export function warpPlane(src: Float32Array, flow: FlowField, out?: Float32Array, inside?: Uint8Array): { data: Float32Array; inside: Uint8Array } {
  const { width: w, height: h, u, v } = flow;
  const dst = out ?? new Float32Array(w * h);
  const ins = inside ?? new Uint8Array(w * h);
  const xmax = w - 1;
  const ymax = h - 1;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      let sx = x + u[o];
      let sy = y + v[o];
      // Half a pixel of tolerance: sampling at the border pixel centre's edge is still inside.
      ins[o] = sx >= -0.5 && sx <= xmax + 0.5 && sy >= -0.5 && sy <= ymax + 0.5 ? 1 : 0;
      sx = sx < 0 ? 0 : sx > xmax ? xmax : sx;
      sy = sy < 0 ? 0 : sy > ymax ? ymax : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 < xmax ? x0 + 1 : x0;
      const y1 = y0 < ymax ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const a = src[y0 * w + x0];
      const b = src[y0 * w + x1];
      const c = src[y1 * w + x0];
      const d = src[y1 * w + x1];
      const top = a + fx * (b - a);
      const bot = c + fx * (d - c);
      dst[o] = top + fy * (bot - top);
    }
  }
  return { data: dst, inside: ins };
}

/**
 * Flow confidence from the photometric check: exp(−½(ΔI/σ)²) where the warped previous
 * luminance matches the current one, 0 where the flow points outside the frame.
 */
export function flowConfidence(curLuma: Float32Array, warpedPrevLuma: Float32Array, inside: Uint8Array, photoSigma: number, out?: Float32Array): Float32Array {
  const n = curLuma.length;
  const dst = out ?? new Float32Array(n);
  const k = -0.5 / (photoSigma * photoSigma);
  for (let i = 0; i < n; i++) {
    const d = curLuma[i] - warpedPrevLuma[i];
    dst[i] = inside[i] ? Math.exp(k * d * d) : 0;
  }
  return dst;
}

/** The blend itself: out = α·prevWarped + (1−α)·cur with α as in the file comment. */
export function blendTemporal(cur: Float32Array, prevWarped: Float32Array, confidence: Float32Array, opts: TemporalDepthOptions, out?: Float32Array): Float32Array {
  const n = cur.length;
  const dst = out ?? new Float32Array(n);
  const k = -0.5 / (opts.depthSigma * opts.depthSigma);
  const s = opts.strength;
  for (let i = 0; i < n; i++) {
    const c = cur[i];
    const p = prevWarped[i];
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
  const wd = warpPlane(prev.depth, flow);
  const wl = warpPlane(prev.luma, flow, undefined, wd.inside);
  const confidence = flowConfidence(curLuma, wl.data, wd.inside, opts.photoSigma);
  return { depth: blendTemporal(cur, wd.data, confidence, opts), confidence };
}
