/**
 * Pixel containers used across the engine. All are interleaved (HWC), row-major,
 * top row first. 8-bit and 16-bit images come from and go to files; float images
 * are the working form of effects (nominal range 0..1).
 */
export interface Image8 {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

export interface Image16 {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint16Array;
}

export type PixelImage = Image8 | Image16;

export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** A decoded frame with its 0-based index in the *source* clip. */
export interface VideoFrame {
  index: number;
  image: Image8;
}

export function is16(img: PixelImage): img is Image16 {
  return img.data instanceof Uint16Array;
}

export function toFloat(img: PixelImage): FloatImage {
  const scale = is16(img) ? 1 / 65535 : 1 / 255;
  const out = new Float32Array(img.data.length);
  const src = img.data;
  for (let i = 0; i < src.length; i++) out[i] = src[i] * scale;
  return { width: img.width, height: img.height, channels: img.channels, data: out };
}

/** 8-bit RGB or RGBA → interleaved RGB float 0..1 (alpha dropped): the working form of flow and warping. */
export function toFloatRgb(img: Image8): FloatImage {
  const out = new Float32Array(img.width * img.height * 3);
  const d = img.data;
  const c = img.channels;
  for (let i = 0, j = 0; j < out.length; i += c, j += 3) {
    out[j] = d[i] / 255;
    out[j + 1] = d[i + 1] / 255;
    out[j + 2] = d[i + 2] / 255;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Float 0..1 to 8-bit, clamped and rounded. */
export function toImage8(img: FloatImage): Image8 {
  const out = new Uint8Array(img.data.length);
  const src = img.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i] * 255 + 0.5;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v; // Uint8Array truncates: +0.5 rounds
  }
  return { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4, data: out };
}

/** Float 0..1 to 16-bit, clamped and rounded. */
export function toImage16(img: FloatImage): Image16 {
  const out = new Uint16Array(img.data.length);
  const src = img.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i] * 65535 + 0.5;
    out[i] = v <= 0 ? 0 : v >= 65535 ? 65535 : v;
  }
  return { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4, data: out };
}

/** Interleaved 8-bit RGB to planar float CHW (NCHW with N=1), multiplied by `scale`. */
export function rgb8ToChw(img: Image8, scale = 1, out?: Float32Array): Float32Array {
  const { width, height, channels } = img;
  const n = width * height;
  const dst = out ?? new Float32Array(3 * n);
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    dst[i] = src[j] * scale;
    dst[n + i] = src[j + 1] * scale;
    dst[2 * n + i] = src[j + 2] * scale;
  }
  return dst;
}

/** Planar float CHW (3 channels) to interleaved 8-bit RGB: value*scale, clamped and rounded. */
export function chwToRgb8(chw: Float32Array, width: number, height: number, scale = 1): Image8 {
  const n = width * height;
  const out = new Uint8Array(3 * n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    for (let c = 0; c < 3; c++) {
      const v = chw[c * n + i] * scale + 0.5;
      out[j + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
  return { width, height, channels: 3, data: out };
}
