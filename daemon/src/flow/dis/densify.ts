/**
 * Dense Inverse Search, step 2 (Kroeger et al. 2016, §2.2): the dense flow at a pixel is the average
 * of the vectors of all patches that cover it, each weighted by 1 / max(1, |I1(x + u_patch) − I0(x)|),
 * so patches that explain this pixel's brightness dominate (this keeps motion boundaries sharp).
 * Pixels past the last patch column/row (when the size is not a multiple of the stride) belong to
 * the last patch: its footprint is extended to the image edge.
 */
import type { Plane } from './gray-pyramid.ts';
import type { SparseFlow } from './patch-search.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

/**
 * @param i1ext I1 padded by `border` replicated pixels (the same buffer the search uses).
 */
export function densify(
  i0: Plane, i1ext: Plane, border: number, sparse: SparseFlow, patchSize: number, stride: number, outU: Float32Array, outV: Float32Array,
  pool: Pool = NO_POOL, key = 'densify',
): void {
  const { width: w, height: h } = i0;
  const n = w * h;
  const a = i0.data, b = i1ext.data, W = i1ext.width;
  const { cols, rows, u: su, v: sv } = sparse;
  const ws = pool.f32(`${key}.w`, n, true);
  outU.fill(0);
  outV.fill(0);
  for (let iy = 0; iy < rows; iy++) {
    const py = iy * stride;
    const yEnd = iy === rows - 1 ? h : py + patchSize;
    for (let ix = 0; ix < cols; ix++) {
      const k = iy * cols + ix;
      const u = su[k], v = sv[k];
      const px = ix * stride;
      const xEnd = ix === cols - 1 ? w : px + patchSize;
      // Sample I1 at x + (u, v); keep the footprint inside the padding (replicated border).
      let sx = px + u + border, sy = py + v + border;
      const lo = 0, hiX = W - 2 - (xEnd - px), hiY = i1ext.height - 2 - (yEnd - py);
      sx = sx < lo ? lo : sx > hiX ? hiX : sx;
      sy = sy < lo ? lo : sy > hiY ? hiY : sy;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const fx = sx - x0, fy = sy - y0;
      for (let y = py, r = y0; y < yEnd; y++, r++) {
        let q = r * W + x0;
        for (let o = y * w + px, end = y * w + xEnd; o < end; o++, q++) {
          const top = b[q] + fx * (b[q + 1] - b[q]);
          const bot = b[q + W] + fx * (b[q + W + 1] - b[q + W]);
          const d = top + fy * (bot - top) - a[o];
          const ad = d < 0 ? -d : d;
          const c = ad > 1 ? 1 / ad : 1;
          ws[o] += c; outU[o] += c * u; outV[o] += c * v;
        }
      }
    }
  }
  for (let o = 0; o < n; o++) {
    const s = 1 / ws[o];
    outU[o] *= s;
    outV[o] *= s;
  }
}
