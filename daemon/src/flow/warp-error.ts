/**
 * Temporal stability of a processed clip: the warping error of Lai et al. ("Learning Blind Video
 * Temporal Consistency", ECCV 2018, §5). Flow is estimated on the SOURCE frames; output frame t+1
 * is warped onto frame t with the flow t→t+1, and
 *
 *   E_t = Σ_{valid x} Σ_c (warp(O_{t+1})(x, c) − O_t(x, c))² / #valid,
 *
 * with valid = the Ruder et al. consistency mask on frame t's grid (not disoccluded, not a motion
 * boundary, not leaving the frame). E_warp is the mean of E_t; values are on the 0..1 scale.
 * The record also carries per-channel mean and standard deviation of the output and the mean of a
 * band along the frame border (a grey or black border shows up there).
 */
import type { FloatImage } from '../core/image.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { confidenceMask } from './occlusion.ts';
import { resizeFlow } from './resize-flow.ts';
import { estimatePair, type FlowEstimator } from './types.ts';
import { warpBackward } from './warp.ts';

export interface WarpErrorOptions {
  /** Width of the border band in pixels (default 16). */
  borderBand?: number;
  signal?: AbortSignal;
  /** Called after each frame pair (done pairs, total pairs). */
  onProgress?: (done: number, total: number) => void;
}

export interface WarpErrorRecord {
  /** The flow estimator used on the source frames. */
  flow: string;
  frames: number;
  pairs: number;
  width: number;
  height: number;
  channels: number;
  /** Mean of E_t over the pairs (null with fewer than two frames). */
  warpError: number | null;
  /** E_t for each pair (t, t+1). */
  perPair: number[];
  /** Mean fraction of pixels that passed the consistency test. */
  validFraction: number;
  /** Per-channel mean and standard deviation of all output pixels. */
  mean: number[];
  std: number[];
  /** Per-channel mean over the band of `borderBand` pixels along the frame edges, and over the rest. */
  borderMean: number[];
  interiorMean: number[];
  borderBand: number;
}

/** Computes the record; `sourceFrames[i]` and `outputFrames[i]` are the same instant. */
export async function warpError(sourceFrames: FloatImage[], outputFrames: FloatImage[], estimator: FlowEstimator, opts: WarpErrorOptions = {}): Promise<WarpErrorRecord> {
  if (sourceFrames.length !== outputFrames.length || outputFrames.length === 0) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `Warping error needs as many source frames as output frames, at least one (got ${sourceFrames.length} and ${outputFrames.length}).`,
      hint: 'Pass the source range the result was made from.',
    });
  }
  const { width: W, height: H, channels: C } = outputFrames[0];
  for (const f of outputFrames) {
    if (f.width !== W || f.height !== H || f.channels !== C) {
      throw new DreamLayerError('PARAM_INVALID', { message: `Output frames differ in size or channels (${W}x${H}x${C} vs ${f.width}x${f.height}x${f.channels}).` });
    }
  }
  const band = opts.borderBand ?? 16;
  const perPair: number[] = [];
  let validSum = 0;
  const pairs = outputFrames.length - 1;
  for (let t = 0; t < pairs; t++) {
    opts.signal?.throwIfAborted();
    // Flow on the source frames, resized to the output grid if the effect changed the size.
    const { forward, backward } = await estimatePair(estimator, sourceFrames[t], sourceFrames[t + 1], opts.signal);
    const fwd = resizeFlow(forward, W, H), bwd = resizeFlow(backward, W, H);
    // Frame t plays "B" (the grid of the mask), frame t+1 plays "A": the warp is warpBackward(O_{t+1}, flow t→t+1).
    const mask = confidenceMask(bwd, fwd);
    const warped = warpBackward(outputFrames[t + 1], fwd).image.data;
    const ot = outputFrames[t].data;
    let sum = 0, count = 0;
    for (let i = 0, n = W * H; i < n; i++) {
      if (!mask.trusted[i]) continue;
      count++;
      for (let c = 0, j = i * C; c < C; c++, j++) {
        const d = warped[j] - ot[j];
        sum += d * d;
      }
    }
    perPair.push(count ? sum / count : 0);
    validSum += count / (W * H);
    opts.onProgress?.(t + 1, pairs);
  }
  const stats = outputStats(outputFrames, band);
  return {
    flow: estimator.name,
    frames: outputFrames.length,
    pairs,
    width: W,
    height: H,
    channels: C,
    warpError: pairs ? perPair.reduce((a, b) => a + b, 0) / pairs : null,
    perPair,
    validFraction: pairs ? validSum / pairs : 0,
    ...stats,
    borderBand: band,
  };
}

function outputStats(frames: FloatImage[], band: number): Pick<WarpErrorRecord, 'mean' | 'std' | 'borderMean' | 'interiorMean'> {
  const { width: W, height: H, channels: C } = frames[0];
  const sum = new Float64Array(C), sq = new Float64Array(C), bsum = new Float64Array(C), isum = new Float64Array(C);
  let bcount = 0, icount = 0;
  for (const f of frames) {
    const d = f.data;
    for (let y = 0, i = 0; y < H; y++) {
      const rowBand = y < band || y >= H - band;
      for (let x = 0; x < W; x++, i++) {
        const inBand = rowBand || x < band || x >= W - band;
        if (inBand) bcount++; else icount++;
        for (let c = 0, j = i * C; c < C; c++, j++) {
          const v = d[j];
          sum[c] += v;
          sq[c] += v * v;
          if (inBand) bsum[c] += v; else isum[c] += v;
        }
      }
    }
  }
  const total = frames.length * W * H;
  const mean = Array.from(sum, (s) => s / total);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(0, s / total - mean[c] * mean[c])));
  return {
    mean,
    std,
    borderMean: Array.from(bsum, (s) => (bcount ? s / bcount : NaN)),
    interiorMean: Array.from(isum, (s) => (icount ? s / icount : NaN)),
  };
}
