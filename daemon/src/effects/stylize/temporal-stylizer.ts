/**
 * Temporal consistency for per-frame effects (Ruder et al. 2016, made cheap):
 * the previous result is warped into the current frame along the optical flow of
 * the SOURCE frames and kept where the warp can be trusted; elsewhere the fresh
 * result shows. What avoids the known failure modes:
 *
 * - grey/dark borders: pixels whose motion leaves the frame are untrusted, so the
 *   fresh frame fills them (never a clamped or black sample); the network itself
 *   runs with a mirrored margin (style-network.ts), so its frame-locked edge strip
 *   — which no warp could carry — never reaches the picture;
 * - ghosting on fast motion: a photometric check (the warped previous SOURCE,
 *   averaged over 3×3 px, must match the current source) distrusts pixels where
 *   the flow is wrong. The forward–backward test weighs in (half trust where it
 *   alone objects); its motion-boundary part is left out, because it rejects
 *   whole non-rigid bodies and parallax planes whose warp is fine, and every
 *   wrongly rejected pixel flickers;
 * - washed-out, smeared texture: a linear blend averages the style network's
 *   texture over frames, and where the network places its strokes differently
 *   from frame to frame that average is grey mush. So the blend is not linear:
 *   where warped and fresh nearly agree they are averaged (removing the fine
 *   flicker), where they disagree strongly on a trusted pixel the carried stroke
 *   is kept whole (no averaging of two different strokes). The previous result is
 *   warped with a Catmull-Rom kernel, which keeps strokes sharp over many frames
 *   where repeated bilinear resampling would blur them;
 * - contrast loss and darkening that accumulate: a global per-channel mean/std
 *   correction ties the result's statistics to the fresh stylization, so nothing
 *   drifts over hundreds of frames;
 * - drift of the look: optional keyframes blend in more of the fresh frame.
 *
 * Resume: the state after frame t is rebuilt from what was written for t (and
 * the source), so a resumed job is byte-identical to an uninterrupted one.
 */
import { toFloatRgb, type FloatImage, type Image8 } from '../../core/image.ts';
import { warpTrust } from '../../flow/warp-trust.ts';
import { resizeFlow } from '../../flow/resize-flow.ts';
import type { FlowEstimator, FlowField } from '../../flow/types.ts';

export interface TemporalOptions {
  /** Share of the warped previous result kept where trusted (0..1). */
  temporal: number;
  /** Every N frames, halve that share (0 = never). */
  keyframeInterval: number;
  /** Source difference (0..1, mean over RGB) below which the warp is fully trusted, and the width of the ramp to zero. */
  photometricThreshold?: number;
  photometricRamp?: number;
  /** Mean RGB difference (0..1) between carried and fresh strokes below which they are averaged. */
  agreement?: number;
  /** Trust kept where the forward–backward test fails but the sources match (see flow/warp-trust.ts; default 0.5). */
  inconsistentTrust?: number;
}

/**
 * Backward warp of an RGB float image with a Catmull-Rom (bicubic) kernel, edge
 * clamped. Callers mask out-of-frame samples through the confidence mask.
 */
export function warpBicubic(img: FloatImage, flow: FlowField): Float32Array {
  const { width: w, height: h, data: src } = img;
  const out = new Float32Array(w * h * 3);
  const { u, v } = flow;
  const row3 = 3 * w;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      let sx = x + u[o];
      let sy = y + v[o];
      if (!(sx >= 0)) sx = 0;
      if (!(sy >= 0)) sy = 0;
      if (sx > w - 1) sx = w - 1;
      if (sy > h - 1) sy = h - 1;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      // Catmull-Rom weights of the four taps at x0-1 … x0+2 (and y).
      const tx = sx - x0, tx2 = tx * tx, tx3 = tx2 * tx;
      const ty = sy - y0, ty2 = ty * ty, ty3 = ty2 * ty;
      const wx0 = -0.5 * tx3 + tx2 - 0.5 * tx, wx1 = 1.5 * tx3 - 2.5 * tx2 + 1, wx2 = -1.5 * tx3 + 2 * tx2 + 0.5 * tx, wx3 = 0.5 * tx3 - 0.5 * tx2;
      const wy0 = -0.5 * ty3 + ty2 - 0.5 * ty, wy1 = 1.5 * ty3 - 2.5 * ty2 + 1, wy2 = -1.5 * ty3 + 2 * ty2 + 0.5 * ty, wy3 = 0.5 * ty3 - 0.5 * ty2;
      let r = 0;
      let g = 0;
      let b = 0;
      if (x0 >= 1 && x0 <= w - 3 && y0 >= 1 && y0 <= h - 3) {
        // Interior: all 16 taps inside, no clamping.
        let p = ((y0 - 1) * w + x0 - 1) * 3;
        for (let j = 0; j < 4; j++, p += row3) {
          const wy = j === 0 ? wy0 : j === 1 ? wy1 : j === 2 ? wy2 : wy3;
          const k0 = wx0 * wy, k1 = wx1 * wy, k2 = wx2 * wy, k3 = wx3 * wy;
          r += k0 * src[p] + k1 * src[p + 3] + k2 * src[p + 6] + k3 * src[p + 9];
          g += k0 * src[p + 1] + k1 * src[p + 4] + k2 * src[p + 7] + k3 * src[p + 10];
          b += k0 * src[p + 2] + k1 * src[p + 5] + k2 * src[p + 8] + k3 * src[p + 11];
        }
      } else {
        for (let j = 0; j < 4; j++) {
          const yy = Math.min(h - 1, Math.max(0, y0 - 1 + j));
          const wy = j === 0 ? wy0 : j === 1 ? wy1 : j === 2 ? wy2 : wy3;
          for (let i = 0; i < 4; i++) {
            const xx = Math.min(w - 1, Math.max(0, x0 - 1 + i));
            const p = (yy * w + xx) * 3;
            const k = (i === 0 ? wx0 : i === 1 ? wx1 : i === 2 ? wx2 : wx3) * wy;
            r += k * src[p];
            g += k * src[p + 1];
            b += k * src[p + 2];
          }
        }
      }
      out[3 * o] = r;
      out[3 * o + 1] = g;
      out[3 * o + 2] = b;
    }
  }
  return out;
}

export interface BlendInputs {
  fresh: Image8;
  /** Previous result, as state (RGB). */
  previous: Image8;
  prevSource: Image8;
  source: Image8;
  /** Flow previous→current (on the previous grid) and current→previous (on the current grid). */
  forward: FlowField;
  backward: FlowField;
  frameNumber: number;
}

/**
 * The consistency mask as temporal stylize uses it: without the motion-boundary
 * test, eroded and softened by 1 px. The motion-boundary test (flow gradient
 * above ~0.045 px/px) fires on every non-rigid or parallax motion — a walking
 * person's whole body, a tilt over layered depth — where the warp is fine; each
 * pixel it wrongly rejects shows the fresh stylization and flickers. Where the
 * flow really is wrong the photometric check rejects the pixel.
 */
const STYLIZE_CONSISTENCY = { motionBoundaries: false, erode: 1, blur: 1 };

/** Blends the warped previous result with the fresh one; returns 8-bit RGB and the mean trusted share (for logs/tests). */
export function temporalBlend(inp: BlendInputs, opts: TemporalOptions): { image: Image8; trustedShare: number } {
  const { width: w, height: h } = inp.fresh;
  const n = w * h;
  const trust = warpTrust(inp.forward, inp.backward, inp.prevSource, inp.source, {
    threshold: opts.photometricThreshold ?? 0.04,
    ramp: opts.photometricRamp ?? 0.08,
    consistency: STYLIZE_CONSISTENCY,
    inconsistentTrust: opts.inconsistentTrust ?? 0.5,
    photometricRadius: 1,
  });
  const warped = warpBicubic(toFloatRgb(inp.previous), inp.backward);
  const fd = inp.fresh.data;
  const fc = inp.fresh.channels;
  const d0 = opts.agreement ?? 0.08;
  const dRamp = 0.12;
  const key = opts.keyframeInterval > 0 && inp.frameNumber % opts.keyframeInterval === 0;
  const base = key ? opts.temporal * 0.5 : opts.temporal;
  const keepShare = (1 - base) * Math.min(1, base / 0.5);
  const out = new Float32Array(n * 3);
  let share = 0;
  // Channel sums of the blend and of the fresh frame, for the statistics tie below.
  let so0 = 0, so1 = 0, so2 = 0, qo0 = 0, qo1 = 0, qo2 = 0;
  let sf0 = 0, sf1 = 0, sf2 = 0, qf0 = 0, qf1 = 0, qf2 = 0;
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += fc) {
    const f0 = fd[k] / 255, f1 = fd[k + 1] / 255, f2 = fd[k + 2] / 255;
    const w0 = warped[j], w1 = warped[j + 1], w2 = warped[j + 2];
    // Agreement between the carried and the fresh stroke: average when close, keep the carried one when far apart.
    const diff = (Math.abs(w0 - f0) + Math.abs(w1 - f1) + Math.abs(w2 - f2)) / 3;
    const keep = diff <= d0 ? 0 : diff >= d0 + dRamp ? 1 : (diff - d0) / dRamp;
    const a = (base + keepShare * keep) * trust[i];
    share += a;
    const o0 = f0 + a * (w0 - f0), o1 = f1 + a * (w1 - f1), o2 = f2 + a * (w2 - f2);
    out[j] = o0;
    out[j + 1] = o1;
    out[j + 2] = o2;
    so0 += o0; so1 += o1; so2 += o2;
    qo0 += o0 * o0; qo1 += o1 * o1; qo2 += o2 * o2;
    sf0 += f0; sf1 += f1; sf2 += f2;
    qf0 += f0 * f0; qf1 += f1 * f1; qf2 += f2 * f2;
  }
  // Tie the global statistics to the fresh stylization: blending and resampling
  // lower contrast a little every frame; corrected here, it cannot accumulate.
  const std = (s: number, q: number) => Math.sqrt(Math.max(0, q / n - (s / n) * (s / n)));
  const gainOf = (o: number, f: number) => (o > 1e-4 ? Math.min(1.5, Math.max(0.67, f / o)) : 1);
  const g0 = gainOf(std(so0, qo0), std(sf0, qf0)), g1 = gainOf(std(so1, qo1), std(sf1, qf1)), g2 = gainOf(std(so2, qo2), std(sf2, qf2));
  // v' = (v − mean_out)·gain + mean_fresh, in 8-bit units with rounding.
  const c0 = (sf0 / n - (so0 / n) * g0) * 255 + 0.5, c1 = (sf1 / n - (so1 / n) * g1) * 255 + 0.5, c2 = (sf2 / n - (so2 / n) * g2) * 255 + 0.5;
  const m0 = g0 * 255, m1 = g1 * 255, m2 = g2 * 255;
  const data = new Uint8Array(n * 3);
  for (let j = 0; j < n * 3; j += 3) {
    const v0 = out[j] * m0 + c0, v1 = out[j + 1] * m1 + c1, v2 = out[j + 2] * m2 + c2;
    data[j] = v0 <= 0 ? 0 : v0 >= 255 ? 255 : v0;
    data[j + 1] = v1 <= 0 ? 0 : v1 >= 255 ? 255 : v1;
    data[j + 2] = v2 <= 0 ? 0 : v2 >= 255 ? 255 : v2;
  }
  return { image: { width: w, height: h, channels: 3, data }, trustedShare: share / n / Math.max(base, 1e-9) };
}

/** Mixes `styled` over the source: strength 1 = styled only. */
export function mixWithSource(styled: Image8, source: Image8, strength: number): Image8 {
  if (strength >= 1) return styled;
  const n = styled.width * styled.height;
  const out = new Uint8Array(n * 3);
  const sc = source.channels;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = strength * styled.data[3 * i + c] + (1 - strength) * source.data[sc * i + c] + 0.5;
      out[3 * i + c] = v >= 255 ? 255 : v;
    }
  }
  return { width: styled.width, height: styled.height, channels: 3, data: out };
}

/** Inverse of mixWithSource as far as 8 bits allow: the temporal state behind a written frame. */
export function unmixFromSource(written: Image8, source: Image8, strength: number): Image8 {
  if (strength >= 1 || strength <= 0) return strength <= 0 ? source : written;
  const n = written.width * written.height;
  const out = new Uint8Array(n * 3);
  const sc = source.channels;
  const wc = written.channels;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (written.data[wc * i + c] - (1 - strength) * source.data[sc * i + c]) / strength + 0.5;
      out[3 * i + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
  return { width: written.width, height: written.height, channels: 3, data: out };
}

/** 2×2 box average to half size (RGB float): the flow of large frames is estimated at half resolution. */
function halfSize(img: FloatImage): FloatImage {
  const w = img.width >> 1;
  const h = img.height >> 1;
  const out = new Float32Array(w * h * 3);
  const src = img.data;
  const sw = img.width;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = ((2 * y) * sw + 2 * x) * 3;
      const q = p + sw * 3;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = 0.25 * (src[p + c] + src[p + 3 + c] + src[q + c] + src[q + 3 + c]);
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/**
 * Forward and backward flow between two source frames. Frames wider than
 * `halfAbove` pixels are compared at half size and the flow scaled back up:
 * a quarter of the work, and the warp of a painted frame needs no finer motion.
 */
export async function sourceFlows(est: FlowEstimator, prev: Image8, cur: Image8, signal?: AbortSignal, halfAbove = 480): Promise<{ forward: FlowField; backward: FlowField }> {
  let a = toFloatRgb(prev);
  let b = toFloatRgb(cur);
  const half = prev.width > halfAbove;
  if (half) {
    a = halfSize(a);
    b = halfSize(b);
  }
  let forward = await est.estimate(a, b, signal);
  let backward = await est.estimate(b, a, signal);
  if (half) {
    forward = resizeFlow(forward, prev.width, prev.height);
    backward = resizeFlow(backward, prev.width, prev.height);
  }
  return { forward, backward };
}
