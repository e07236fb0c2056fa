/**
 * Dense Inverse Search optical flow (Kroeger, Timofte, Dai, Van Gool, ECCV 2016) on grey planes,
 * coarse to fine: per level, patch inverse search → densification → variational refinement,
 * then upsampling to the next finer level. The finest levels can be skipped (`finestScale`);
 * the result is then upsampled to full resolution.
 *
 * Optionally (`consistency`), a backward flow is computed alongside at every level; at the finest
 * computed level, forward vectors that the backward flow contradicts are replaced by a push–pull
 * interpolation of the trusted ones and the forward flow is refined once more. Coarse-to-fine local
 * search locks onto wrong matches where motion is large and texture repetitive (a tiled floor rushing
 * past); such regions seldom come out the same way in both directions, so the check finds them.
 */
import { halve, padReplicate, sobel, type Plane } from './gray-pyramid.ts';
import { patchInverseSearch, sparseGrid, type PatchSearchParams, type SparseFlow } from './patch-search.ts';
import { densify } from './densify.ts';
import { variationalRefine, type RefineParams } from './variational-refine.ts';
import { resampleFlow } from '../resize-flow.ts';
import { medianSparse } from './median-sparse.ts';
import { consistencyTrust, matchResidual } from './consistency-trust.ts';
import { fillUntrusted } from './fill-untrusted.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

/** The forward–backward check (see the module comment). */
export interface ConsistencyParams {
  /** Tolerance of the check, in pixels of the finest computed level (Ruder et al.'s test plus tol²). */
  tolerance: number;
  /**
   * The backward flow only has to be right where the forward one is, so it is computed more cheaply:
   * these replace the forward search's stride and iterations and the refinement's iterations.
   */
  backward: { stride: number; iterations: number; refineIterations: number };
  /** Refinement iterations of the forward flow at the finest level before the check… */
  refineBefore: number;
  /** …and after the untrusted vectors are filled. */
  refineAfter: number;
  /**
   * Photometric arbitration (null = off): a contradiction is overruled where the backward vector
   * explains its own pixel much worse than the forward one does (mean absolute grey residuals over a
   * (2·radius+1)² box: B's > factor · F's + margin, on 0..255). Keeps fast thin parts that the crude
   * backward flow misses, at the price of catching fewer wrong regions (see docs/flow.md).
   */
  arbitration: { radius: number; factor: number; margin: number } | null;
}

export interface DisParams {
  /** Finest pyramid level that is computed (0 = full resolution, 1 = half, …), at most. */
  finestScale: number;
  /**
   * …but never so coarse that the finest computed level's longer side drops below this many pixels:
   * small frames are computed at (or near) full resolution, where objects still span several patches.
   */
  minFinestSide: number;
  /** Coarsest level; null = automatic (largest motion about a quarter of the image, patches still fit). */
  coarsestScale: number | null;
  search: PatchSearchParams;
  /**
   * 3×3 median of the sparse patch vectors before densification: drops isolated wrong matches
   * (repetitive texture, moving shadows) before they are spread by densification and refinement.
   */
  sparseMedian: boolean;
  refine: RefineParams;
  /** Forward–backward check at the finest level; null = off (one direction only). */
  consistency: ConsistencyParams | null;
}

export interface DisResult {
  width: number;
  height: number;
  u: Float32Array;
  v: Float32Array;
}

/** The automatic coarsest level, as in OpenCV's DIS: max(w,h)/2^s ≈ 4·patch, min(w,h)/2^s ≥ patch. */
export function autoCoarsestScale(w: number, h: number, patchSize: number): number {
  const a = Math.floor(Math.log2(Math.max(w, h) / (4 * patchSize)) + 0.5);
  const b = Math.floor(Math.log2(Math.min(w, h) / patchSize));
  return Math.max(0, Math.min(a, b));
}

/** Observer of intermediate results (for diagnostics and tests); 'filled' follows the consistency fill. */
export type DisTrace = (scale: number, stage: 'init' | 'densify' | 'refine' | 'filled', u: Float32Array, v: Float32Array, w: number, h: number) => void;

/**
 * Flow from `a` to `b` (grey planes, 0..255). `pool` lends working buffers across calls; the returned
 * arrays are always fresh.
 */
export function disFlow(a: Plane, b: Plane, p: DisParams, signal?: AbortSignal, trace?: DisTrace, pool: Pool = NO_POOL): DisResult {
  const { width: W, height: H } = a;
  const psz = p.search.patchSize;
  let coarsest = p.coarsestScale ?? autoCoarsestScale(W, H, psz);
  // Never go below the patch size.
  while (coarsest > 0 && (W >> coarsest < psz || H >> coarsest < psz)) coarsest--;
  const bySize = Math.max(0, Math.floor(Math.log2(Math.max(W, H) / Math.max(1, p.minFinestSide))));
  const finest = Math.min(p.finestScale, bySize, coarsest);
  // Replicated border of I1: the search clamps patch positions to it and needs ≥ patch size + 1.
  const border = Math.max(16, psz + 2);

  const p0: Plane[] = [a];
  const p1: Plane[] = [b];
  for (let s = 1; s <= coarsest; s++) {
    p0.push(halve(p0[s - 1], pool, `p0@${s}`));
    p1.push(halve(p1[s - 1], pool, `p1@${s}`));
  }

  const c = p.consistency;
  const back: DisParams | null = c && {
    ...p,
    search: { ...p.search, stride: c.backward.stride, iterations: c.backward.iterations },
    refine: { ...p.refine, iterations: c.backward.refineIterations },
  };
  let u: Float32Array | null = null, v: Float32Array | null = null;
  let bu: Float32Array | null = null, bv: Float32Array | null = null;
  for (let s = coarsest; s >= finest; s--) {
    signal?.throwIfAborted();
    const last = s === finest;
    // The flow of full resolution is returned when no final upsampling follows: never pool it.
    const fwd = c && last ? { ...p, refine: { ...p.refine, iterations: c.refineBefore } } : p;
    ({ u, v } = levelStep(p0[s], p1[s], s, s === 0, u, v, p0[s + 1], fwd, border, pool, '', trace));
    if (!c || !back) continue;
    ({ u: bu, v: bv } = levelStep(p1[s], p0[s], s, false, bu, bv, p1[s + 1], back, border, pool, 'b:'));
    if (!last) continue;
    const { width: w, height: h } = p0[s];
    const ar = c.arbitration;
    const arb = ar ? {
      forward: matchResidual(p0[s], p1[s], u, v, ar.radius, pool, 'resf'),
      backward: matchResidual(p1[s], p0[s], bu, bv, ar.radius, pool, 'resb'),
      factor: ar.factor, margin: ar.margin,
    } : undefined;
    const trust = consistencyTrust(u, v, bu, bv, w, h, c.tolerance, pool.f32('trust', w * h), arb);
    fillUntrusted(u, v, trust, w, h, pool, 'fill');
    trace?.(s, 'filled', u, v, w, h);
    variationalRefine(p0[s], p1[s], u, v, { ...p.refine, iterations: c.refineAfter }, pool, `refine@${s}`);
    trace?.(s, 'refine', u, v, w, h);
  }
  if (finest > 0) {
    const f = 1 << finest;
    ({ u, v } = resampleFlow(u!, v!, p0[finest].width, p0[finest].height, W, H, f, f));
  }
  return { width: W, height: H, u: u!, v: v! };
}

/**
 * One pyramid level in one direction: upsample the coarser flow (if any), inverse search,
 * densification, refinement. `dir` keeps the two directions' pooled buffers apart.
 */
function levelStep(
  i0: Plane, i1: Plane, s: number, fresh: boolean, cu: Float32Array | null, cv: Float32Array | null, coarser: Plane | undefined,
  p: DisParams, border: number, pool: Pool, dir: string, trace?: DisTrace,
): { u: Float32Array; v: Float32Array } {
  const psz = p.search.patchSize;
  const { width: w, height: h } = i0;
  const first = cu === null;
  const u: Float32Array = fresh ? new Float32Array(w * h) : pool.f32(`${dir}u@${s}`, w * h, first);
  const v: Float32Array = fresh ? new Float32Array(w * h) : pool.f32(`${dir}v@${s}`, w * h, first);
  if (cu && cv && coarser) resampleFlow(cu, cv, coarser.width, coarser.height, w, h, 2, 2, u, v);
  trace?.(s, 'init', u, v, w, h);
  if (w >= psz && h >= psz) {
    const { gx, gy } = sobel(i0, pool, `${dir}sobel@${s}`);
    const grid = sparseGrid(w, h, p.search);
    const m = grid.cols * grid.rows;
    const sparse: SparseFlow = { ...grid, u: pool.f32(`${dir}su@${s}`, m), v: pool.f32(`${dir}sv@${s}`, m) };
    const i1ext = padReplicate(i1, border, pool, `${dir}ext@${s}`);
    patchInverseSearch({ i0, i1ext, border, gx, gy }, u, v, p.search, sparse, pool, `${dir}search@${s}`);
    if (p.sparseMedian) medianSparse(sparse, pool.f32(`${dir}median@${s}`, m));
    densify(i0, i1ext, border, sparse, psz, p.search.stride, u, v, pool, `${dir}densify@${s}`);
    trace?.(s, 'densify', u, v, w, h);
  }
  variationalRefine(i0, i1, u, v, p.refine, pool, `${dir}refine@${s}`);
  trace?.(s, 'refine', u, v, w, h);
  return { u, v };
}
