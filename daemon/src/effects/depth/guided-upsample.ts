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
export function boxMean(src: Float32Array, w: number, h: number, r: number, out?: Float32Array, scratch?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(w * h);
  if (r <= 0) {
    dst.set(src.subarray(0, w * h));
    return dst;
  }
  // Horizontal pass: running sums in doubles, the row means stored as floats (`scratch`, w·h, may be supplied).
  const tmp = scratch ?? new Float32Array(w * h);
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

/** The guide's window statistics on the low-resolution (coefficient) grid. */
export interface GuideStats {
  lowWidth: number;
  lowHeight: number;
  radius: number;
  /** Luminance on the low grid. */
  low: Float32Array;
  meanI: Float32Array;
  varI: Float32Array;
}

/**
 * Everything of the guided filter that depends on the guide alone (computed while the network
 * runs): the full-resolution luminance, its low-resolution version, and the window statistics.
 */
export interface GuidePlanes extends GuideStats {
  /** Full-resolution size. */
  width: number;
  height: number;
  /** Full-resolution luminance 0..1. */
  full: Float32Array;
}

/**
 * Reusable working buffers of the low-resolution filter steps (one set per grid size), so a
 * video does not allocate them again for every frame. Not shared between concurrent calls.
 */
export class GuidedScratch {
  readonly box: Float32Array;
  readonly meanP: Float32Array;
  readonly corrIP: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    const n = width * height;
    this.box = new Float32Array(n);
    this.meanP = new Float32Array(n);
    this.corrIP = new Float32Array(n);
    this.a = new Float32Array(n);
    this.b = new Float32Array(n);
  }
}

/**
 * The guide's window statistics from its low-resolution luminance. `out` (meanI, varI) and
 * `scratch` may be supplied to avoid allocating.
 */
export function guideStats(low: Float32Array, lowWidth: number, lowHeight: number, radius: number, out?: { meanI: Float32Array; varI: Float32Array }, scratch?: GuidedScratch): GuideStats {
  const n = lowWidth * lowHeight;
  const tmp = scratch?.box;
  const meanI = boxMean(low, lowWidth, lowHeight, radius, out?.meanI, tmp);
  const sq = scratch?.a ?? new Float32Array(n);
  for (let i = 0; i < n; i++) sq[i] = low[i] * low[i];
  const varI = boxMean(sq, lowWidth, lowHeight, radius, out?.varI, tmp);
  for (let i = 0; i < n; i++) {
    const v = varI[i] - meanI[i] * meanI[i];
    varI[i] = v > 0 ? v : 0;
  }
  return { lowWidth, lowHeight, radius, low, meanI, varI };
}

/**
 * Prepares the guide: `full` is the full-resolution luminance (0..1), the coefficients live on
 * lowWidth×lowHeight. `low` is `full` already resized to that grid, when the caller has it.
 */
export function prepareGuide(full: Float32Array, width: number, height: number, lowWidth: number, lowHeight: number, radius: number, low?: Float32Array): GuidePlanes {
  low ??= resizePlanes(full, 1, height, width, lowHeight, lowWidth, 'bilinear');
  return { ...guideStats(low, lowWidth, lowHeight, radius), width, height, full };
}

/**
 * The smoothed coefficients (mean a, mean b) of the guided filter of `depth` (on the guide's low
 * grid). `eps` regularises the slope a = cov(I,p)/(var(I)+eps), in squared luminance units:
 * image structure weaker than √eps is not copied into the depth. With `scratch` the result lives
 * in its buffers (valid until its next use).
 */
export function guidedCoefficients(guide: GuideStats, depth: Float32Array, eps: number, scratch?: GuidedScratch): { a: Float32Array; b: Float32Array } {
  const { lowWidth: w, lowHeight: h, radius: r, low, meanI, varI } = guide;
  const n = w * h;
  const s = scratch ?? new GuidedScratch(w, h);
  const meanP = boxMean(depth, w, h, r, s.meanP, s.box);
  const ip = s.a;
  for (let i = 0; i < n; i++) ip[i] = low[i] * depth[i];
  const corrIP = boxMean(ip, w, h, r, s.corrIP, s.box);
  const a = ip; // reuse
  const b = s.b;
  for (let i = 0; i < n; i++) {
    const mI = meanI[i];
    const mP = meanP[i];
    const ai = (corrIP[i] - mI * mP) / (varI[i] + eps);
    a[i] = ai;
    b[i] = mP - ai * mI;
  }
  const meanA = boxMean(a, w, h, r, corrIP, s.box);
  const meanB = boxMean(b, w, h, r, meanP, s.box);
  return { a: meanA, b: meanB };
}

/** Guided upsampling of `depth` (on the guide's low grid) to full resolution (see {@link guidedCoefficients}). */
export function guidedUpsample(guide: GuidePlanes, depth: Float32Array, eps: number, out?: Float32Array): Float32Array {
  const { a, b } = guidedCoefficients(guide, depth, eps);
  return applyCoefficients(a, b, guide.lowWidth, guide.lowHeight, guide.full, guide.width, guide.height, out);
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

/** Per output column: the two low-grid columns and the weight of the right one (pixel centres aligned, edges clamped). */
interface ColumnTable {
  x0: Int32Array;
  x1: Int32Array;
  fx: Float32Array;
}

const columnTables = new Map<string, ColumnTable>();

function columnTable(w: number, W: number): ColumnTable {
  const key = `${w}>${W}`;
  let t = columnTables.get(key);
  if (!t) {
    if (columnTables.size > 32) columnTables.clear();
    t = { x0: new Int32Array(W), x1: new Int32Array(W), fx: new Float32Array(W) };
    const sx = w / W;
    for (let X = 0; X < W; X++) {
      let x = (X + 0.5) * sx - 0.5;
      x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
      const x0 = Math.floor(x);
      t.x0[X] = x0;
      t.x1[X] = x0 < w - 1 ? x0 + 1 : x0;
      t.fx[X] = x - x0;
    }
    columnTables.set(key, t);
  }
  return t;
}

/**
 * The full-resolution end of the depth pipeline in one pass, without any full-size float plane:
 * q = A·I + B as in {@link applyCoefficients}, with I the Rec. 709 luminance computed on the fly
 * from the interleaved 8-bit frame (`a` null: q = bilinear B, the non-edge-aware path), then
 * clamped to 0..1, inverted if asked and rounded to the nearest grey code of `bits`
 * (as depthToImage). Returns the grey codes (W·H, one channel).
 */
export function applyToGreyCodes(
  a: Float32Array | null,
  b: Float32Array,
  w: number,
  h: number,
  rgb: Uint8Array,
  channels: number,
  W: number,
  H: number,
  bits: 8 | 16,
  invert: boolean,
): Uint16Array | Uint8Array {
  const n = W * H;
  const out = bits === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const max = bits === 16 ? 65535 : 255;
  // x1 = x0 + 1 except at the clamped right edge, where fx = 0 and the step dA/dB is 0: only x0 and fx are needed.
  const { x0: x0s, fx: fxs } = columnTable(w, W);
  const sy = h / H;
  // Row interpolants: value and step to the right neighbour, so each pixel costs one multiply-add per coefficient.
  const rowA = new Float64Array(w);
  const rowB = new Float64Array(w);
  const dA = new Float64Array(w);
  const dB = new Float64Array(w);
  const grey = channels < 3;
  const kr = grey ? 1 / 255 : 0.2126 / 255;
  const kg = grey ? 0 : 0.7152 / 255;
  const kb = grey ? 0 : 0.0722 / 255;
  const g1 = grey ? 0 : 1;
  const g2 = grey ? 0 : 2;
  for (let Y = 0; Y < H; Y++) {
    let y = (Y + 0.5) * sy - 0.5;
    y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
    const y0 = Math.floor(y);
    const fy = y - y0;
    const r0 = y0 * w;
    const r1 = (y0 < h - 1 ? y0 + 1 : y0) * w;
    for (let x = 0; x < w; x++) {
      const b0 = b[r0 + x];
      rowB[x] = b0 + fy * (b[r1 + x] - b0);
    }
    if (a) {
      for (let x = 0; x < w; x++) {
        const a0 = a[r0 + x];
        rowA[x] = a0 + fy * (a[r1 + x] - a0);
      }
    }
    for (let x = 0; x < w; x++) {
      const x1 = x < w - 1 ? x + 1 : x;
      dA[x] = rowA[x1] - rowA[x];
      dB[x] = rowB[x1] - rowB[x];
    }
    const o = Y * W;
    if (a) {
      for (let X = 0, p = o * channels; X < W; X++, p += channels) {
        const x0 = x0s[X];
        const fx = fxs[X];
        const lum = kr * rgb[p] + kg * rgb[p + g1] + kb * rgb[p + g2];
        let v = (rowA[x0] + fx * dA[x0]) * lum + rowB[x0] + fx * dB[x0];
        v = v > 0 ? (v < 1 ? v : 1) : 0; // NaN → 0
        if (invert) v = 1 - v;
        out[o + X] = v * max + 0.5; // typed-array store truncates: rounds half up
      }
    } else {
      for (let X = 0; X < W; X++) {
        const x0 = x0s[X];
        let v = rowB[x0] + fxs[X] * dB[x0];
        v = v > 0 ? (v < 1 ? v : 1) : 0;
        if (invert) v = 1 - v;
        out[o + X] = v * max + 0.5;
      }
    }
  }
  return out;
}

/** Plain bilinear upsampling (pixel centres aligned), the non-edge-aware path and the accuracy baseline. */
export function bilinearUpsample(src: Float32Array, w: number, h: number, W: number, H: number): Float32Array {
  return resizePlanes(src, 1, h, w, H, W, 'bilinear');
}
