/** Bilinear resampling of a flow field onto a finer grid of a pyramid (pixel centres aligned). */

/**
 * Resamples (u, v) of size w×h onto W×H where a coarse pixel spans `factor` fine pixels
 * (fine X ↔ coarse (X + 0.5)/factor − 0.5, clamped), and multiplies the vectors by `factor`.
 */
export function upsampleFlow(
  u: Float32Array, v: Float32Array, w: number, h: number, W: number, H: number, factor: number,
  ou: Float32Array = new Float32Array(W * H), ov: Float32Array = new Float32Array(W * H),
): { u: Float32Array; v: Float32Array } {
  // Horizontal taps once per column.
  const x0s = new Int32Array(W), x1s = new Int32Array(W), fxs = new Float32Array(W);
  for (let X = 0; X < W; X++) {
    let x = (X + 0.5) / factor - 0.5;
    x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
    const x0 = Math.floor(x);
    x0s[X] = x0; x1s[X] = x0 < w - 1 ? x0 + 1 : x0; fxs[X] = x - x0;
  }
  for (let Y = 0; Y < H; Y++) {
    let y = (Y + 0.5) / factor - 0.5;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    const y0 = Math.floor(y);
    const fy = y - y0;
    const r0 = y0 * w, r1 = (y0 < h - 1 ? y0 + 1 : y0) * w;
    for (let X = 0, o = Y * W; X < W; X++, o++) {
      const a = r0 + x0s[X], b = r0 + x1s[X], c = r1 + x0s[X], d = r1 + x1s[X];
      const fx = fxs[X];
      const ut = u[a] + fx * (u[b] - u[a]), ub = u[c] + fx * (u[d] - u[c]);
      const vt = v[a] + fx * (v[b] - v[a]), vb = v[c] + fx * (v[d] - v[c]);
      ou[o] = factor * (ut + fy * (ub - ut));
      ov[o] = factor * (vt + fy * (vb - vt));
    }
  }
  return { u: ou, v: ov };
}
