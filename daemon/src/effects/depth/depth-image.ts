/**
 * Normalised depth (0..1, near = 1) ↔ the grey frames that are written: 16-bit (default) or
 * 8-bit single-channel, near = white unless inverted. The inverse exists so a temporal filter
 * can rebuild its state from the exact pixels written (the resume rule of effect.ts).
 */
import type { Image16, Image8 } from '../../core/image.ts';

export type DepthBits = 8 | 16;

/** v = clamp(depth, 0, 1), inverted if asked, rounded to the nearest code of `bits`. */
export function depthToImage(depth: Float32Array, width: number, height: number, bits: DepthBits, invert: boolean): Image16 | Image8 {
  const n = width * height;
  const max = bits === 16 ? 65535 : 255;
  const data = bits === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let v = depth[i];
    v = v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
    if (invert) v = 1 - v;
    data[i] = v * max + 0.5; // typed-array store truncates: rounds half up, as Math.round on v ≥ 0
  }
  return bits === 16 ? { width, height, channels: 1, data: data as Uint16Array } : { width, height, channels: 1, data: data as Uint8Array };
}

/** The normalised depth (near = 1) that a written grey frame stands for. */
export function imageToDepth(img: Image16 | Image8, invert: boolean, out?: Float32Array): Float32Array {
  const { width, height, channels } = img;
  const n = width * height;
  const dst = out ?? new Float32Array(n);
  const scale = img.data instanceof Uint16Array ? 1 / 65535 : 1 / 255;
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const v = src[j] * scale;
    dst[i] = invert ? 1 - v : v;
  }
  return dst;
}
