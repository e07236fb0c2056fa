/**
 * Filling untrusted flow vectors from trusted ones by push–pull (Gortler et al. 1996): a pyramid of
 * trust-weighted means is built by 2×2 reduction, then each level's untrusted share is replaced by
 * the bilinear upsampling of the (already filled) level above. Holes of any size get a smooth
 * interpolation of the trusted vectors around them, in time linear in the number of pixels.
 */
import { NO_POOL, type Pool } from './buffer-pool.ts';

/**
 * In place: `(u, v)` (w×h) becomes `t·(u, v) + (1 − t)·fill`, where `t` ∈ [0, 1] is each pixel's
 * trust and `fill` the push–pull interpolation of the trusted vectors. Unchanged if nothing is trusted.
 */
export function fillUntrusted(u: Float32Array, v: Float32Array, trust: Float32Array, w: number, h: number, pool: Pool = NO_POOL, key = 'fill'): void {
  const us: Float32Array[] = [u], vs: Float32Array[] = [v], ts: Float32Array[] = [trust];
  const ws: number[] = [w], hs: number[] = [h];
  // Push: trust-weighted means of 2×2 blocks (on odd sizes the last row/column pairs with nothing);
  // a block's trust is the sum of its children's, capped at 1.
  for (let k = 0; ws[k] > 1 || hs[k] > 1; k++) {
    const pw = ws[k], ph = hs[k], cw = (pw + 1) >> 1, ch = (ph + 1) >> 1;
    const pu = us[k], pv = vs[k], pt = ts[k];
    const cu = pool.f32(`${key}.u${k + 1}`, cw * ch), cv = pool.f32(`${key}.v${k + 1}`, cw * ch), ct = pool.f32(`${key}.t${k + 1}`, cw * ch);
    for (let y = 0; y < ch; y++) {
      const r0 = 2 * y * pw, r1 = 2 * y + 1 < ph ? r0 + pw : -1;
      for (let x = 0; x < cw; x++) {
        const x0 = 2 * x, hasX1 = x0 + 1 < pw;
        let t = pt[r0 + x0], st = t, su = t * pu[r0 + x0], sv = t * pv[r0 + x0];
        if (hasX1) { t = pt[r0 + x0 + 1]; st += t; su += t * pu[r0 + x0 + 1]; sv += t * pv[r0 + x0 + 1]; }
        if (r1 >= 0) {
          t = pt[r1 + x0]; st += t; su += t * pu[r1 + x0]; sv += t * pv[r1 + x0];
          if (hasX1) { t = pt[r1 + x0 + 1]; st += t; su += t * pu[r1 + x0 + 1]; sv += t * pv[r1 + x0 + 1]; }
        }
        const c = y * cw + x;
        if (st > 0) { cu[c] = su / st; cv[c] = sv / st; } else { cu[c] = 0; cv[c] = 0; }
        ct[c] = st > 1 ? 1 : st;
      }
    }
    us.push(cu); vs.push(cv); ts.push(ct); ws.push(cw); hs.push(ch);
  }
  if (!(ts[ts.length - 1][0] > 0)) return; // nothing trusted anywhere
  // Pull: blend each level's untrusted share with the bilinear upsampling of the filled level above.
  for (let k = us.length - 2; k >= 0; k--) {
    const fw = ws[k], fh = hs[k], cw = ws[k + 1], ch = hs[k + 1];
    const fu = us[k], fv = vs[k], ft = ts[k], cu = us[k + 1], cv = vs[k + 1];
    for (let y = 0; y < fh; y++) {
      let cy = (y + 0.5) / 2 - 0.5;
      cy = cy < 0 ? 0 : cy > ch - 1 ? ch - 1 : cy;
      const y0 = Math.floor(cy), y1 = y0 < ch - 1 ? y0 + 1 : y0, fy = cy - y0;
      for (let x = 0; x < fw; x++) {
        const o = y * fw + x;
        const t = ft[o];
        if (t >= 1) continue;
        let cx = (x + 0.5) / 2 - 0.5;
        cx = cx < 0 ? 0 : cx > cw - 1 ? cw - 1 : cx;
        const x0 = Math.floor(cx), x1 = x0 < cw - 1 ? x0 + 1 : x0, fx = cx - x0;
        const a = y0 * cw + x0, b = y0 * cw + x1, c = y1 * cw + x0, d = y1 * cw + x1;
        const ut = cu[a] + fx * (cu[b] - cu[a]), ub = cu[c] + fx * (cu[d] - cu[c]);
        const vt = cv[a] + fx * (cv[b] - cv[a]), vb = cv[c] + fx * (cv[d] - cv[c]);
        fu[o] = t * fu[o] + (1 - t) * (ut + fy * (ub - ut));
        fv[o] = t * fv[o] + (1 - t) * (vt + fy * (vb - vt));
      }
    }
  }
}
