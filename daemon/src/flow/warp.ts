/**
 * Backward warping: out(x) = img(x + w(x)), bilinear. With the flow from A to B (on A's grid),
 * `warpBackward(B, flowAB)` reconstructs A. Samples whose position leaves the frame — the area
 * [−0.5, W−0.5] × [−0.5, H−0.5] covered by its pixels, centres at integers — are flagged in
 * `outside`: their value is the clamped (edge-replicated) sample, a plausible colour but not
 * information from the frame, so callers must treat them as untrusted instead of showing them
 * (no grey or black borders). Within the outer half pixel the edge value is replicated.
 */
import type { FloatImage } from '../core/image.ts';
import type { FlowField } from './types.ts';

export interface WarpResult {
  image: FloatImage;
  /** 1 where the sample position fell outside the source frame (or the flow was not finite). */
  outside: Uint8Array;
  /** Number of pixels flagged in `outside`. */
  outsideCount: number;
}

/** Warps `img` (any channel count) by `flow`; both must have the same size. */
export function warpBackward(img: FloatImage, flow: FlowField): WarpResult {
  const { width: w, height: h, channels: ch, data: src } = img;
  if (flow.width !== w || flow.height !== h) {
    throw new RangeError(`warpBackward: image is ${w}x${h} but flow is ${flow.width}x${flow.height}`);
  }
  const n = w * h;
  const out = new Float32Array(n * ch);
  const outside = new Uint8Array(n);
  let outsideCount = 0;
  const xmax = w - 1, ymax = h - 1;
  const xlim = w - 0.5, ylim = h - 0.5;
  // Offsets to the right and lower taps; zero on 1-pixel-wide/high images.
  const dx = w > 1 ? ch : 0, dy = h > 1 ? w * ch : 0;
  const { u, v } = flow;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      let sx = x + u[o], sy = y + v[o];
      // Written so that NaN lands in the "outside" branch.
      if (!(sx >= -0.5 && sx <= xlim && sy >= -0.5 && sy <= ylim)) {
        outside[o] = 1;
        outsideCount++;
      }
      sx = sx > 0 ? (sx < xmax ? sx : xmax) : 0;
      sy = sy > 0 ? (sy < ymax ? sy : ymax) : 0;
      let x0 = Math.floor(sx), y0 = Math.floor(sy);
      // On the last column/row use the previous cell with weight 1 on its far side.
      if (x0 === xmax && x0 > 0) x0--;
      if (y0 === ymax && y0 > 0) y0--;
      const fx = sx - x0, fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const p = (y0 * w + x0) * ch;
      const q = o * ch;
      if (ch === 3) {
        out[q] = w00 * src[p] + w01 * src[p + dx] + w10 * src[p + dy] + w11 * src[p + dy + dx];
        out[q + 1] = w00 * src[p + 1] + w01 * src[p + dx + 1] + w10 * src[p + dy + 1] + w11 * src[p + dy + dx + 1];
        out[q + 2] = w00 * src[p + 2] + w01 * src[p + dx + 2] + w10 * src[p + dy + 2] + w11 * src[p + dy + dx + 2];
      } else {
        for (let c = 0; c < ch; c++) {
          out[q + c] = w00 * src[p + c] + w01 * src[p + dx + c] + w10 * src[p + dy + c] + w11 * src[p + dy + dx + c];
        }
      }
    }
  }
  return { image: { width: w, height: h, channels: ch, data: out }, outside, outsideCount };
}
