/** Component-wise 3×3 median of a sparse patch-flow grid (outlier removal between search and densification). */
import type { SparseFlow } from './patch-search.ts';

/**
 * Median of nine values by the 19-exchange network of Paeth / Devillard ("opt_med9"), written
 * with locals and min/max so it stays in registers.
 */
function median9(a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number, a8: number): number {
  let t: number;
  if (a1 > a2) { t = a1; a1 = a2; a2 = t; }
  if (a4 > a5) { t = a4; a4 = a5; a5 = t; }
  if (a7 > a8) { t = a7; a7 = a8; a8 = t; }
  if (a0 > a1) { t = a0; a0 = a1; a1 = t; }
  if (a3 > a4) { t = a3; a3 = a4; a4 = t; }
  if (a6 > a7) { t = a6; a6 = a7; a7 = t; }
  if (a1 > a2) { t = a1; a1 = a2; a2 = t; }
  if (a4 > a5) { t = a4; a4 = a5; a5 = t; }
  if (a7 > a8) { t = a7; a7 = a8; a8 = t; }
  if (a0 > a3) { a3 = a0; } // a0 is not needed again: keep only the larger
  if (a5 > a8) { a5 = a8; } // a8 likewise: keep only the smaller
  if (a4 > a7) { t = a4; a4 = a7; a7 = t; }
  if (a3 > a6) { a6 = a3; }
  if (a1 > a4) { a4 = a1; }
  if (a2 > a5) { t = a2; a2 = a5; a5 = t; }
  if (a4 > a7) { a4 = a7; }
  if (a4 > a2) { t = a4; a4 = a2; a2 = t; }
  if (a6 > a4) { a4 = a6; }
  if (a4 > a2) { a4 = a2; }
  return a4;
}

const small: number[] = [];

/** In place; on the grid border the window is clipped (median of the 4 or 6 values present, upper middle). */
export function medianSparse(sp: SparseFlow, scratch?: Float32Array): void {
  const { cols, rows } = sp;
  const n = cols * rows;
  const src = scratch && scratch.length >= n ? scratch : new Float32Array(n);
  for (const comp of [sp.u, sp.v]) {
    src.set(comp.subarray(0, n));
    for (let y = 0; y < rows; y++) {
      const inner = y > 0 && y < rows - 1;
      for (let x = 0; x < cols; x++) {
        const o = y * cols + x;
        if (inner && x > 0 && x < cols - 1) {
          const up = o - cols, dn = o + cols;
          comp[o] = median9(src[up - 1], src[up], src[up + 1], src[o - 1], src[o], src[o + 1], src[dn - 1], src[dn], src[dn + 1]);
        } else {
          small.length = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < rows && xx >= 0 && xx < cols) small.push(src[yy * cols + xx]);
          }
          small.sort((a, b) => a - b);
          comp[o] = small[small.length >> 1];
        }
      }
    }
  }
}
