/**
 * Motion between consecutive frames for the matte: optical flow from the current
 * frame to the previous one (estimated at a reduced size for speed, then scaled
 * up), the previous alpha carried along it (backward warping), and a per-pixel
 * confidence from how well the previous frame, warped the same way, matches the
 * current one (occlusions, motion blur and flow failures get low confidence).
 */
import type { FloatImage, Image8 } from '../../core/image.ts';
import type { FlowEstimator, FlowField } from '../../flow/types.ts';
import { resizePlanes } from '../../runtime/resize.ts';
import type { Plane } from './matte-types.ts';

/** Luminance 0..1 of an 8-bit RGB(A) image, resized to nh×nw. */
function lumaPlane(img: Image8, nh: number, nw: number): Float32Array {
  const n = img.width * img.height;
  const y = new Float32Array(n);
  const ch = img.channels;
  for (let i = 0, j = 0; i < n; i++, j += ch) y[i] = ch >= 3 ? (0.299 * img.data[j] + 0.587 * img.data[j + 1] + 0.114 * img.data[j + 2]) / 255 : img.data[j] / 255;
  return resizePlanes(y, 1, img.height, img.width, nh, nw, 'bilinear');
}

/** Frame-size flow from `cur` to `prev` (sample `prev` at x + w(x) to rebuild `cur`), estimated with the longer side ≤ `maxSide`. */
export async function flowToPrevious(est: FlowEstimator, cur: Image8, prev: Image8, maxSide: number, signal?: AbortSignal): Promise<FlowField> {
  const { width: W, height: H } = cur;
  const s = Math.min(1, maxSide / Math.max(W, H));
  const w = Math.max(8, Math.round(W * s)), h = Math.max(8, Math.round(H * s));
  const a: FloatImage = { width: w, height: h, channels: 1, data: lumaPlane(cur, h, w) };
  const b: FloatImage = { width: w, height: h, channels: 1, data: lumaPlane(prev, h, w) };
  const f = await est.estimate(a, b, signal);
  if (w === W && h === H) return f;
  const u = resizePlanes(f.u, 1, h, w, H, W, 'bilinear');
  const v = resizePlanes(f.v, 1, h, w, H, W, 'bilinear');
  const sx = W / w, sy = H / h;
  for (let i = 0; i < u.length; i++) {
    u[i] *= sx;
    v[i] *= sy;
  }
  return { width: W, height: H, u, v };
}

/**
 * Samples `src` at x + flow(x) (bilinear). Samples that fall outside the frame take
 * the nearest edge value and are flagged invalid (0) in the returned `valid`.
 */
export function warpPlane(src: Plane, flow: FlowField): { plane: Plane; valid: Uint8Array } {
  const { width: w, height: h, data } = src;
  const out = new Float32Array(w * h);
  const valid = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const sx = x + flow.u[i], sy = y + flow.v[i];
      valid[i] = sx >= -0.5 && sx <= w - 0.5 && sy >= -0.5 && sy <= h - 0.5 ? 1 : 0;
      const cx = sx < 0 ? 0 : sx > w - 1 ? w - 1 : sx;
      const cy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
      const x0 = Math.floor(cx), y0 = Math.floor(cy);
      const x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
      const fx = cx - x0, fy = cy - y0;
      const a = data[y0 * w + x0] + (data[y0 * w + x1] - data[y0 * w + x0]) * fx;
      const b = data[y1 * w + x0] + (data[y1 * w + x1] - data[y1 * w + x0]) * fx;
      out[i] = a + (b - a) * fy;
    }
  }
  return { plane: { width: w, height: h, data: out }, valid };
}

/** The channels (0..1) of an 8-bit image as planes (gray images give one). */
export function colourPlanes(img: Image8): Plane[] {
  const n = img.width * img.height;
  const ch = Math.min(3, img.channels);
  return Array.from({ length: ch }, (_, c) => {
    const d = new Float32Array(n);
    for (let i = 0, j = c; i < n; i++, j += img.channels) d[i] = img.data[j] / 255;
    return { width: img.width, height: img.height, data: d };
  });
}

/**
 * Confidence 0..1 that the flow is right at each pixel: exp(−(e/σ)²) with e the largest
 * colour-channel difference between the current frame and the previous frame warped by
 * the flow (colour, not luminance, so a red subject on a grey ground of equal brightness
 * still counts as a mismatch), 0 where the flow points outside the frame.
 */
export function flowConfidence(cur: Image8, prev: Image8, flow: FlowField, sigma = 0.1): Float32Array {
  const a = colourPlanes(cur);
  const b = colourPlanes(prev).map((p) => warpPlane(p, flow));
  const c = new Float32Array(cur.width * cur.height);
  const k = 1 / (sigma * sigma);
  for (let i = 0; i < c.length; i++) {
    if (!b[0].valid[i]) continue;
    let e = 0;
    for (let ch = 0; ch < a.length; ch++) e = Math.max(e, Math.abs(a[ch].data[i] - b[ch].plane.data[i]));
    c[i] = Math.exp(-e * e * k);
  }
  return c;
}
