/**
 * The matte's output images and the way back: RGBA with straight alpha (RGB =
 * the source, untouched), or the alpha alone as 8- or 16-bit gray. The way back
 * (`alphaFromOutput`) is what the next frame's state is built from, for an
 * uninterrupted run and a resumed one alike.
 */
import type { Image16, Image8, PixelImage } from '../../core/image.ts';
import type { Plane } from './matte-types.ts';

export type MatteMode = 'rgba' | 'alpha' | 'alpha16';

/** The output image for `alpha` (already inverted if asked). */
export function composeOutput(source: Image8, alpha: Plane, mode: MatteMode): PixelImage {
  const { width, height } = source;
  const n = width * height;
  const a = alpha.data;
  if (mode === 'alpha16') {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const v = a[i] * 65535 + 0.5;
      out[i] = v <= 0 ? 0 : v >= 65535 ? 65535 : v;
    }
    return { width, height, channels: 1, data: out } satisfies Image16;
  }
  const to8 = (x: number) => {
    const v = x * 255 + 0.5;
    return v <= 0 ? 0 : v >= 255 ? 255 : v;
  };
  if (mode === 'alpha') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = to8(a[i]);
    return { width, height, channels: 1, data: out } satisfies Image8;
  }
  const out = new Uint8Array(4 * n);
  const ch = source.channels;
  const src = source.data;
  for (let i = 0, j = 0, k = 0; i < n; i++, j += ch, k += 4) {
    out[k] = src[j];
    out[k + 1] = src[j + (ch >= 3 ? 1 : 0)];
    out[k + 2] = src[j + (ch >= 3 ? 2 : 0)];
    out[k + 3] = to8(a[i]);
  }
  return { width, height, channels: 4, data: out } satisfies Image8;
}

/**
 * The alpha (0..1) an output image carries, at 8-bit precision whatever its depth
 * (a 16-bit value v counts as round(v/257)/255), so the state rebuilt from a file
 * is the same whether the sink kept 16 bits or reduced them to 8.
 */
export function alphaFromOutput(img: PixelImage, invert: boolean): Plane {
  const { width, height, channels } = img;
  const n = width * height;
  const out = new Float32Array(n);
  const d = img.data;
  const is16 = d instanceof Uint16Array;
  const step = channels === 4 ? 4 : channels === 1 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const raw = step === 0 ? 255 : d[i * step + (step - 1)];
    const v8 = is16 ? Math.round(raw / 257) : raw;
    out[i] = invert ? (255 - v8) / 255 : v8 / 255;
  }
  return { width, height, data: out };
}
