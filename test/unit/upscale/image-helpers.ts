/** Image helpers shared by the upscale tests. */
import type { Image8 } from '../../../daemon/src/core/image.ts';

/** A w×h piece of an RGB image at (x0, y0). */
export function crop(img: Image8, x0: number, y0: number, w: number, h: number): Image8 {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, channels: 3, data };
}

/** 2×2 box average: the ×2-reduced image whose pixel centres sit between the original's. */
export function boxHalve(img: Image8): Image8 {
  const w = img.width / 2;
  const h = img.height / 2;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    let s = 0;
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) s += img.data[((2 * y + dy) * img.width + 2 * x + dx) * 3 + c];
    data[(y * w + x) * 3 + c] = Math.round(s / 4);
  }
  return { width: w, height: h, channels: 3, data };
}

/** Mean absolute difference between `a` and `b` shifted by (dx, dy), 8 px away from the borders. */
export function shiftedMad(a: Image8, b: Image8, dx: number, dy: number): number {
  let sum = 0;
  let n = 0;
  for (let y = 8; y < a.height - 8; y++) for (let x = 8; x < a.width - 8; x++) for (let c = 0; c < 3; c++) {
    sum += Math.abs(a.data[(y * a.width + x) * 3 + c] - b.data[((y + dy) * b.width + x + dx) * 3 + c]);
    n++;
  }
  return sum / n;
}
