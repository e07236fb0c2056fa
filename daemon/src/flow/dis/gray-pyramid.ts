/**
 * Grey-level images for the built-in flow: one Float32Array plane per level, values on a
 * 0..255 scale (the scale the DIS and variational parameters are tuned for).
 */
import type { FloatImage } from '../../core/image.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

/** A single-channel float plane. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * Luminance (Rec. 601 weights, as OpenCV's RGB→grey) of a 0..1 float image, scaled to 0..255.
 * Single-channel input is just scaled; alpha is ignored.
 */
export function luminance255(img: FloatImage, pool: Pool = NO_POOL, key = 'lum'): Plane {
  const { width, height, channels, data } = img;
  const n = width * height;
  const out = pool.f32(key, n);
  if (channels >= 3) {
    const r = 0.299 * 255;
    const g = 0.587 * 255;
    const b = 0.114 * 255;
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = r * data[j] + g * data[j + 1] + b * data[j + 2];
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) out[i] = 255 * data[j];
  }
  return { width, height, data: out };
}

/** 2×2 box average to floor(w/2)×floor(h/2) (area resampling by exactly one half). */
export function halve(src: Plane, pool: Pool = NO_POOL, key = 'halve'): Plane {
  const w = src.width >> 1;
  const h = src.height >> 1;
  const sw = src.width;
  const s = src.data;
  const out = pool.f32(key, w * h);
  for (let y = 0; y < h; y++) {
    let a = 2 * y * sw;
    let b = a + sw;
    let o = y * w;
    for (let x = 0; x < w; x++, a += 2, b += 2, o++) out[o] = 0.25 * (s[a] + s[a + 1] + s[b] + s[b + 1]);
  }
  return { width: w, height: h, data: out };
}

/**
 * 3×3 Sobel derivatives normalised to intensity units per pixel (kernel / 8), replicated border.
 * Smoother than central differences, which keeps the patch Hessians well conditioned.
 */
export function sobel(src: Plane, pool: Pool = NO_POOL, key = 'sobel'): { gx: Float32Array; gy: Float32Array } {
  const { width: w, height: h, data: s } = src;
  const gx = pool.f32(`${key}.x`, w * h);
  const gy = pool.f32(`${key}.y`, w * h);
  for (let y = 0; y < h; y++) {
    const r0 = (y > 0 ? y - 1 : 0) * w;
    const r1 = y * w;
    const r2 = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) {
      const xl = x > 0 ? x - 1 : 0;
      const xr = x < w - 1 ? x + 1 : x;
      const tl = s[r0 + xl], tc = s[r0 + x], tr = s[r0 + xr];
      const ml = s[r1 + xl], mr = s[r1 + xr];
      const bl = s[r2 + xl], bc = s[r2 + x], br = s[r2 + xr];
      gx[r1 + x] = 0.125 * (tr - tl + 2 * (mr - ml) + br - bl);
      gy[r1 + x] = 0.125 * (bl - tl + 2 * (bc - tc) + br - tr);
    }
  }
  return { gx, gy };
}

/** Copy of `src` with a replicated border of `b` pixels on every side. */
export function padReplicate(src: Plane, b: number, pool: Pool = NO_POOL, key = 'pad'): Plane {
  const { width: w, height: h, data: s } = src;
  const W = w + 2 * b;
  const H = h + 2 * b;
  const out = pool.f32(key, W * H);
  for (let y = 0; y < H; y++) {
    const sy = y < b ? 0 : y >= h + b ? h - 1 : y - b;
    const srow = sy * w;
    const orow = y * W;
    const left = s[srow];
    const right = s[srow + w - 1];
    for (let x = 0; x < b; x++) out[orow + x] = left;
    out.set(s.subarray(srow, srow + w), orow + b);
    for (let x = b + w; x < W; x++) out[orow + x] = right;
  }
  return { width: W, height: H, data: out };
}
