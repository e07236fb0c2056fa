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
 * previous one (on the current grid: cur(x) ≈ prev(x + w(x))). The previous depth and luminance
 * are sampled bilinearly at x + w(x) exactly as flow/warp.ts's warpBackward does (edge-replicated,
 * positions outside [−0.5, W−0.5] × [−0.5, H−0.5] untrusted), fused with the confidence and the
 * blend so no warped image is materialised. `out` (the filtered depth) and `confidence` may be
 * supplied; `out` may be `cur` itself.
 */
export function filterDepthStep(
  cur: Float32Array,
  curLuma: Float32Array,
  prev: { depth: Float32Array; luma: Float32Array },
  flow: FlowField,
  opts: TemporalDepthOptions,
  out?: Float32Array,
  confidence?: Float32Array,
): { depth: Float32Array; confidence: Float32Array | null } {
  const { width: w, height: h, u, v } = flow;
  const n = w * h;
  if (cur.length !== n || curLuma.length !== n || prev.depth.length !== n || prev.luma.length !== n) {
    throw new RangeError(`filterDepthStep: planes of ${cur.length}/${curLuma.length}/${prev.depth.length}/${prev.luma.length} values for a ${w}x${h} flow`);
  }
  const dst = out ?? new Float32Array(n);
  const pd = prev.depth;
  const pl = prev.luma;
  const kI = -0.5 / (opts.photoSigma * opts.photoSigma);
  const kD = -0.5 / (opts.depthSigma * opts.depthSigma);
  const s = opts.strength;
  const xmax = w - 1;
  const ymax = h - 1;
  const xlim = w - 0.5;
  const ylim = h - 0.5;
  const dx = w > 1 ? 1 : 0;
  const dy = h > 1 ? w : 0;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      let sx = x + u[o];
      let sy = y + v[o];
      // Written so that NaN lands in the "outside" branch.
      const inside = sx >= -0.5 && sx <= xlim && sy >= -0.5 && sy <= ylim;
      sx = sx > 0 ? (sx < xmax ? sx : xmax) : 0;
      sy = sy > 0 ? (sy < ymax ? sy : ymax) : 0;
      let x0 = Math.floor(sx);
      let y0 = Math.floor(sy);
      if (x0 === xmax && x0 > 0) x0--;
      if (y0 === ymax && y0 > 0) y0--;
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p = y0 * w + x0;
      const c = cur[o];
      let conf = 0;
      if (inside) {
        const li = w00 * pl[p] + w01 * pl[p + dx] + w10 * pl[p + dy] + w11 * pl[p + dy + dx];
        const dI = curLuma[o] - li;
        conf = Math.exp(kI * dI * dI);
      }
      if (confidence) confidence[o] = conf;
      if (conf === 0 || s === 0) {
        dst[o] = c;
        continue;
      }
      const pv = w00 * pd[p] + w01 * pd[p + dx] + w10 * pd[p + dy] + w11 * pd[p + dy + dx];
      const d = c - pv;
      const a = s * conf * Math.exp(kD * d * d);
      dst[o] = c + a * (pv - c);
    }
  }
  return { depth: dst, confidence: confidence ?? null };
}
