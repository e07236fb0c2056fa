/** Forward–backward consistency of two flow fields on one grid, as a per-pixel trust. */

/**
 * Trust of each forward vector: 1 where |F(x) + B(x + F(x))|² ≤ 0.01·(|F|² + |B|²) + tol² (Ruder et
 * al.'s test, with a tolerance in pixels of this grid; B bilinear), 0 where the test fails or x + F(x)
 * leaves the frame (nothing there to check against).
 */
export function consistencyTrust(
  fu: Float32Array, fv: Float32Array, bu: Float32Array, bv: Float32Array, w: number, h: number, tol: number,
  out: Float32Array = new Float32Array(w * h),
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
      out[o] = eu * eu + ev * ev <= 0.01 * (a * a + b * b + cu * cu + cv * cv) + tol2 ? 1 : 0;
    }
  }
  return out;
}
