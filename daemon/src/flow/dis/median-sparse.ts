/** Component-wise 3×3 median of a sparse patch-flow grid (outlier removal between search and densification). */
import type { SparseFlow } from './patch-search.ts';

/** Median of nine values by a 19-comparator exchange network (Paeth / Devillard "opt_med9"). */
function median9(p: Float64Array): number {
  let t: number;
  const s = (i: number, j: number) => { if (p[i] > p[j]) { t = p[i]; p[i] = p[j]; p[j] = t; } };
  s(1, 2); s(4, 5); s(7, 8); s(0, 1); s(3, 4); s(6, 7); s(1, 2); s(4, 5); s(7, 8);
  s(0, 3); s(5, 8); s(4, 7); s(3, 6); s(1, 4); s(2, 5); s(4, 7); s(4, 2); s(6, 4); s(4, 2);
  return p[4];
}

const win = new Float64Array(9);
const small: number[] = [];

/** In place; on the grid border the window is clipped (median of the 4 or 6 values present, upper middle). */
export function medianSparse(sp: SparseFlow): void {
  const { cols, rows } = sp;
  for (const comp of [sp.u, sp.v]) {
    const src = comp.slice();
    for (let y = 0; y < rows; y++) {
      const inner = y > 0 && y < rows - 1;
      for (let x = 0; x < cols; x++) {
        const o = y * cols + x;
        if (inner && x > 0 && x < cols - 1) {
          win[0] = src[o - cols - 1]; win[1] = src[o - cols]; win[2] = src[o - cols + 1];
          win[3] = src[o - 1]; win[4] = src[o]; win[5] = src[o + 1];
          win[6] = src[o + cols - 1]; win[7] = src[o + cols]; win[8] = src[o + cols + 1];
          comp[o] = median9(win);
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
