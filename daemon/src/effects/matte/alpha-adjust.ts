/**
 * The compositor's edge controls on a finished matte: grow/shrink (grey-scale
 * dilation/erosion with a disk, so soft edges keep their profile and just move),
 * feather (Gaussian blur of the alpha) and invert.
 */
import type { Plane } from './matte-types.ts';

/** Running max (or min) over a window of half-width `r` along each row, O(n) per row (van Herk / Gil–Werman). */
function rowExtreme(src: Float32Array, w: number, h: number, r: number, useMax: boolean): Float32Array {
  const out = new Float32Array(w * h);
  if (r <= 0) {
    out.set(src);
    return out;
  }
  const k = 2 * r + 1;
  const n = w + 2 * r;
  const pad = useMax ? -Infinity : Infinity;
  const f = useMax ? Math.max : Math.min;
  const g = new Float32Array(n), hh = new Float32Array(n), row = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < n; i++) {
      const x = i - r;
      row[i] = x >= 0 && x < w ? src[y * w + x] : pad;
    }
    for (let i = 0; i < n; i++) g[i] = i % k === 0 ? row[i] : f(g[i - 1], row[i]);
    for (let i = n - 1; i >= 0; i--) hh[i] = i % k === k - 1 || i === n - 1 ? row[i] : f(hh[i + 1], row[i]);
    // Window [x, x+2r] in padded coordinates = [x-r, x+r] in the row.
    for (let x = 0; x < w; x++) out[y * w + x] = f(hh[x], g[x + 2 * r]);
  }
  return out;
}

/**
 * Grey-scale dilation (px > 0) or erosion (px < 0) with a disk of radius |px|:
 * every edge moves outwards (inwards) by |px| pixels, soft transitions intact.
 */
export function growAlpha(p: Plane, px: number): Plane {
  const r = Math.round(Math.abs(px));
  if (r === 0) return p;
  const { width: w, height: h, data } = p;
  const useMax = px > 0;
  const out = new Float32Array(w * h).fill(useMax ? -Infinity : Infinity);
  const byHalfWidth = new Map<number, Float32Array>();
  for (let dy = -r; dy <= r; dy++) {
    const hw = Math.floor(Math.sqrt(r * r - dy * dy) + 1e-9);
    let m = byHalfWidth.get(hw);
    if (!m) {
      m = rowExtreme(data, w, h, hw, useMax);
      byHalfWidth.set(hw, m);
    }
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= h) continue;
      const o = y * w, s = sy * w;
      if (useMax) for (let x = 0; x < w; x++) out[o + x] = out[o + x] > m[s + x] ? out[o + x] : m[s + x];
      else for (let x = 0; x < w; x++) out[o + x] = out[o + x] < m[s + x] ? out[o + x] : m[s + x];
    }
  }
  return { width: w, height: h, data: out };
}

/** Gaussian blur with σ = px / 2 (so the edge softens over about ±px), borders clamped. */
export function featherAlpha(p: Plane, px: number): Plane {
  if (!(px > 0)) return p;
  const sigma = px / 2;
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const { width: w, height: h, data } = p;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) {
        const xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;
        acc += data[o + xx] * k[t + r];
      }
      tmp[o + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -r; t <= r; t++) {
        const yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
        acc += tmp[yy * w + x] * k[t + r];
      }
      out[y * w + x] = acc;
    }
  }
  return { width: w, height: h, data: out };
}

/** 1 − alpha. */
export function invertAlpha(p: Plane): Plane {
  const out = new Float32Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 - p.data[i];
  return { width: p.width, height: p.height, data: out };
}
