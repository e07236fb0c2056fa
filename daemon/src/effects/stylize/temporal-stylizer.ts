/**
 * Temporal consistency for per-frame effects (Ruder et al. 2016, made cheap):
 * the previous result is warped into the current frame along the optical flow of
 * the SOURCE frames and kept where the warp can be trusted; elsewhere the fresh
 * result shows. What avoids the known failure modes:
 *
 * - grey/dark borders: pixels whose motion leaves the frame are untrusted, so the
 *   fresh frame fills them (never a clamped or black sample);
 * - ghosting on fast motion: besides the forward–backward test, a photometric
 *   check (the warped previous SOURCE must match the current source) distrusts
 *   pixels where the flow is wrong;
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
import type { FloatImage, Image8 } from '../../core/image.ts';
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
}

export function image8ToFloat(img: Image8): FloatImage {
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
 * Backward warp of an RGB float image with a Catmull-Rom (bicubic) kernel, edge
 * clamped. Callers mask out-of-frame samples through the confidence mask.
 */
export function warpBicubic(img: FloatImage, flow: FlowField): Float32Array {
  const { width: w, height: h, data: src } = img;
  const out = new Float32Array(w * h * 3);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const cr = (t: number, k: Float64Array) => {
    const t2 = t * t;
    const t3 = t2 * t;
    k[0] = -0.5 * t3 + t2 - 0.5 * t;
    k[1] = 1.5 * t3 - 2.5 * t2 + 1;
    k[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
    k[3] = 0.5 * t3 - 0.5 * t2;
  };
  const { u, v } = flow;
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
      cr(sx - x0, wx);
      cr(sy - y0, wy);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < 4; j++) {
        const yy = Math.min(h - 1, Math.max(0, y0 - 1 + j));
        const row = yy * w;
        const wyj = wy[j];
        for (let i = 0; i < 4; i++) {
          const xx = Math.min(w - 1, Math.max(0, x0 - 1 + i));
          const p = (row + xx) * 3;
          const k = wx[i] * wyj;
          r += k * src[p];
          g += k * src[p + 1];
          b += k * src[p + 2];
        }
      }
      out[3 * o] = r;
      out[3 * o + 1] = g;
      out[3 * o + 2] = b;
    }
  }
  return out;
}

/** Per-channel mean and std of an interleaved RGB float image. */
function channelStats(data: Float32Array): { mean: number[]; std: number[] } {
  const s = [0, 0, 0];
  const s2 = [0, 0, 0];
  const n = data.length / 3;
  for (let i = 0; i < data.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = data[i + c];
      s[c] += v;
      s2[c] += v * v;
    }
  }
  const mean = s.map((v) => v / n);
  const std = s2.map((v, c) => Math.sqrt(Math.max(0, v / n - mean[c] * mean[c])));
  return { mean, std };
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

/** Blends the warped previous result with the fresh one; returns 8-bit RGB and the mean trusted share (for logs/tests). */
export function temporalBlend(inp: BlendInputs, opts: TemporalOptions): { image: Image8; trustedShare: number } {
  const { width: w, height: h } = inp.fresh;
  const n = w * h;
  const trust = warpTrust(inp.forward, inp.backward, inp.prevSource, inp.source, { threshold: opts.photometricThreshold ?? 0.04, ramp: opts.photometricRamp ?? 0.08 });
  const warped = warpBicubic(image8ToFloat(inp.previous), inp.backward);
  const fresh = image8ToFloat(inp.fresh).data;
  const d0 = opts.agreement ?? 0.08;
  const dRamp = 0.12;
  const key = opts.keyframeInterval > 0 && inp.frameNumber % opts.keyframeInterval === 0;
  const base = key ? opts.temporal * 0.5 : opts.temporal;
  const out = new Float32Array(n * 3);
  let share = 0;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    // Agreement between the carried and the fresh stroke: average when close, keep the carried one when far apart.
    const diff = (Math.abs(warped[j] - fresh[j]) + Math.abs(warped[j + 1] - fresh[j + 1]) + Math.abs(warped[j + 2] - fresh[j + 2])) / 3;
    const keep = diff <= d0 ? 0 : diff >= d0 + dRamp ? 1 : (diff - d0) / dRamp;
    const a = (base + (1 - base) * keep * Math.min(1, base / 0.5)) * trust[i];
    share += a;
    out[j] = a * warped[j] + (1 - a) * fresh[j];
    out[j + 1] = a * warped[j + 1] + (1 - a) * fresh[j + 1];
    out[j + 2] = a * warped[j + 2] + (1 - a) * fresh[j + 2];
  }
  // Tie the global statistics to the fresh stylization: blending and bilinear
  // warping lower contrast a little every frame; corrected here, it cannot accumulate.
  const so = channelStats(out);
  const sf = channelStats(fresh);
  const gain = so.std.map((s, c) => (s > 1e-4 ? Math.min(1.5, Math.max(0.67, sf.std[c] / s)) : 1));
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n * 3; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = ((out[i + c] - so.mean[c]) * gain[c] + sf.mean[c]) * 255 + 0.5;
      data[i + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
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
  let a = image8ToFloat(prev);
  let b = image8ToFloat(cur);
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
