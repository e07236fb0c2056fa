/**
 * Small numeric helpers on single-channel planes: box means (integral image),
 * bilinear sampling, tight boxes and overlaps of thresholded masks, and moving
 * planes between a frame and a region of interest.
 */
import type { Image8 } from '../../core/image.ts';
import { resizePlanes } from '../../runtime/resize.ts';
import { createPlane, type Box, type Plane } from './matte-types.ts';

/**
 * Mean of `src` (h×w) over the (2r+1)² window around each pixel, the window
 * clipped to the image (so borders average fewer pixels, as in He et al.'s
 * guided filter). O(1) per pixel via a float64 integral image.
 */
export function boxMean(src: Float32Array, w: number, h: number, r: number, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(w * h);
  const W1 = w + 1;
  const ii = new Float64Array(W1 * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    const o = (y + 1) * W1;
    const p = y * W1;
    for (let x = 0; x < w; x++) {
      row += src[y * w + x];
      ii[o + x + 1] = ii[p + x + 1] + row;
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const s = ii[y1 * W1 + x1] - ii[y0 * W1 + x1] - ii[y1 * W1 + x0] + ii[y0 * W1 + x0];
      dst[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return dst;
}

/** Bilinear sample of a plane at (x, y) (pixel centres at integers), edge-clamped. */
export function sampleBilinear(p: Plane, x: number, y: number): number {
  const { width: w, height: h, data } = p;
  const cx = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  const cy = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const fx = cx - x0;
  const fy = cy - y0;
  const a = data[y0 * w + x0] + (data[y0 * w + x1] - data[y0 * w + x0]) * fx;
  const b = data[y1 * w + x0] + (data[y1 * w + x1] - data[y1 * w + x0]) * fx;
  return a + (b - a) * fy;
}

/** Tight box (exclusive right/bottom) and pixel count of `plane ≥ thr`; null when empty. */
export function maskBox(p: Plane, thr = 0.5): { box: Box; area: number } | null {
  const { width: w, height: h, data } = p;
  let x0 = w, y0 = h, x1 = -1, y1 = -1, area = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x] >= thr) {
        area++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return area ? { box: { x0, y0, x1: x1 + 1, y1: y1 + 1 }, area } : null;
}

/** IoU of two planes thresholded at `thr` (1 when both are empty). */
export function maskIou(a: Plane, b: Plane, thr = 0.5): number {
  let inter = 0, uni = 0;
  const da = a.data, db = b.data;
  for (let i = 0; i < da.length; i++) {
    const pa = da[i] >= thr, pb = db[i] >= thr;
    if (pa && pb) inter++;
    if (pa || pb) uni++;
  }
  return uni ? inter / uni : 1;
}

/** An integer region of interest inside a frame. */
export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The region to run a model on around `box`: grown by `margin` of its larger side on
 * every side (at least `minPad` px), made square when the frame allows (the models take
 * square inputs, so this keeps the subject's aspect), shifted and clipped to the frame.
 */
export function roiAround(box: Box, frameW: number, frameH: number, margin = 0.2, minPad = 16): Roi {
  const bw = box.x1 - box.x0, bh = box.y1 - box.y0;
  const pad = Math.max(minPad, margin * Math.max(bw, bh));
  const side = Math.max(bw, bh) + 2 * pad;
  const cx = (box.x0 + box.x1) / 2, cy = (box.y0 + box.y1) / 2;
  const fit = (c: number, size: number, limit: number): [number, number] => {
    const s = Math.min(Math.round(size), limit);
    let start = Math.round(c - s / 2);
    start = Math.max(0, Math.min(limit - s, start));
    return [start, s];
  };
  const [x, width] = fit(cx, side, frameW);
  const [y, height] = fit(cy, side, frameH);
  return { x, y, width, height };
}

export function fullRoi(w: number, h: number): Roi {
  return { x: 0, y: 0, width: w, height: h };
}

/** Planar float CHW (3 planes, RGB px 0..255) of the ROI of an 8-bit image, resized to nh×nw (antialiased). */
export function roiToChw(img: Image8, roi: Roi, nh: number, nw: number): Float32Array {
  const { width: rw, height: rh } = roi;
  const n = rw * rh;
  const ch = img.channels;
  const chw = new Float32Array(3 * n);
  for (let y = 0; y < rh; y++) {
    let j = ((roi.y + y) * img.width + roi.x) * ch;
    for (let x = 0; x < rw; x++, j += ch) {
      const i = y * rw + x;
      chw[i] = img.data[j];
      chw[n + i] = img.data[j + (ch >= 3 ? 1 : 0)];
      chw[2 * n + i] = img.data[j + (ch >= 3 ? 2 : 0)];
    }
  }
  return resizePlanes(chw, 3, rh, rw, nh, nw, 'bilinear');
}

/** Brings an h×w map computed for `roi` back to a frame-size plane (zero outside the ROI). */
export function roiToFrame(map: Float32Array, h: number, w: number, roi: Roi, frameW: number, frameH: number): Plane {
  const up = resizePlanes(map, 1, h, w, roi.height, roi.width, 'bilinear');
  const out = createPlane(frameW, frameH);
  for (let y = 0; y < roi.height; y++) out.data.set(up.subarray(y * roi.width, (y + 1) * roi.width), (roi.y + y) * frameW + roi.x);
  return out;
}

/** Clamps every value to 0..1 in place. */
export function clamp01(p: Plane): Plane {
  const d = p.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < 0 ? 0 : d[i] > 1 ? 1 : d[i];
  return p;
}
