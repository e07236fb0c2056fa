/** Resampling a flow field to another grid size (e.g. flow computed at a working size, used at full size). */
import type { FlowField } from './types.ts';

/**
 * Bilinear resampling of (u, v), w×h, onto W×H where one source pixel spans (sx, sy) target pixels:
 * target X ↔ source (X + 0.5)/sx − 0.5 (clamped to the source), and the vectors are multiplied by
 * (sx, sy) so they are in target pixels. A pyramid passes its exact factor (2 between levels, also on
 * odd sizes); {@link resizeFlow} passes W/w and H/h.
 */
export function resampleFlow(
  u: Float32Array, v: Float32Array, w: number, h: number, W: number, H: number, sx: number, sy: number,
  ou: Float32Array = new Float32Array(W * H), ov: Float32Array = new Float32Array(W * H),
): { u: Float32Array; v: Float32Array } {
  // Horizontal taps once per column.
  const x0s = new Int32Array(W), x1s = new Int32Array(W), fxs = new Float32Array(W);
  for (let X = 0; X < W; X++) {
    let x = (X + 0.5) / sx - 0.5;
    x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
    const x0 = Math.floor(x);
    x0s[X] = x0; x1s[X] = x0 < w - 1 ? x0 + 1 : x0; fxs[X] = x - x0;
  }
  for (let Y = 0; Y < H; Y++) {
    let y = (Y + 0.5) / sy - 0.5;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    const y0 = Math.floor(y), fy = y - y0;
    const r0 = y0 * w, r1 = (y0 < h - 1 ? y0 + 1 : y0) * w;
    for (let X = 0, o = Y * W; X < W; X++, o++) {
      const a = r0 + x0s[X], b = r0 + x1s[X], c = r1 + x0s[X], d = r1 + x1s[X], fx = fxs[X];
      const ut = u[a] + fx * (u[b] - u[a]), ub = u[c] + fx * (u[d] - u[c]);
      const vt = v[a] + fx * (v[b] - v[a]), vb = v[c] + fx * (v[d] - v[c]);
      ou[o] = sx * (ut + fy * (ub - ut));
      ov[o] = sy * (vt + fy * (vb - vt));
    }
  }
  return { u: ou, v: ov };
}

/**
 * Bilinear resampling of `flow` onto width×height with pixel centres aligned
 * (X ↔ (X + 0.5)·w/W − 0.5); u is multiplied by W/w and v by H/h so the vectors are in the new grid's pixels.
 */
export function resizeFlow(flow: FlowField, width: number, height: number): FlowField {
  const { width: w, height: h, u, v } = flow;
  if (w === width && h === height) return { width, height, u: u.slice(), v: v.slice() };
  const r = resampleFlow(u, v, w, h, width, height, width / w, height / h);
  return { width, height, u: r.u, v: r.v };
}
