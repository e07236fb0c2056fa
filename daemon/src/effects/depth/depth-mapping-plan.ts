/**
 * The first pass of the depth effect: run the network on frames sampled over the whole range
 * and fix the raw → grey mapping before any frame is written (one mapping per clip, or a
 * slowly sliding one). The sampled frames' raw depth is kept, so the main pass does not run
 * the network on them a second time. The mapping depends only on the clip and the range, so a
 * resumed job maps exactly as the interrupted one did.
 */
import type { VideoFrame } from '../../core/image.ts';
import { clipMapping, mappingFromStats, rawStats, sampleFrames, slidingMapping, type DepthMapping, type MappingKey, type RawDepthStats } from './depth-normalization.ts';
import type { DepthPlane } from './depth-network.ts';

export type NormalizeMode = 'clip' | 'sliding' | 'frame';

/** Frames sampled for the clip-wide statistics (evenly spread; 32 × 61k values pin the 1st/99th percentile well). */
export const CLIP_SAMPLES = 32;
/** Samples per sliding window, and the most raw planes kept from the first pass (memory bound). */
const SAMPLES_PER_WINDOW = 8;
const MAX_SLIDING_SAMPLES = 2000;
const MAX_CACHED = 64;

export interface MappingPlanOptions {
  mode: NormalizeMode;
  lowPercentile: number;
  highPercentile: number;
  /** Sliding window in seconds. */
  windowSeconds: number;
  fps: number;
  range: { first: number; last: number };
  readFrames: (first: number, last: number, pick?: readonly number[]) => AsyncGenerator<VideoFrame>;
  infer: (frame: VideoFrame) => Promise<DepthPlane>;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface MappingPlan {
  mode: NormalizeMode;
  /** The mapping of a frame (`raw` is its own depth, used only in 'frame' mode). */
  mappingFor(frame: number, raw: Float32Array): DepthMapping;
  /** Raw depth of sampled frames, taken (and forgotten) by the main pass. */
  takeCached(frame: number): DepthPlane | undefined;
  /** What goes into result.json so the map can be re-graded. */
  record(): Record<string, unknown>;
}

/**
 * Beyond this many frames between samples, a seek per sample (a process start plus decoding from the
 * previous keyframe, typically under a few hundred frames) is cheaper than decoding every frame.
 */
const SEEK_STRIDE = 150;

/** Streams the sampled frames: one decode pass when they are dense, single-frame seeks when sparse. */
async function* sampledFrames(opts: MappingPlanOptions, frames: number[]): AsyncGenerator<VideoFrame> {
  const want = new Set(frames);
  const span = opts.range.last - opts.range.first + 1;
  if (span / frames.length <= SEEK_STRIDE) {
    // One pass that decodes the frames in between but converts and delivers only the samples.
    for await (const f of opts.readFrames(frames[0], frames[frames.length - 1], frames)) {
      opts.signal?.throwIfAborted();
      if (want.has(f.index)) yield f;
    }
    return;
  }
  for (const i of frames) {
    opts.signal?.throwIfAborted();
    for await (const f of opts.readFrames(i, i)) if (f.index === i) yield f;
  }
}

/** Runs the first pass (nothing to do in 'frame' mode) and returns the plan. */
export async function planDepthMapping(opts: MappingPlanOptions): Promise<MappingPlan> {
  const { mode, lowPercentile: lp, highPercentile: hp, range } = opts;
  const cache = new Map<number, DepthPlane>();
  if (mode === 'frame') {
    return {
      mode,
      mappingFor: (_f, raw) => mappingFromStats(frameStats(raw, lp, hp)),
      takeCached: () => undefined,
      record: () => ({ mode, lowPercentile: lp, highPercentile: hp, mapping: 'per frame: lo, hi = the percentiles of each frame' }),
    };
  }
  const windowFrames = Math.max(1, opts.windowSeconds * opts.fps);
  const count = mode === 'clip' ? CLIP_SAMPLES : Math.min(MAX_SLIDING_SAMPLES, Math.max(CLIP_SAMPLES, Math.ceil(((range.last - range.first + 1) / windowFrames) * SAMPLES_PER_WINDOW)));
  const frames = sampleFrames(range.first, range.last, count);
  opts.log?.(`depth: sampling ${frames.length} frames over ${range.first}:${range.last} for the ${mode} normalisation…`);
  const t0 = performance.now();
  const planes: Float32Array[] = [];
  const keys: MappingKey[] = [];
  const record = (index: number, p: DepthPlane) => {
    planes.push(p.data);
    if (cache.size < MAX_CACHED) cache.set(index, p);
    if (mode === 'sliding') {
      const s = frameStats(p.data, lp, hp);
      keys.push({ frame: index, lo: s.lo, hi: s.hi });
    }
  };
  // One network run in flight while the next sample is decoded and prepared (runs complete in call order).
  let pending: Promise<void> | null = null;
  for await (const f of sampledFrames(opts, frames)) {
    const run = opts.infer(f).then((p) => record(f.index, p));
    run.catch(() => undefined); // rethrown where it is awaited; never an unhandled rejection if an earlier run fails first
    if (pending) await pending;
    pending = run;
  }
  if (pending) await pending;
  const { mapping, stats } = clipMapping(planes, lp, hp);
  opts.log?.(`depth: ${mode} normalisation from ${planes.length} sampled frames in ${((performance.now() - t0) / 1000).toFixed(1)} s: raw ${stats.min.toFixed(4)}…${stats.max.toFixed(4)}, p${lp}=${stats.lo.toFixed(4)}, p${hp}=${stats.hi.toFixed(4)}`);
  const base = { mode, lowPercentile: lp, highPercentile: hp, sampledFrames: planes.length, raw: stats };
  if (mode === 'clip') {
    return {
      mode,
      mappingFor: () => mapping,
      takeCached: (i) => take(cache, i),
      record: () => ({ ...base, mapping: { lo: mapping.lo, hi: mapping.hi } }),
    };
  }
  return {
    mode,
    mappingFor: (i) => slidingMapping(keys, i, windowFrames),
    takeCached: (i) => take(cache, i),
    record: () => ({ ...base, windowSeconds: opts.windowSeconds, keys, mapping: 'per frame: the Gaussian-weighted mean (σ = window/4) of the keys\' lo and hi' }),
  };
}

function take(cache: Map<number, DepthPlane>, i: number): DepthPlane | undefined {
  const p = cache.get(i);
  if (p) cache.delete(i);
  return p;
}

/** The percentiles of one frame's raw depth. */
export function frameStats(raw: Float32Array, lp: number, hp: number): RawDepthStats {
  return rawStats([raw], lp, hp);
}
