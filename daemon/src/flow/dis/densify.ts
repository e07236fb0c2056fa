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
  // One row of horizontally interpolated I1 (a patch is at most patchSize + stride − 1 wide).
  const prev = new Float64Array(patchSize + stride);
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
      const cw = xEnd - px;
      let q = y0 * W + x0;
      if (cw === 8) {
        accumulate8(a, b, ws, outU, outV, q, W, py * w + px, w, yEnd - py, fx, fy, u, v);
        continue;
      }
      // Separable bilinear: each I1 row is interpolated horizontally once and reused for two output rows.
      for (let j = 0; j < cw; j++) prev[j] = b[q + j] + fx * (b[q + j + 1] - b[q + j]);
      for (let y = py; y < yEnd; y++) {
        q += W;
        let o = y * w + px;
        for (let j = 0; j < cw; j++, o++) {
          const nx = b[q + j] + fx * (b[q + j + 1] - b[q + j]);
          const d = prev[j] + fy * (nx - prev[j]) - a[o];
          prev[j] = nx;
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

/** Weight 1 / max(1, |d|) of one residual. */
function weight(d: number): number {
  const ad = d < 0 ? -d : d;
  return ad > 1 ? 1 / ad : 1;
}

/**
 * The common case of {@link densify}'s inner loop, unrolled for 8-pixel-wide footprints: `rowsN`
 * rows starting at pixel `o` of I0 and at `q` of the padded I1, sampled at offset (fx, fy).
 */
function accumulate8(
  a: Float32Array, b: Float32Array, ws: Float32Array, outU: Float32Array, outV: Float32Array,
  q: number, W: number, o: number, w: number, rowsN: number, fx: number, fy: number, u: number, v: number,
): void {
  let p0 = b[q] + fx * (b[q + 1] - b[q]);
  let p1 = b[q + 1] + fx * (b[q + 2] - b[q + 1]);
  let p2 = b[q + 2] + fx * (b[q + 3] - b[q + 2]);
  let p3 = b[q + 3] + fx * (b[q + 4] - b[q + 3]);
  let p4 = b[q + 4] + fx * (b[q + 5] - b[q + 4]);
  let p5 = b[q + 5] + fx * (b[q + 6] - b[q + 5]);
  let p6 = b[q + 6] + fx * (b[q + 7] - b[q + 6]);
  let p7 = b[q + 7] + fx * (b[q + 8] - b[q + 7]);
  for (let r = 0; r < rowsN; r++, o += w) {
    q += W;
    const n0 = b[q] + fx * (b[q + 1] - b[q]);
    const n1 = b[q + 1] + fx * (b[q + 2] - b[q + 1]);
    const n2 = b[q + 2] + fx * (b[q + 3] - b[q + 2]);
    const n3 = b[q + 3] + fx * (b[q + 4] - b[q + 3]);
    const n4 = b[q + 4] + fx * (b[q + 5] - b[q + 4]);
    const n5 = b[q + 5] + fx * (b[q + 6] - b[q + 5]);
    const n6 = b[q + 6] + fx * (b[q + 7] - b[q + 6]);
    const n7 = b[q + 7] + fx * (b[q + 8] - b[q + 7]);
    const c0 = weight(p0 + fy * (n0 - p0) - a[o]);
    const c1 = weight(p1 + fy * (n1 - p1) - a[o + 1]);
    const c2 = weight(p2 + fy * (n2 - p2) - a[o + 2]);
    const c3 = weight(p3 + fy * (n3 - p3) - a[o + 3]);
    const c4 = weight(p4 + fy * (n4 - p4) - a[o + 4]);
    const c5 = weight(p5 + fy * (n5 - p5) - a[o + 5]);
    const c6 = weight(p6 + fy * (n6 - p6) - a[o + 6]);
    const c7 = weight(p7 + fy * (n7 - p7) - a[o + 7]);
    ws[o] += c0; ws[o + 1] += c1; ws[o + 2] += c2; ws[o + 3] += c3; ws[o + 4] += c4; ws[o + 5] += c5; ws[o + 6] += c6; ws[o + 7] += c7;
    outU[o] += c0 * u; outU[o + 1] += c1 * u; outU[o + 2] += c2 * u; outU[o + 3] += c3 * u;
    outU[o + 4] += c4 * u; outU[o + 5] += c5 * u; outU[o + 6] += c6 * u; outU[o + 7] += c7 * u;
    outV[o] += c0 * v; outV[o + 1] += c1 * v; outV[o + 2] += c2 * v; outV[o + 3] += c3 * v;
    outV[o + 4] += c4 * v; outV[o + 5] += c5 * v; outV[o + 6] += c6 * v; outV[o + 7] += c7 * v;
    p0 = n0; p1 = n1; p2 = n2; p3 = n3; p4 = n4; p5 = n5; p6 = n6; p7 = n7;
  }
}
