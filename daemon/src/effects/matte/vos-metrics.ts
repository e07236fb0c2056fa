/**
 * Video object segmentation measures (DAVIS, Perazzi et al. CVPR 2016): region
 * similarity J (IoU of the mask, alpha ≥ 0.5) and contour accuracy F (boundary
 * precision/recall within a tolerance of 0.8 % of the image diagonal), plus edge
 * shimmer: the mean frame-to-frame alpha change in a band around the true edge.
 */
import { squaredDistance } from './distance-transform.ts';

/** Binary mask (0/1) of `alpha ≥ thr`. */
export function binarize(alpha: ArrayLike<number>, thr = 0.5): Uint8Array {
  const m = new Uint8Array(alpha.length);
  for (let i = 0; i < m.length; i++) m[i] = alpha[i] >= thr ? 1 : 0;
  return m;
}

/** Region similarity: |A ∩ B| / |A ∪ B| of two binary masks (1 when both are empty). */
export function jaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0, uni = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0, y = b[i] !== 0;
    if (x && y) inter++;
    if (x || y) uni++;
  }
  return uni === 0 ? 1 : inter / uni;
}

/**
 * Boundary pixels of a binary mask (DAVIS `seg2bmap` without resizing): a pixel is on the
 * boundary when it is inside and its right, bottom or bottom-right neighbour differs.
 */
export function boundaryMap(mask: ArrayLike<number>, w: number, h: number): Uint8Array {
  const b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const v = mask[i] !== 0;
      const e = x + 1 < w ? mask[i + 1] !== 0 : false;
      const s = y + 1 < h ? mask[i + w] !== 0 : false;
      const se = x + 1 < w && y + 1 < h ? mask[i + w + 1] !== 0 : false;
      // Image border counts as outside, so a mask touching the border has a contour there.
      if (v && (!e || !s || !se || x + 1 === w || y + 1 === h)) b[i] = 1;
      else if (!v && (e || s || se)) b[i] = 1;
    }
  }
  return b;
}

/** Boundary tolerance in pixels for an image: ceil(0.008 × diagonal), as DAVIS. */
export function boundaryTolerance(w: number, h: number, fraction = 0.008): number {
  return Math.ceil(fraction * Math.hypot(w, h));
}

/** Contour accuracy F = 2PR/(P+R) of `pred` against `gt` (binary masks), with precision/recall. */
export function contourAccuracy(pred: ArrayLike<number>, gt: ArrayLike<number>, w: number, h: number, tol = boundaryTolerance(w, h)): { f: number; precision: number; recall: number } {
  const bp = boundaryMap(pred, w, h);
  const bg = boundaryMap(gt, w, h);
  let np = 0, ng = 0;
  for (let i = 0; i < bp.length; i++) {
    np += bp[i];
    ng += bg[i];
  }
  if (np === 0 && ng === 0) return { f: 1, precision: 1, recall: 1 };
  if (np === 0 || ng === 0) return { f: 0, precision: np === 0 ? 1 : 0, recall: ng === 0 ? 1 : 0 };
  const dg = squaredDistance(bg, w, h);
  const dp = squaredDistance(bp, w, h);
  const t2 = tol * tol;
  let hitP = 0, hitG = 0;
  for (let i = 0; i < bp.length; i++) {
    if (bp[i] && dg[i] <= t2) hitP++;
    if (bg[i] && dp[i] <= t2) hitG++;
  }
  const precision = hitP / np;
  const recall = hitG / ng;
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { f, precision, recall };
}

/** Pixels within `tol` px of the boundary of `gt` (the band where shimmer is measured). */
export function boundaryBand(gt: ArrayLike<number>, w: number, h: number, tol = boundaryTolerance(w, h)): Uint8Array {
  const d = squaredDistance(boundaryMap(gt, w, h), w, h);
  const band = new Uint8Array(w * h);
  const t2 = tol * tol;
  for (let i = 0; i < band.length; i++) band[i] = d[i] <= t2 ? 1 : 0;
  return band;
}

/** Mean |a − b| over the band (alpha 0..1); 0 for an empty band. */
export function bandShimmer(a: ArrayLike<number>, b: ArrayLike<number>, band: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < band.length; i++) {
    if (!band[i]) continue;
    s += Math.abs(a[i] - b[i]);
    n++;
  }
  return n ? s / n : 0;
}

/**
 * Flicker: mean |a − b| over the band's pixels whose true label is the same in both
 * frames (gtA == gtB), so real motion of the edge is not counted, only change that
 * the picture does not explain. The ground truth itself scores 0.
 */
export function bandFlicker(a: ArrayLike<number>, b: ArrayLike<number>, band: ArrayLike<number>, gtA: ArrayLike<number>, gtB: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < band.length; i++) {
    if (!band[i] || (gtA[i] !== 0) !== (gtB[i] !== 0)) continue;
    s += Math.abs(a[i] - b[i]);
    n++;
  }
  return n ? s / n : 0;
}

/** Accumulates J, F, shimmer and flicker over a clip, frame by frame. */
export class VosScore {
  private js: number[] = [];
  private fs: number[] = [];
  private shimmers: number[] = [];
  private flickers: number[] = [];
  private prev: Float32Array | null = null;
  private prevGt: Uint8Array | null = null;

  constructor(readonly width: number, readonly height: number) {}

  /** Adds one frame: alpha 0..1 and the ground-truth mask (non-zero = object). */
  add(alpha: Float32Array, gt: ArrayLike<number>): { j: number; f: number; shimmer: number | null; flicker: number | null } {
    const { width: w, height: h } = this;
    const pred = binarize(alpha);
    const g = binarize(gt, 0.5);
    const j = jaccard(pred, g);
    const { f } = contourAccuracy(pred, g, w, h);
    let shimmer: number | null = null;
    let flicker: number | null = null;
    if (this.prev && this.prevGt) {
      const band = boundaryBand(g, w, h);
      shimmer = bandShimmer(alpha, this.prev, band);
      flicker = bandFlicker(alpha, this.prev, band, g, this.prevGt);
      this.shimmers.push(shimmer);
      this.flickers.push(flicker);
    }
    this.prev = alpha.slice();
    this.prevGt = g;
    this.js.push(j);
    this.fs.push(f);
    return { j, f, shimmer, flicker };
  }

  /** Means over the frames added so far (shimmer and flicker over the frame pairs). */
  summary(): { frames: number; J: number; F: number; shimmer: number; flicker: number } {
    const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
    return { frames: this.js.length, J: mean(this.js), F: mean(this.fs), shimmer: mean(this.shimmers), flicker: mean(this.flickers) };
  }
}
