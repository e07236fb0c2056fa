/**
 * Small operations on planar float images (CHW) used by the dream: roll with
 * wrap-around (the jitter), crop, clamp, and conversions from and to 8-bit RGB.
 */
import type { Image8 } from '../../core/image.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';

/** np.roll over the two spatial axes: content moves by (+dx, +dy), wrapping around. */
export function rollPlanes(img: PlanarImage, dx: number, dy: number): PlanarImage {
  const { width: w, height: h, channels: ch, data } = img;
  const sx = ((dx % w) + w) % w;
  const sy = ((dy % h) + h) % h;
  const out = new Float32Array(data.length);
  for (let c = 0; c < ch; c++) {
    const base = c * w * h;
    for (let y = 0; y < h; y++) {
      const src = base + y * w;
      const dst = base + ((y + sy) % h) * w;
      // Row y moves to row y+sy; within it, [0, w-sx) goes to [sx, w) and the rest wraps to the front.
      for (let x = 0; x < w - sx; x++) out[dst + sx + x] = data[src + x]!;
      for (let x = w - sx; x < w; x++) out[dst + x - (w - sx)] = data[src + x]!;
    }
  }
  return { ...img, data: out };
}

/** The region [x, x+w) × [y, y+h) of every channel. */
export function cropPlanes(img: PlanarImage, x: number, y: number, w: number, h: number): PlanarImage {
  const out = new Float32Array(img.channels * w * h);
  for (let c = 0; c < img.channels; c++) {
    for (let r = 0; r < h; r++) {
      const s = c * img.height * img.width + (y + r) * img.width + x;
      out.set(img.data.subarray(s, s + w), c * w * h + r * w);
    }
  }
  return { data: out, channels: img.channels, height: h, width: w };
}

/** Clamps in place to [lo, hi]. */
export function clampInPlace(data: Float32Array, lo: number, hi: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    data[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** 8-bit RGB(A) interleaved → planar RGB in pixel units (0..255). */
export function image8ToPlanes(img: Image8): PlanarImage {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const d = img.data;
  const c = img.channels;
  for (let i = 0, j = 0; i < n; i++, j += c) {
    if (c >= 3) {
      out[i] = d[j]!;
      out[n + i] = d[j + 1]!;
      out[2 * n + i] = d[j + 2]!;
    } else {
      out[i] = out[n + i] = out[2 * n + i] = d[j]!;
    }
  }
  return { data: out, channels: 3, height: img.height, width: img.width };
}

/** Planar RGB in pixel units → 8-bit RGB interleaved (rounded, clamped). */
export function planesToImage8(p: PlanarImage): Image8 {
  const n = p.width * p.height;
  const out = new Uint8Array(3 * n);
  const d = p.data;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = d[c * n + i]! + 0.5;
      out[3 * i + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
  return { width: p.width, height: p.height, channels: 3, data: out };
}
