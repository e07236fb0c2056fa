/**
 * Mapping raw network depth to the 0..1 output range. Monocular networks give relative inverse
 * depth with an arbitrary scale and offset that wander from frame to frame; normalising each
 * frame by its own min–max makes the whole picture pump. Here the mapping is one linear map
 * per clip (robust percentiles pooled over sampled frames), or one that drifts slowly (a
 * Gaussian-weighted average of per-sample percentiles), so a surface keeps its grey level.
 *
 *   v = clamp((raw − lo) / (hi − lo), 0, 1)      (near = 1 = white; raw = lo + v·(hi − lo))
 */

/** A linear map from raw depth to 0..1. */
export interface DepthMapping {
  /** Raw value mapped to 0 (far). */
  lo: number;
  /** Raw value mapped to 1 (near). */
  hi: number;
}

/** Raw-value statistics of a set of samples. */
export interface RawDepthStats {
  min: number;
  max: number;
  /** The low and high percentiles asked for (raw units). */
  lo: number;
  hi: number;
}

/** Percentile p (0..100) of values already sorted ascending, with linear interpolation between ranks. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const i = Math.floor(rank);
  const f = rank - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The k-th smallest value (0-based) of `a[lo..hi]`, moving it to index k (Hoare's selection with a
 * median-of-three pivot, in place): O(n) on average, where sorting millions of pooled samples costs
 * a large part of a short render.
 */
function selectInPlace(a: Float32Array, k: number, lo = 0, hi = a.length - 1): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot value
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) y = x > z ? x : z;
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Percentile p (0..100) of unsorted values, as {@link percentileSorted} would give after sorting (values are reordered). */
function percentileUnsorted(vals: Float32Array, p: number): number {
  const n = vals.length;
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1);
  const i = Math.floor(rank);
  const f = rank - i;
  const v = selectInPlace(vals, i);
  if (f === 0 || i + 1 >= n) return v;
  // The next rank is the smallest value above position i (selection leaves everything after i ≥ a[i]).
  let next = Infinity;
  for (let j = i + 1; j < n; j++) if (vals[j] < next) next = vals[j];
  return v + f * (next - v);
}

/** Min, max and the two percentiles of all finite values of `planes`, pooled. */
export function rawStats(planes: readonly Float32Array[], lowPercentile: number, highPercentile: number): RawDepthStats {
  let total = 0;
  for (const p of planes) total += p.length;
  const pooled = new Float32Array(total);
  let k = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of planes) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i];
      if (v - v === 0) {
        // finite (NaN and ±Infinity give NaN)
        pooled[k++] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (k === 0) return { min: 0, max: 1, lo: 0, hi: 1 };
  const vals = pooled.subarray(0, k);
  return { min, max, lo: percentileUnsorted(vals, lowPercentile), hi: percentileUnsorted(vals, highPercentile) };
}

/** A mapping from percentile statistics; a flat range (constant depth) maps to mid-grey instead of dividing by zero. */
export function mappingFromStats(s: { lo: number; hi: number }): DepthMapping {
  const span = s.hi - s.lo;
  const tiny = 1e-6 * Math.max(1, Math.abs(s.lo), Math.abs(s.hi));
  if (!(span > tiny)) return { lo: s.lo - 0.5, hi: s.lo + 0.5 };
  return { lo: s.lo, hi: s.hi };
}

/** One mapping for the whole clip from sampled raw depth planes. */
export function clipMapping(samples: readonly Float32Array[], lowPercentile: number, highPercentile: number): { mapping: DepthMapping; stats: RawDepthStats } {
  const stats = rawStats(samples, lowPercentile, highPercentile);
  return { mapping: mappingFromStats(stats), stats };
}

/** Per-sample statistics at a source frame index (the keyframes of a sliding normalisation). */
export interface MappingKey {
  frame: number;
  lo: number;
  hi: number;
}

/**
 * Sliding normalisation: the mapping at `frame` is the Gaussian-weighted mean (σ = window/4,
 * so the window spans ±2σ) of the per-sample percentiles. It changes slowly and smoothly
 * however the samples jump, and depends only on the clip, not on where a render starts.
 */
export function slidingMapping(keys: readonly MappingKey[], frame: number, windowFrames: number): DepthMapping {
  if (keys.length === 0) return { lo: 0, hi: 1 };
  const sigma = Math.max(1e-3, windowFrames / 4);
  let ws = 0;
  let lo = 0;
  let hi = 0;
  for (const k of keys) {
    const d = (k.frame - frame) / sigma;
    const w = Math.exp(-0.5 * d * d);
    ws += w;
    lo += w * k.lo;
    hi += w * k.hi;
  }
  if (!(ws > 1e-12)) {
    // Far from every sample (cannot happen with samples spread over the clip): the nearest one.
    let best = keys[0];
    for (const k of keys) if (Math.abs(k.frame - frame) < Math.abs(best.frame - frame)) best = k;
    return mappingFromStats(best);
  }
  return mappingFromStats({ lo: lo / ws, hi: hi / ws });
}

/** Applies a mapping in place or into `out` (no clamping: the temporal filter and the quantiser clamp later). */
export function applyMapping(raw: Float32Array, m: DepthMapping, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(raw.length);
  const s = 1 / (m.hi - m.lo);
  const lo = m.lo;
  for (let i = 0; i < raw.length; i++) dst[i] = (raw[i] - lo) * s;
  return dst;
}

/**
 * Source frames to sample for the statistics: `count` frames spread evenly over [first, last],
 * both ends included (all frames when the range is shorter).
 */
export function sampleFrames(first: number, last: number, count: number): number[] {
  const n = last - first + 1;
  if (n <= count) return Array.from({ length: n }, (_, i) => first + i);
  if (count <= 1) return [Math.round((first + last) / 2)];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const f = first + Math.round((i * (n - 1)) / (count - 1));
    if (out[out.length - 1] !== f) out.push(f);
  }
  return out;
}
