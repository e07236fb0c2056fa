/**
 * Dense Inverse Search, step 1 (Kroeger et al. 2016, §2.1): for every patch of a sparse grid in I0,
 * find the displacement that best matches it in I1 by inverse-compositional Gauss–Newton on the
 * (optionally mean-normalised) SSD, starting from the coarser level's flow and from the already
 * refined neighbours (spatial propagation: a forward raster pass, then a backward pass).
 */
import type { Plane } from './gray-pyramid.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

export interface PatchSearchParams {
  /** Patch side in pixels (8 in DIS; 8 has an unrolled fast path). */
  patchSize: number;
  /** Grid step between patch corners. */
  stride: number;
  /** Gauss–Newton iterations per patch, split over the two propagation passes. */
  iterations: number;
  /** Subtract the patch mean difference (robust to local brightness change). */
  meanNormalization: boolean;
}

/** One pyramid level as the search needs it. */
export interface SearchLevel {
  i0: Plane;
  /** I1 padded with a replicated border of `border` pixels (border ≥ patch size). */
  i1ext: Plane;
  border: number;
  gx: Float32Array;
  gy: Float32Array;
}

/** The sparse flow: one vector per patch, patch (ix, iy) has its top-left corner at (ix, iy)·stride. */
export interface SparseFlow {
  cols: number;
  rows: number;
  u: Float32Array;
  v: Float32Array;
}

export function sparseGrid(w: number, h: number, p: PatchSearchParams): { cols: number; rows: number } {
  return { cols: 1 + Math.floor((w - p.patchSize) / p.stride), rows: 1 + Math.floor((h - p.patchSize) / p.stride) };
}

// Gradient of the last evaluated cost (Σ d·Ix, Σ d·Iy, mean-normalised), module-level to avoid allocation.
const grad = new Float64Array(2);

/**
 * Cost of the patch at top-left (px, py) of I0 displaced by (ux, uy) in I1 (bilinear), and its
 * gradient sums into `grad`. The sampling position is clamped so the footprint stays in the padding.
 */
function evalPatch(lv: SearchLevel, px: number, py: number, ux: number, uy: number, psz: number, meanNorm: boolean, gxSum: number, gySum: number): number {
  const w = lv.i0.width, h = lv.i0.height, b = lv.border, W = lv.i1ext.width;
  let x = px + ux + b;
  let y = py + uy + b;
  const lo = b - psz + 1;
  if (x < lo) x = lo; else if (x > b + w - 1) x = b + w - 1;
  if (y < lo) y = lo; else if (y > b + h - 1) y = b + h - 1;
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const i0 = lv.i0.data, i1 = lv.i1ext.data, gx = lv.gx, gy = lv.gy;
  let sd = 0, sdd = 0, sx = 0, sy = 0;
  if (psz === 8) {
    // Separable bilinear: lerp each I1 row horizontally once, then between consecutive rows.
    let a = y0 * W + x0;
    let p0 = i1[a] + fx * (i1[a + 1] - i1[a]);
    let p1 = i1[a + 1] + fx * (i1[a + 2] - i1[a + 1]);
    let p2 = i1[a + 2] + fx * (i1[a + 3] - i1[a + 2]);
    let p3 = i1[a + 3] + fx * (i1[a + 4] - i1[a + 3]);
    let p4 = i1[a + 4] + fx * (i1[a + 5] - i1[a + 4]);
    let p5 = i1[a + 5] + fx * (i1[a + 6] - i1[a + 5]);
    let p6 = i1[a + 6] + fx * (i1[a + 7] - i1[a + 6]);
    let p7 = i1[a + 7] + fx * (i1[a + 8] - i1[a + 7]);
    let t = py * w + px;
    for (let r = 0; r < 8; r++, t += w) {
      a += W;
      const q0 = i1[a] + fx * (i1[a + 1] - i1[a]);
      const q1 = i1[a + 1] + fx * (i1[a + 2] - i1[a + 1]);
      const q2 = i1[a + 2] + fx * (i1[a + 3] - i1[a + 2]);
      const q3 = i1[a + 3] + fx * (i1[a + 4] - i1[a + 3]);
      const q4 = i1[a + 4] + fx * (i1[a + 5] - i1[a + 4]);
      const q5 = i1[a + 5] + fx * (i1[a + 6] - i1[a + 5]);
      const q6 = i1[a + 6] + fx * (i1[a + 7] - i1[a + 6]);
      const q7 = i1[a + 7] + fx * (i1[a + 8] - i1[a + 7]);
      const d0 = p0 + fy * (q0 - p0) - i0[t];
      const d1 = p1 + fy * (q1 - p1) - i0[t + 1];
      const d2 = p2 + fy * (q2 - p2) - i0[t + 2];
      const d3 = p3 + fy * (q3 - p3) - i0[t + 3];
      const d4 = p4 + fy * (q4 - p4) - i0[t + 4];
      const d5 = p5 + fy * (q5 - p5) - i0[t + 5];
      const d6 = p6 + fy * (q6 - p6) - i0[t + 6];
      const d7 = p7 + fy * (q7 - p7) - i0[t + 7];
      sd += d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7;
      sdd += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
      sx += d0 * gx[t] + d1 * gx[t + 1] + d2 * gx[t + 2] + d3 * gx[t + 3] + d4 * gx[t + 4] + d5 * gx[t + 5] + d6 * gx[t + 6] + d7 * gx[t + 7];
      sy += d0 * gy[t] + d1 * gy[t + 1] + d2 * gy[t + 2] + d3 * gy[t + 3] + d4 * gy[t + 4] + d5 * gy[t + 5] + d6 * gy[t + 6] + d7 * gy[t + 7];
      p0 = q0; p1 = q1; p2 = q2; p3 = q3; p4 = q4; p5 = q5; p6 = q6; p7 = q7;
    }
  } else {
    const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
    for (let r = 0; r < psz; r++) {
      let a = (y0 + r) * W + x0;
      let t = (py + r) * w + px;
      for (const end = t + psz; t < end; t++, a++) {
        const d = w00 * i1[a] + w01 * i1[a + 1] + w10 * i1[a + W] + w11 * i1[a + W + 1] - i0[t];
        sd += d; sdd += d * d; sx += d * gx[t]; sy += d * gy[t];
      }
    }
  }
  const n = psz * psz;
  if (meanNorm) {
    grad[0] = sx - (sd * gxSum) / n;
    grad[1] = sy - (sd * gySum) / n;
    return sdd - (sd * sd) / n;
  }
  grad[0] = sx;
  grad[1] = sy;
  return sdd;
}

/** Template statistics per patch: inverse Hessian (Gauss–Newton) and gradient sums. */
interface PatchHessians { i11: Float32Array; i12: Float32Array; i22: Float32Array; gxs: Float32Array; gys: Float32Array }

function patchHessians(lv: SearchLevel, cols: number, rows: number, p: PatchSearchParams, pool: Pool, key: string): PatchHessians {
  const w = lv.i0.width, psz = p.patchSize, n = psz * psz;
  const m = cols * rows;
  const out: PatchHessians = { i11: pool.f32(`${key}.h11`, m), i12: pool.f32(`${key}.h12`, m), i22: pool.f32(`${key}.h22`, m), gxs: pool.f32(`${key}.gx`, m), gys: pool.f32(`${key}.gy`, m) };
  const gx = lv.gx, gy = lv.gy;
  // A small ridge keeps flat patches from producing huge steps (they stay where propagation put them).
  const ridge = 1e-3 * n;
  for (let iy = 0, k = 0; iy < rows; iy++) {
    for (let ix = 0; ix < cols; ix++, k++) {
      let xx = 0, xy = 0, yy = 0, sx = 0, sy = 0;
      for (let r = 0; r < psz; r++) {
        let t = (iy * p.stride + r) * w + ix * p.stride;
        for (const end = t + psz; t < end; t++) {
          const a = gx[t], c = gy[t];
          xx += a * a; xy += a * c; yy += c * c; sx += a; sy += c;
        }
      }
      if (p.meanNormalization) {
        xx -= (sx * sx) / n; xy -= (sx * sy) / n; yy -= (sy * sy) / n;
      }
      xx += ridge; yy += ridge;
      const inv = 1 / (xx * yy - xy * xy);
      out.i11[k] = yy * inv; out.i12[k] = -xy * inv; out.i22[k] = xx * inv;
      out.gxs[k] = sx; out.gys[k] = sy;
    }
  }
  return out;
}

/**
 * Runs the inverse search on one level. `denseU/V` is the initial dense flow of this level
 * (the upsampled coarser result); the result is written to `out` (sized by {@link sparseGrid}).
 */
export function patchInverseSearch(
  lv: SearchLevel, denseU: Float32Array, denseV: Float32Array, p: PatchSearchParams, out: SparseFlow, pool: Pool = NO_POOL, key = 'search',
): void {
  const w = lv.i0.width;
  const psz = p.patchSize;
  const half = psz >> 1;
  const { cols, rows } = out;
  const meanNorm = p.meanNormalization;
  const H = patchHessians(lv, cols, rows, p, pool, key);
  const su = out.u, sv = out.v;
  const passes = 2;
  const inner = Math.max(1, Math.floor(p.iterations / passes));
  const maxJump2 = psz * psz;
  // Cost and gradient at each patch's vector as the previous pass left it (NaN = not known), so
  // the next pass need not evaluate its starting point again.
  const kept = pool.f32(`${key}.kept`, 3 * rows * cols).fill(NaN);
  for (let pass = 0; pass < passes; pass++) {
    const fwd = pass === 0;
    const dir = fwd ? 1 : -1;
    for (let a = 0; a < rows; a++) {
      const iy = fwd ? a : rows - 1 - a;
      const py = iy * p.stride;
      for (let c = 0; c < cols; c++) {
        const ix = fwd ? c : cols - 1 - c;
        const px = ix * p.stride;
        const k = iy * cols + ix;
        const gxs = H.gxs[k], gys = H.gys[k];
        if (pass === 0) {
          const d = (py + half) * w + px + half;
          su[k] = denseU[d];
          sv[k] = denseV[d];
        }
        // Spatial propagation: the best of the current vector and the two already-visited neighbours.
        // Costs carry their gradient, so the winner's is ready for the first Gauss–Newton step.
        let u = su[k], v = sv[k];
        let best: number, g1: number, g2: number;
        if (kept[3 * k] === kept[3 * k]) {
          best = kept[3 * k]; g1 = kept[3 * k + 1]; g2 = kept[3 * k + 2];
        } else {
          best = evalPatch(lv, px, py, u, v, psz, meanNorm, gxs, gys);
          g1 = grad[0]; g2 = grad[1];
        }
        for (let nb = 0; nb < 2; nb++) {
          if (nb === 0 ? c === 0 : a === 0) continue;
          const kn = nb === 0 ? k - dir : k - dir * cols;
          const nu = su[kn], nv = sv[kn];
          // A neighbour within 0.1 px of the current vector would lead the descent to the same place.
          if ((nu - u) * (nu - u) + (nv - v) * (nv - v) < 0.01) continue;
          const cost = evalPatch(lv, px, py, nu, nv, psz, meanNorm, gxs, gys);
          if (cost < best) { best = cost; u = nu; v = nv; g1 = grad[0]; g2 = grad[1]; }
        }
        const startU = u, startV = v;
        // Gauss–Newton (inverse compositional: u ← u − H⁻¹·Σ∇I0·d); stop once the cost stops decreasing.
        const i11 = H.i11[k], i12 = H.i12[k], i22 = H.i22[k];
        let known = true;
        for (let t = 1; t <= inner; t++) {
          const nu = u - (i11 * g1 + i12 * g2);
          const nv = v - (i12 * g1 + i22 * g2);
          if (t === inner) { u = nu; v = nv; known = false; break; } // out of iterations while improving: trust the last step
          const cost = evalPatch(lv, px, py, nu, nv, psz, meanNorm, gxs, gys);
          if (cost >= best) break;
          best = cost; u = nu; v = nv; g1 = grad[0]; g2 = grad[1];
        }
        // Far jumps are usually the descent running off into an unrelated structure: keep the start.
        const du = u - startU, dv = v - startV;
        if (du * du + dv * dv <= maxJump2) {
          su[k] = u; sv[k] = v;
          kept[3 * k] = known ? best : NaN; kept[3 * k + 1] = g1; kept[3 * k + 2] = g2;
        } else {
          su[k] = startU; sv[k] = startV;
          kept[3 * k] = NaN;
        }
      }
    }
  }
}
