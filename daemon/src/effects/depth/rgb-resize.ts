/**
 * Resizing straight from interleaved frames to planar floats, for feeding networks and for the
 * depth pipeline's working grid: the same antialiased separable triangle filter as
 * runtime/resize.ts (support widened by the scale when shrinking, as in Pillow), but reading the
 * interleaved bytes directly, which saves converting the whole full-resolution frame to float
 * planes first (the biggest cost of a frame's pre-processing when the network is small).
 *
 * All three run the vertical pass first, one output row at a time: its inner loop walks a whole
 * source row with one weight (contiguous, no tap lookup per sample), and shrinking the rows first
 * leaves the horizontal pass (tap lookups) only the output rows. The filter is separable, so the
 * order changes nothing but float rounding. Only one row of floats is allocated per call.
 */
import { resampleTaps, type Taps } from '../../runtime/resize.ts';

/** Triangle-filter taps (the antialiased 'bilinear' of runtime/resize.ts, cached there). */
export function triangleTaps(inSize: number, outSize: number): Taps {
  return resampleTaps(inSize, outSize, 'bilinear');
}

/** Rec. 709 luminance weights for 0..255 input, giving 0..1. */
const KR = 0.2126 / 255;
const KG = 0.7152 / 255;
const KB = 0.0722 / 255;

/** acc[0..len) = Σ_t w_t · src[(start+t)·len + i]: output row `y` of the vertical pass. */
function verticalRow(src: ArrayLike<number>, len: number, ty: Taps, y: number, acc: Float32Array): void {
  const s = ty.start[y];
  const cnt = ty.count[y];
  const wo = y * ty.maxTaps;
  let k = ty.weights[wo];
  let base = s * len;
  for (let i = 0; i < len; i++) acc[i] = src[base + i] * k;
  for (let t = 1; t < cnt; t++) {
    k = ty.weights[wo + t];
    base = (s + t) * len;
    for (let i = 0; i < len; i++) acc[i] += src[base + i] * k;
  }
}

/**
 * Interleaved 8-bit image (≥ 3 channels; the first three are used) → three float planes of
 * nh×nw (values in 0..255). `out` (3·nw·nh) may be supplied.
 */
export function resizeRgb8ToPlanes(data: Uint8Array, width: number, height: number, channels: number, nw: number, nh: number, out?: Float32Array): Float32Array {
  const tx = triangleTaps(width, nw);
  const ty = triangleTaps(height, nh);
  const n = nw * nh;
  const dst = out ?? new Float32Array(3 * n);
  const len = width * channels;
  const acc = new Float32Array(len);
  const { start, count, weights, maxTaps } = tx;
  for (let y = 0; y < nh; y++) {
    verticalRow(data, len, ty, y, acc);
    const o = y * nw;
    for (let x = 0; x < nw; x++) {
      const cnt = count[x];
      const wo = x * maxTaps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0, p = start[x] * channels; t < cnt; t++, p += channels) {
        const k = weights[wo + t];
        r += acc[p] * k;
        g += acc[p + 1] * k;
        b += acc[p + 2] * k;
      }
      dst[o + x] = r;
      dst[n + o + x] = g;
      dst[2 * n + o + x] = b;
    }
  }
  return dst;
}

/**
 * Rec. 709 luminance (0..1) of an interleaved 8-bit frame (grey: the first channel), resized to
 * one plane of nh×nw: the same as `luminance01` followed by the triangle resize, in one pass
 * over the bytes (luminance is linear, so it commutes with the filter). `out` may be supplied.
 */
export function lumaToPlane(data: Uint8Array, width: number, height: number, channels: number, nw: number, nh: number, out?: Float32Array): Float32Array {
  const tx = triangleTaps(width, nw);
  const ty = triangleTaps(height, nh);
  const dst = out ?? new Float32Array(nw * nh);
  const len = width * channels;
  const acc = new Float32Array(len);
  const luma = new Float32Array(width);
  const { start, count, weights, maxTaps } = tx;
  for (let y = 0; y < nh; y++) {
    verticalRow(data, len, ty, y, acc);
    if (channels >= 3) for (let x = 0, p = 0; x < width; x++, p += channels) luma[x] = KR * acc[p] + KG * acc[p + 1] + KB * acc[p + 2];
    else for (let x = 0, p = 0; x < width; x++, p += channels) luma[x] = acc[p] / 255;
    const o = y * nw;
    for (let x = 0; x < nw; x++) {
      const s = start[x];
      const cnt = count[x];
      const wo = x * maxTaps;
      let v = 0;
      for (let t = 0; t < cnt; t++) v += luma[s + t] * weights[wo + t];
      dst[o + x] = v;
    }
  }
  return dst;
}

/**
 * {@link resizeRgb8ToPlanes} to nw×nh and {@link lumaToPlane} to lw×nh in one pass over the frame,
 * when the two share their height (a fixed-size network on a frame of the working grid's aspect,
 * e.g. 320×192 and 341×192 for 16:9): the vertical pass, the costly part, is shared. Both results
 * are exactly those of the separate functions.
 */
export function resizeRgb8ToPlanesAndLuma(data: Uint8Array, width: number, height: number, channels: number, nw: number, nh: number, lw: number): { planes: Float32Array; luma: Float32Array } {
  const tx = triangleTaps(width, nw);
  const tl = triangleTaps(width, lw);
  const ty = triangleTaps(height, nh);
  const n = nw * nh;
  const planes = new Float32Array(3 * n);
  const lumaOut = new Float32Array(lw * nh);
  const len = width * channels;
  const acc = new Float32Array(len);
  const luma = new Float32Array(width);
  for (let y = 0; y < nh; y++) {
    verticalRow(data, len, ty, y, acc);
    const o = y * nw;
    for (let x = 0; x < nw; x++) {
      const cnt = tx.count[x];
      const wo = x * tx.maxTaps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0, p = tx.start[x] * channels; t < cnt; t++, p += channels) {
        const k = tx.weights[wo + t];
        r += acc[p] * k;
        g += acc[p + 1] * k;
        b += acc[p + 2] * k;
      }
      planes[o + x] = r;
      planes[n + o + x] = g;
      planes[2 * n + o + x] = b;
    }
    if (channels >= 3) for (let x = 0, p = 0; x < width; x++, p += channels) luma[x] = KR * acc[p] + KG * acc[p + 1] + KB * acc[p + 2];
    else for (let x = 0, p = 0; x < width; x++, p += channels) luma[x] = acc[p] / 255;
    const ol = y * lw;
    for (let x = 0; x < lw; x++) {
      const s = tl.start[x];
      const cnt = tl.count[x];
      const wo = x * tl.maxTaps;
      let v = 0;
      for (let t = 0; t < cnt; t++) v += luma[s + t] * tl.weights[wo + t];
      lumaOut[ol + x] = v;
    }
  }
  return { planes, luma: lumaOut };
}

/**
 * The first channel of an interleaved image (8/16-bit or float) resized to one float plane nh×nw,
 * scaled by `scale` (e.g. 1/65535 to read 16-bit codes as 0..1). `out` may be supplied.
 */
export function resizeChannelToPlane(data: Uint8Array | Uint16Array | Float32Array, width: number, height: number, channels: number, nw: number, nh: number, scale = 1, out?: Float32Array): Float32Array {
  const tx = triangleTaps(width, nw);
  const ty = triangleTaps(height, nh);
  const dst = out ?? new Float32Array(nw * nh);
  const len = width * channels;
  const acc = new Float32Array(len);
  const { start, count, weights, maxTaps } = tx;
  for (let y = 0; y < nh; y++) {
    verticalRow(data, len, ty, y, acc);
    const o = y * nw;
    for (let x = 0; x < nw; x++) {
      const cnt = count[x];
      const wo = x * maxTaps;
      let v = 0;
      for (let t = 0, p = start[x] * channels; t < cnt; t++, p += channels) v += acc[p] * weights[wo + t];
      dst[o + x] = v * scale;
    }
  }
  return dst;
}
