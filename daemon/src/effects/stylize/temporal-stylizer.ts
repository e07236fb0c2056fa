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
 * - smeared texture, contrast loss and darkening that accumulate: the blend keeps
 *   a share of the fresh frame everywhere (memory of about 1/(1−T) frames), and a
 *   global per-channel mean/std correction ties the result's statistics to the
 *   fresh stylization, so nothing drifts over hundreds of frames;
 * - drift of the look: optional keyframes blend in more of the fresh frame.
 *
 * Resume: the state after frame t is rebuilt from what was written for t (and
 * the source), so a resumed job is byte-identical to an uninterrupted one.
 */
import type { FloatImage, Image8 } from '../../core/image.ts';
import { confidenceMask } from '../../flow/occlusion.ts';
import { warpBackward } from '../../flow/warp.ts';
import type { FlowEstimator, FlowField } from '../../flow/types.ts';

export interface TemporalOptions {
  /** Share of the warped previous result kept where trusted (0..1). */
  temporal: number;
  /** Every N frames, halve that share (0 = never). */
  keyframeInterval: number;
  /** Source difference (0..1, mean over RGB) below which the warp is fully trusted, and the width of the ramp to zero. */
  photometricThreshold?: number;
  photometricRamp?: number;
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
  const conf = confidenceMask(inp.forward, inp.backward).confidence;
  const warped = warpBackward(image8ToFloat(inp.previous), inp.backward).image.data;
  const warpedSrc = warpBackward(image8ToFloat(inp.prevSource), inp.backward).image.data;
  const src = inp.source.data;
  const sc = inp.source.channels;
  const fresh = image8ToFloat(inp.fresh).data;
  const t0 = opts.photometricThreshold ?? 0.04;
  const ramp = opts.photometricRamp ?? 0.08;
  const key = opts.keyframeInterval > 0 && inp.frameNumber % opts.keyframeInterval === 0;
  const base = key ? opts.temporal * 0.5 : opts.temporal;
  const out = new Float32Array(n * 3);
  let share = 0;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    const k = sc * i;
    const d = (Math.abs(warpedSrc[j] - src[k] / 255) + Math.abs(warpedSrc[j + 1] - src[k + 1] / 255) + Math.abs(warpedSrc[j + 2] - src[k + 2] / 255)) / 3;
    const photo = d <= t0 ? 1 : d >= t0 + ramp ? 0 : 1 - (d - t0) / ramp;
    const a = base * conf[i] * photo;
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

/** Forward and backward flow between two source frames, as float images. */
export async function sourceFlows(est: FlowEstimator, prev: Image8, cur: Image8, signal?: AbortSignal): Promise<{ forward: FlowField; backward: FlowField }> {
  const a = image8ToFloat(prev);
  const b = image8ToFloat(cur);
  const forward = await est.estimate(a, b, signal);
  const backward = await est.estimate(b, a, signal);
  return { forward, backward };
}
