/** Forward–backward consistency of two flow fields on one grid, as a per-pixel trust. */
import type { Plane } from './gray-pyramid.ts';
import { warpClamped } from './variational-refine.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

/**
 * How well a flow explains its frame: |I1(x + w(x)) − I0(x)| averaged over a (2r+1)² box, per pixel.
 */
export function matchResidual(i0: Plane, i1: Plane, u: Float32Array, v: Float32Array, r: number, pool: Pool = NO_POOL, key = 'residual'): Float32Array {
  const { width: w, height: h } = i0;
  const n = w * h;
  const d = warpClamped(i1, u, v, pool.f32(`${key}.warp`, n));
  for (let i = 0; i < n; i++) d[i] = Math.abs(d[i] - i0.data[i]);
  // Separable box mean, clipped at the borders.
  const t = pool.f32(`${key}.t`, n), out = pool.f32(key, n);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const a = x - r < 0 ? 0 : x - r, b = x + r >= w ? w - 1 : x + r;
      let s = 0;
      for (let k = a; k <= b; k++) s += d[row + k];
      t[row + x] = s / (b - a + 1);
    }
  }
  for (let y = 0; y < h; y++) {
    const a = y - r < 0 ? 0 : y - r, b = y + r >= h ? h - 1 : y + r;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = a; k <= b; k++) s += t[k * w + x];
      out[y * w + x] = s / (b - a + 1);
    }
  }
  return out;
}

/**
 * Optional photometric arbitration of {@link consistencyTrust}: a contradiction only counts where the
 * backward vector explains its own pixel about as well as the forward one does — it is overruled where
 * residual_B(x + F(x)) > factor · residual_F(x) + margin. A crude backward flow that simply failed
 * (thin, fast, deforming parts) then does not overrule a forward vector that matches.
 */
export interface ResidualArbitration {
  /** {@link matchResidual} of the forward flow (on frame A's grid)… */
  forward: Float32Array;
  /** …and of the backward flow (on frame B's grid). */
  backward: Float32Array;
  factor: number;
  margin: number;
}

/**
 * Trust of each forward vector: 1 where |F(x) + B(x + F(x))|² ≤ 0.01·(|F|² + |B|²) + tol² (Ruder et
 * al.'s test, with a tolerance in pixels of this grid; B bilinear), 0 where the test fails (unless
 * `arbitration` overrules it) or x + F(x) leaves the frame (nothing there to check against).
 */
export function consistencyTrust(
  fu: Float32Array, fv: Float32Array, bu: Float32Array, bv: Float32Array, w: number, h: number, tol: number,
  out: Float32Array = new Float32Array(w * h), arbitration?: ResidualArbitration,
): Float32Array {
  const tol2 = tol * tol;
  const dx = w > 1 ? 1 : 0, dy = h > 1 ? w : 0;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      const a = fu[o], b = fv[o];
      const X = x + a, Y = y + b;
      if (!(X >= 0 && Y >= 0 && X <= w - 1 && Y <= h - 1)) { out[o] = 0; continue; }
      let x0 = X | 0, y0 = Y | 0;
      // On the last row/column step one back so the 2×2 footprint stays inside (weight of the far tap is 1).
      if (x0 === w - 1 && x0 > 0) x0--;
      if (y0 === h - 1 && y0 > 0) y0--;
      const fx = X - x0, fy = Y - y0, q = y0 * w + x0;
      const ut = bu[q] + fx * (bu[q + dx] - bu[q]), ub = bu[q + dy] + fx * (bu[q + dy + dx] - bu[q + dy]);
      const vt = bv[q] + fx * (bv[q + dx] - bv[q]), vb = bv[q + dy] + fx * (bv[q + dy + dx] - bv[q + dy]);
      const cu = ut + fy * (ub - ut), cv = vt + fy * (vb - vt);
      const eu = a + cu, ev = b + cv;
      let ok = eu * eu + ev * ev <= 0.01 * (a * a + b * b + cu * cu + cv * cv) + tol2;
      if (!ok && arbitration) {
        const nb = Math.round(Y) * w + Math.round(X);
        ok = arbitration.backward[nb] > arbitration.factor * arbitration.forward[o] + arbitration.margin;
      }
      out[o] = ok ? 1 : 0;
    }
  }
  return out;
}
