/**
 * A small built-in bitmap font (5×7 pixels per glyph, printable ASCII) for the
 * layer names on a contact sheet: drawn in code, so the sheet looks the same on
 * every machine and needs no system font.
 */
import type { Image8 } from '../../core/image.ts';

/** Glyphs of ASCII 32..126: 7 rows of 5 bits, top row in the highest bits. */
const GLYPHS: readonly number[] = [
  0, 4433514500, 11083448320, 11105828170, 4819720132, 26610901603, 13510137421, 4437573632,
  2290360450, 8726317192, 156718208, 139432064, 12424, 1015808, 396, 35791360,
  15623448110, 4701950094, 15603929375, 32247317566, 2359917634, 33854359086, 6728664622, 33321787656,
  15621113390, 15621129292, 415248768, 415248520, 2290622594, 32537600, 8726284424, 15603929092,
  15627640334, 15621670449, 32801506878, 15620129326, 30687151708, 33840644639, 33840644624, 15620359727,
  18842895921, 15170932878, 7585466956, 18879369809, 17734058527, 19182306865, 18850958897, 15621211694,
  32801505808, 15621215821, 32801509969, 16660235326, 33424543876, 18842437166, 18842436932, 18842572458,
  18834663985, 18834657412, 33321787935, 15309480206, 545392672, 15101659214, 4648337408, 31,
  8724152320, 14728751, 17748772414, 15221294, 1123599919, 15269390, 6753755400, 521714734,
  17740645937, 4307685518, 2153843276, 17736295058, 13023449230, 27973169, 23905841, 15255086,
  32045584, 16301089, 23904784, 16267326, 8888000806, 18400877, 18400580, 18405034,
  18157905, 18398254, 32575775, 3359903875, 4433514628, 25908285592, 9078784,
];

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

/** Whether the pixel (col, row) of the glyph of `ch` is set ('?' stands for characters outside printable ASCII). */
export function glyphPixel(ch: string, col: number, row: number): boolean {
  let code = ch.charCodeAt(0);
  if (!(code >= 32 && code <= 126)) code = 63;
  const bits = GLYPHS[code - 32]!;
  const shift = (6 - row) * 5 + (4 - col);
  return Math.floor(bits / 2 ** shift) % 2 === 1;
}

/** Width in pixels of `text` at `scale` (one blank column between glyphs). */
export function textWidth(text: string, scale: number): number {
  return text.length ? (text.length * (GLYPH_WIDTH + 1) - 1) * scale : 0;
}

/** The longest prefix of `text` that fits `maxWidth`, ending in '…'-like '..' when cut. */
export function fitText(text: string, maxWidth: number, scale: number): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  let n = text.length;
  while (n > 0 && textWidth(text.slice(0, n) + '..', scale) > maxWidth) n--;
  return n > 0 ? text.slice(0, n) + '..' : '';
}

/** Draws `text` into an RGB(A) image with its top-left corner at (x, y), clipped to the image. */
export function drawText(img: Image8, text: string, x: number, y: number, scale: number, color: [number, number, number]): void {
  const { width: w, height: h, channels: ch, data } = img;
  for (let i = 0; i < text.length; i++) {
    const gx = x + i * (GLYPH_WIDTH + 1) * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!glyphPixel(text[i]!, col, row)) continue;
        for (let sy = 0; sy < scale; sy++) {
          const py = y + row * scale + sy;
          if (py < 0 || py >= h) continue;
          for (let sx = 0; sx < scale; sx++) {
            const px = gx + col * scale + sx;
            if (px < 0 || px >= w) continue;
            const o = (py * w + px) * ch;
            data[o] = color[0];
            data[o + 1] = color[1];
            data[o + 2] = color[2];
          }
        }
      }
    }
  }
}
