/**
 * Edge-aware upsampling of a low-resolution depth map, guided by the full-resolution frame:
 * the fast guided filter (He, Sun & Tang, "Guided Image Filtering", TPAMI 2013; He & Sun,
 * "Fast Guided Filter", 2015). Within each (2r+1)² window of the low-resolution grid the depth
 * is modelled as a linear function of the guide's luminance, q = a·I + b; the smoothed
 * coefficients are then interpolated to full resolution and applied to the *full-resolution*
 * luminance, so a depth step lands on the image edge that explains it instead of being smeared
 * over the upsampling factor. In flat image areas a → 0 and the depth is simply smoothed.
 *
 * The filter is linear in the depth (scaling or offsetting the depth scales or offsets the
 * result), so it can run on raw network output or on normalised depth alike.
 */
import { resizePlanes } from '../../runtime/resize.ts';

/**
 * Mean over the (2r+1)×(2r+1) window around each pixel, clipped at the borders (divided by the
 * number of pixels actually inside), in O(n) with running sums. `out` may be supplied.
 */
export function boxMean(src: Float32Array, w: number, h: number, r: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(w * h);
  if (r <= 0) {
    dst.set(src.subarray(0, w * h));
    return dst;
  }
  // Horizontal pass: running sums in doubles, the row means stored as floats.
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    for (let x = 0; x <= Math.min(r, w - 1); x++) acc += src[row + x];
    for (let x = 0; x < w; x++) {
      const lo = x - r;
      const hi = x + r;
      tmp[row + x] = acc / (Math.min(hi, w - 1) - Math.max(lo, 0) + 1);
      if (hi + 1 < w) acc += src[row + hi + 1];
      if (lo >= 0) acc -= src[row + lo];
    }
  }
  // Vertical pass, column sums kept for all columns at once (row-major friendly).
  const acc = new Float64Array(w);
  for (let y = 0; y <= Math.min(r, h - 1); y++) for (let x = 0, o = y * w; x < w; x++, o++) acc[x] += tmp[o];
  for (let y = 0; y < h; y++) {
    const lo = y - r;
    const hi = y + r;
    const inv = 1 / (Math.min(hi, h - 1) - Math.max(lo, 0) + 1);
    const row = y * w;
    for (let x = 0; x < w; x++) dst[row + x] = acc[x] * inv;
    if (hi + 1 < h) for (let x = 0, o = (hi + 1) * w; x < w; x++, o++) acc[x] += tmp[o];
    if (lo >= 0) for (let x = 0, o = lo * w; x < w; x++, o++) acc[x] -= tmp[o];
  }
  return dst;
}

/** Rec. 709 luminance of interleaved 8-bit RGB(A) (or grey), 0..1. */
export function luminance01(data: Uint8Array, width: number, height: number, channels: number, out?: Float32Array): Float32Array {
  const n = width * height;
  const dst = out ?? new Float32Array(n);
  if (channels < 3) {
    for (let i = 0, j = 0; i < n; i++, j += channels) dst[i] = data[j] / 255;
    return dst;
  }
  const kr = 0.2126 / 255;
  const kg = 0.7152 / 255;
  const kb = 0.0722 / 255;
  for (let i = 0, j = 0; i < n; i++, j += channels) dst[i] = kr * data[j] + kg * data[j + 1] + kb * data[j + 2];
  return dst;
}

/**
 * Everything of the guided filter that depends on the guide alone (computed while the network
 * runs): the full-resolution luminance, its low-resolution version, and the window statistics.
 */
export interface GuidePlanes {
  /** Full-resolution size. */
  width: number;
  height: number;
  /** Low-resolution (coefficient) grid. */
  lowWidth: number;
  lowHeight: number;
  radius: number;
  /** Full-resolution luminance 0..1. */
  full: Float32Array;
  /** Luminance area-averaged onto the low grid. */
  low: Float32Array;
  meanI: Float32Array;
  varI: Float32Array;
}

/**
 * Prepares the guide: `full` is the full-resolution luminance (0..1), the coefficients live on
 * lowWidth×lowHeight. `low` is `full` already resized to that grid, when the caller has it.
 */
export function prepareGuide(full: Float32Array, width: number, height: number, lowWidth: number, lowHeight: number, radius: number, low?: Float32Array): GuidePlanes {
  low ??= resizePlanes(full, 1, height, width, lowHeight, lowWidth, 'bilinear');
  const n = lowWidth * lowHeight;
  const meanI = boxMean(low, lowWidth, lowHeight, radius);
  const sq = new Float32Array(n);
  for (let i = 0; i < n; i++) sq[i] = low[i] * low[i];
  const varI = boxMean(sq, lowWidth, lowHeight, radius);
  for (let i = 0; i < n; i++) varI[i] = Math.max(0, varI[i] - meanI[i] * meanI[i]);
  return { width, height, lowWidth, lowHeight, radius, full, low, meanI, varI };
}

/**
 * Guided upsampling of `depth` (on the guide's low grid) to full resolution.
 * `eps` regularises the slope a = cov(I,p)/(var(I)+eps), in squared luminance units:
 * image structure weaker than √eps is not copied into the depth.
 */
export function guidedUpsample(guide: GuidePlanes, depth: Float32Array, eps: number, out?: Float32Array): Float32Array {
  const { lowWidth: w, lowHeight: h, radius: r } = guide;
  const n = w * h;
  const meanP = boxMean(depth, w, h, r);
  const ip = new Float32Array(n);
  for (let i = 0; i < n; i++) ip[i] = guide.low[i] * depth[i];
  const corrIP = boxMean(ip, w, h, r);
  const a = ip; // reuse
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const cov = corrIP[i] - guide.meanI[i] * meanP[i];
    const ai = cov / (guide.varI[i] + eps);
    a[i] = ai;
    b[i] = meanP[i] - ai * guide.meanI[i];
  }
  const meanA = boxMean(a, w, h, r, corrIP);
  const meanB = boxMean(b, w, h, r, meanP);
  return applyCoefficients(meanA, meanB, w, h, guide.full, guide.width, guide.height, out);
}

/**
 * q = A·I + B at full resolution, with A and B bilinearly interpolated from the low grid
 * (pixel centres aligned, edges clamped) in one fused pass.
 */
export function applyCoefficients(a: Float32Array, b: Float32Array, w: number, h: number, guide: Float32Array, W: number, H: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(W * H);
  const sx = w / W;
  const sy = h / H;
  const x0s = new Int32Array(W);
  const x1s = new Int32Array(W);
  const fxs = new Float32Array(W);
  for (let X = 0; X < W; X++) {
    let x = (X + 0.5) * sx - 0.5;
    x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
    const x0 = Math.floor(x);
    x0s[X] = x0;
    x1s[X] = x0 < w - 1 ? x0 + 1 : x0;
    fxs[X] = x - x0;
  }
  // Interpolate the two coefficient rows vertically once per output row, then only horizontally per pixel.
  const rowA = new Float32Array(w);
  const rowB = new Float32Array(w);
  for (let Y = 0; Y < H; Y++) {
    let y = (Y + 0.5) * sy - 0.5;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    const y0 = Math.floor(y);
    const fy = y - y0;
    const r0 = y0 * w;
    const r1 = (y0 < h - 1 ? y0 + 1 : y0) * w;
    for (let x = 0; x < w; x++) {
      const a0 = a[r0 + x];
      const b0 = b[r0 + x];
      rowA[x] = a0 + fy * (a[r1 + x] - a0);
      rowB[x] = b0 + fy * (b[r1 + x] - b0);
    }
    for (let X = 0, o = Y * W; X < W; X++, o++) {
      const x0 = x0s[X];
      const x1 = x1s[X];
      const fx = fxs[X];
      const av = rowA[x0] + fx * (rowA[x1] - rowA[x0]);
      const bv = rowB[x0] + fx * (rowB[x1] - rowB[x0]);
      dst[o] = av * guide[o] + bv;
    }
  }
  return dst;
}

/** Plain bilinear upsampling (pixel centres aligned), the non-edge-aware path and the accuracy baseline. */
export function bilinearUpsample(src: Float32Array, w: number, h: number, W: number, H: number): Float32Array {
  return resizePlanes(src, 1, h, w, H, W, 'bilinear');
}
