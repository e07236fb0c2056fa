/**
 * Dense Inverse Search optical flow (Kroeger, Timofte, Dai, Van Gool, ECCV 2016) on grey planes,
 * coarse to fine: per level, patch inverse search → densification → variational refinement,
 * then upsampling to the next finer level. The finest levels can be skipped (`finestScale`);
 * the result is then upsampled to full resolution.
 */
import { halve, padReplicate, sobel, type Plane } from './gray-pyramid.ts';
import { patchInverseSearch, sparseGrid, type PatchSearchParams, type SparseFlow } from './patch-search.ts';
import { densify } from './densify.ts';
import { variationalRefine, type RefineParams } from './variational-refine.ts';
import { upsampleFlow } from './upsample-flow.ts';
import { medianSparse } from './median-sparse.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

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

/** Observer of intermediate results (for diagnostics and tests). */
export type DisTrace = (scale: number, stage: 'init' | 'densify' | 'refine', u: Float32Array, v: Float32Array, w: number, h: number) => void;

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

  let u: Float32Array | null = null;
  let v: Float32Array | null = null;
  for (let s = coarsest; s >= finest; s--) {
    signal?.throwIfAborted();
    const i0 = p0[s], i1 = p1[s];
    const { width: w, height: h } = i0;
    // The flow of the finest level is returned when no final upsampling follows: never pool it.
    const fresh = s === 0;
    const first = u === null;
    const nu: Float32Array = fresh ? new Float32Array(w * h) : pool.f32(`u@${s}`, w * h, first);
    const nv: Float32Array = fresh ? new Float32Array(w * h) : pool.f32(`v@${s}`, w * h, first);
    if (u && v) upsampleFlow(u, v, p0[s + 1].width, p0[s + 1].height, w, h, 2, nu, nv);
    u = nu;
    v = nv;
    trace?.(s, 'init', u, v, w, h);
    if (w >= psz && h >= psz) {
      const { gx, gy } = sobel(i0, pool, `sobel@${s}`);
      const grid = sparseGrid(w, h, p.search);
      const m = grid.cols * grid.rows;
      const sparse: SparseFlow = { ...grid, u: pool.f32(`su@${s}`, m), v: pool.f32(`sv@${s}`, m) };
      const i1ext = padReplicate(i1, border, pool, `ext@${s}`);
      patchInverseSearch({ i0, i1ext, border, gx, gy }, u, v, p.search, sparse, pool, `search@${s}`);
      if (p.sparseMedian) medianSparse(sparse, pool.f32(`median@${s}`, m));
      densify(i0, i1ext, border, sparse, psz, p.search.stride, u, v, pool, `densify@${s}`);
      trace?.(s, 'densify', u, v, w, h);
    }
    variationalRefine(i0, i1, u, v, p.refine, pool, `refine@${s}`);
    trace?.(s, 'refine', u, v, w, h);
  }
  if (finest > 0) {
    const up = upsampleFlow(u!, v!, p0[finest].width, p0[finest].height, W, H, 1 << finest);
    u = up.u; v = up.v;
  }
  return { width: W, height: H, u: u!, v: v! };
}


