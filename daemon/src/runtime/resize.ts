/**
 * Separable resampling of planar float images (CHW), antialiased when shrinking
 * (the filter support widens with the scale, as in Pillow). Used to fit frames
 * to fixed-size models and to bring their outputs back to the source size.
 */
export type ResizeFilter = 'bilinear' | 'bicubic';

export interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

function kernel(filter: ResizeFilter, x: number): number {
  x = Math.abs(x);
  if (filter === 'bilinear') return x < 1 ? 1 - x : 0;
  const a = -0.5; // Catmull-Rom-like, as in Pillow's bicubic
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

const tapCache = new Map<string, Taps>();

/** Filter taps for inSize → outSize (pixel centres aligned, normalised), cached: frames of a clip share them. */
export function resampleTaps(inSize: number, outSize: number, filter: ResizeFilter = 'bilinear'): Taps {
  const key = `${inSize}>${outSize}:${filter}`;
  let t = tapCache.get(key);
  if (!t) {
    if (tapCache.size > 64) tapCache.clear();
    t = taps(inSize, outSize, filter);
    tapCache.set(key, t);
  }
  return t;
}

function taps(inSize: number, outSize: number, filter: ResizeFilter): Taps {
  const scale = inSize / outSize;
  const support = (filter === 'bilinear' ? 1 : 2) * Math.max(1, scale);
  const fscale = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    let lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize, Math.ceil(center + support));
    let sum = 0;
    const w: number[] = [];
    for (let i = lo; i < hi; i++) {
      const k = kernel(filter, (i + 0.5 - center) / fscale);
      w.push(k);
      sum += k;
    }
    // trim zero taps at both ends so counts stay small
    let a = 0;
    let b = w.length;
    while (a < b && w[a] === 0) a++;
    while (b > a && w[b - 1] === 0) b--;
    lo += a;
    const n = Math.max(1, b - a);
    start[o] = Math.min(lo, inSize - 1);
    count[o] = n;
    for (let t = 0; t < n; t++) weights[o * maxTaps + t] = sum !== 0 ? (w[a + t] ?? 0) / sum : t === 0 ? 1 : 0;
  }
  return { start, count, weights, maxTaps };
}

/** Resizes `channels` planes of h×w to nh×nw. */
export function resizePlanes(src: Float32Array, channels: number, h: number, w: number, nh: number, nw: number, filter: ResizeFilter = 'bilinear'): Float32Array {
  if (h === nh && w === nw) return src.slice(0, channels * h * w);
  const tx = resampleTaps(w, nw, filter);
  const ty = resampleTaps(h, nh, filter);
  const tmp = new Float32Array(h * nw);
  const out = new Float32Array(channels * nh * nw);
  for (let c = 0; c < channels; c++) {
    const plane = c * h * w;
    for (let y = 0; y < h; y++) {
      const row = plane + y * w;
      for (let x = 0; x < nw; x++) {
        const s = tx.start[x];
        const n = tx.count[x];
        const wo = x * tx.maxTaps;
        let acc = 0;
        for (let t = 0; t < n; t++) acc += src[row + s + t] * tx.weights[wo + t];
        tmp[y * nw + x] = acc;
      }
    }
    const oplane = c * nh * nw;
    for (let y = 0; y < nh; y++) {
      const s = ty.start[y];
      const n = ty.count[y];
      const wo = y * ty.maxTaps;
      const orow = oplane + y * nw;
      for (let x = 0; x < nw; x++) out[orow + x] = 0;
      for (let t = 0; t < n; t++) {
        const wt = ty.weights[wo + t];
        const irow = (s + t) * nw;
        for (let x = 0; x < nw; x++) out[orow + x] += tmp[irow + x] * wt;
      }
    }
  }
  return out;
}
