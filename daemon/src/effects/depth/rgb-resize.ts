/**
 * Resizing straight from interleaved 8-bit RGB(A) to planar float RGB, for feeding networks:
 * the same antialiased separable triangle filter as runtime/resize.ts (support widened by the
 * scale when shrinking, as in Pillow), but reading the interleaved bytes directly, which saves
 * converting the whole full-resolution frame to planes first (the biggest cost of a frame's
 * pre-processing when the network is small).
 */
import { resampleTaps, type Taps } from '../../runtime/resize.ts';

/** Triangle-filter taps (the antialiased 'bilinear' of runtime/resize.ts, cached there). */
export function triangleTaps(inSize: number, outSize: number): Taps {
  return resampleTaps(inSize, outSize, 'bilinear');
}

/**
 * Interleaved 8-bit image (≥ 3 channels; the first three are used) → three float planes of
 * nh×nw (values in 0..255).
 */
export function resizeRgb8ToPlanes(data: Uint8Array, width: number, height: number, channels: number, nw: number, nh: number): Float32Array {
  const tx = triangleTaps(width, nw);
  const ty = triangleTaps(height, nh);
  // Horizontal pass: rows of the source → nw columns, three channels interleaved.
  const tmp = new Float32Array(height * nw * 3);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    const orow = y * nw * 3;
    for (let x = 0; x < nw; x++) {
      const s = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.maxTaps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0, p = row + s * channels; t < n; t++, p += channels) {
        const k = tx.weights[wo + t];
        r += data[p] * k;
        g += data[p + 1] * k;
        b += data[p + 2] * k;
      }
      const o = orow + 3 * x;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  // Vertical pass into planes.
  const n = nw * nh;
  const out = new Float32Array(3 * n);
  const acc = new Float32Array(nw * 3);
  for (let y = 0; y < nh; y++) {
    acc.fill(0);
    const s = ty.start[y];
    const cnt = ty.count[y];
    const wo = y * ty.maxTaps;
    for (let t = 0; t < cnt; t++) {
      const k = ty.weights[wo + t];
      const irow = (s + t) * nw * 3;
      for (let i = 0; i < nw * 3; i++) acc[i] += tmp[irow + i] * k;
    }
    const o = y * nw;
    for (let x = 0; x < nw; x++) {
      out[o + x] = acc[3 * x];
      out[n + o + x] = acc[3 * x + 1];
      out[2 * n + o + x] = acc[3 * x + 2];
    }
  }
  return out;
}

/**
 * The first channel of an interleaved image (8/16-bit or float) resized to one float plane nh×nw,
 * scaled by `scale` (e.g. 1/65535 to read 16-bit codes as 0..1).
 */
export function resizeChannelToPlane(data: Uint8Array | Uint16Array | Float32Array, width: number, height: number, channels: number, nw: number, nh: number, scale = 1): Float32Array {
  const tx = triangleTaps(width, nw);
  const ty = triangleTaps(height, nh);
  const tmp = new Float32Array(height * nw);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    const orow = y * nw;
    for (let x = 0; x < nw; x++) {
      const s = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.maxTaps;
      let acc = 0;
      for (let t = 0, p = row + s * channels; t < n; t++, p += channels) acc += data[p] * tx.weights[wo + t];
      tmp[orow + x] = acc * scale;
    }
  }
  const out = new Float32Array(nw * nh);
  for (let y = 0; y < nh; y++) {
    const s = ty.start[y];
    const cnt = ty.count[y];
    const wo = y * ty.maxTaps;
    const o = y * nw;
    for (let t = 0; t < cnt; t++) {
      const k = ty.weights[wo + t];
      const irow = (s + t) * nw;
      for (let x = 0; x < nw; x++) out[o + x] += tmp[irow + x] * k;
    }
  }
  return out;
}
