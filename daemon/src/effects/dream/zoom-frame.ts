/**
 * The geometric step of the infinite zoom: enlarge the picture about a centre
 * (and turn it), keeping its size — the crop of 1/zoom of the frame around the
 * centre fills the next frame. Resampled with a Catmull-Rom kernel (sharp, so
 * the dream's detail survives many zoom steps), edges clamped.
 *
 * Geometry (pixel centres at i + 0.5): output pixel p samples the input at
 * q = c + R(−θ)·(p − c) / zoom, with c = (cx·W, cy·H). Content at q therefore
 * appears at p = c + zoom·R(θ)·(q − c): enlarged about c and turned by θ
 * clockwise on screen (y points down). With θ = 0 the centre of frame t+1,
 * shrunk by `zoom`, is the region of frame t of size W/zoom × H/zoom about c.
 */
import type { PlanarImage } from '../../runtime/tiling.ts';

export interface ZoomStep {
  /** Enlargement per frame (> 1 zooms in). */
  zoom: number;
  /** Fixed point of the zoom, as fractions of the width and height (0.5, 0.5 = the middle). */
  center: [number, number];
  /** Clockwise turn per frame, degrees. */
  rotate: number;
}

/** Where output pixel (x, y) (integer indices) samples the input, in continuous pixel coordinates (centres at i + 0.5). */
export function zoomSource(step: ZoomStep, width: number, height: number, x: number, y: number): [number, number] {
  const cx = step.center[0] * width;
  const cy = step.center[1] * height;
  const t = (-step.rotate * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const px = (x + 0.5 - cx) / step.zoom;
  const py = (y + 0.5 - cy) / step.zoom;
  return [cx + cos * px - sin * py, cy + sin * px + cos * py];
}

function catmullRom(t: number, k: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  k[0] = -0.5 * t3 + t2 - 0.5 * t;
  k[1] = 1.5 * t3 - 2.5 * t2 + 1;
  k[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  k[3] = 0.5 * t3 - 0.5 * t2;
}

/** One zoom step of a planar image (any channel count). */
export function zoomPlanes(img: PlanarImage, step: ZoomStep): PlanarImage {
  const { width: w, height: h, channels: ch, data } = img;
  const n = w * h;
  const out = new Float32Array(data.length);
  const kx = new Float64Array(4);
  const ky = new Float64Array(4);
  const xi = new Int32Array(4);
  const yi = new Int32Array(4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [qx, qy] = zoomSource(step, w, h, x, y);
      // Continuous → index space (centres at integers), clamped to the frame.
      const sx = Math.min(w - 1, Math.max(0, qx - 0.5));
      const sy = Math.min(h - 1, Math.max(0, qy - 0.5));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      catmullRom(sx - x0, kx);
      catmullRom(sy - y0, ky);
      for (let j = 0; j < 4; j++) {
        xi[j] = Math.min(w - 1, Math.max(0, x0 - 1 + j));
        yi[j] = Math.min(h - 1, Math.max(0, y0 - 1 + j)) * w;
      }
      const o = y * w + x;
      for (let c = 0; c < ch; c++) {
        const base = c * n;
        let acc = 0;
        for (let j = 0; j < 4; j++) {
          const row = base + yi[j]!;
          acc += ky[j]! * (kx[0]! * data[row + xi[0]!]! + kx[1]! * data[row + xi[1]!]! + kx[2]! * data[row + xi[2]!]! + kx[3]! * data[row + xi[3]!]!);
        }
        out[base + o] = acc;
      }
    }
  }
  return { data: out, channels: ch, height: h, width: w };
}
