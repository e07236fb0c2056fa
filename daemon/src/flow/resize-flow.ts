/** Resampling a flow field to another grid size (e.g. flow computed at a working size, used at full size). */
import type { FlowField } from './types.ts';

/**
 * Bilinear resampling of `flow` onto width×height with pixel centres aligned
 * (X ↔ (X + 0.5)·w/W − 0.5); u is multiplied by W/w and v by H/h so the vectors are in the new grid's pixels.
 */
export function resizeFlow(flow: FlowField, width: number, height: number): FlowField {
  const { width: w, height: h, u, v } = flow;
  if (w === width && h === height) return { width, height, u: u.slice(), v: v.slice() };
  const sx = width / w, sy = height / h;
  const ou = new Float32Array(width * height), ov = new Float32Array(width * height);
  const x0s = new Int32Array(width), x1s = new Int32Array(width), fxs = new Float32Array(width);
  for (let X = 0; X < width; X++) {
    let x = (X + 0.5) / sx - 0.5;
    x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
    const x0 = Math.floor(x);
    x0s[X] = x0; x1s[X] = x0 < w - 1 ? x0 + 1 : x0; fxs[X] = x - x0;
  }
  for (let Y = 0; Y < height; Y++) {
    let y = (Y + 0.5) / sy - 0.5;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    const y0 = Math.floor(y), fy = y - y0;
    const r0 = y0 * w, r1 = (y0 < h - 1 ? y0 + 1 : y0) * w;
    for (let X = 0, o = Y * width; X < width; X++, o++) {
      const a = r0 + x0s[X], b = r0 + x1s[X], c = r1 + x0s[X], d = r1 + x1s[X], fx = fxs[X];
      const ut = u[a] + fx * (u[b] - u[a]), ub = u[c] + fx * (u[d] - u[c]);
      const vt = v[a] + fx * (v[b] - v[a]), vb = v[c] + fx * (v[d] - v[c]);
      ou[o] = sx * (ut + fy * (ub - ut));
      ov[o] = sy * (vt + fy * (vb - vt));
    }
  }
  return { width, height, u: ou, v: ov };
}
