/**
 * Geometry of the infinite zoom: a zoom step samples where the mapping says
 * (checked on an analytic picture, with turn and off-centre fixed point), and
 * frames are continuous: the centre of frame t+1, shrunk by the zoom, is frame t
 * about the fixed point.
 */
import { describe, expect, it } from 'vitest';
import { zoomPlanes, zoomSource, type ZoomStep } from '../../../daemon/src/effects/dream/zoom-frame.ts';
import { cropPlanes } from '../../../daemon/src/effects/dream/planar-ops.ts';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';
import type { PlanarImage } from '../../../daemon/src/runtime/tiling.ts';

/** A smooth picture: f_c(x, y) at continuous coordinates (pixel centres at i + 0.5). */
const f = (c: number, x: number, y: number) => 128 + 60 * Math.sin(0.11 * x + 0.7 * c) * Math.cos(0.07 * y - 0.3 * c) + 30 * Math.sin(0.05 * (x + y));

function sample(w: number, h: number): PlanarImage {
  const data = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[c * w * h + y * w + x] = f(c, x + 0.5, y + 0.5);
  return { data, channels: 3, width: w, height: h };
}

function meanAbs(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('zoom step', () => {
  it('maps output pixels to c + R(−θ)(p − c)/zoom (analytic picture, turned, off-centre)', () => {
    const w = 120;
    const h = 90;
    const img = sample(w, h);
    const step: ZoomStep = { zoom: 1.3, center: [0.4, 0.55], rotate: 12 };
    const out = zoomPlanes(img, step);
    let err = 0;
    let count = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [qx, qy] = zoomSource(step, w, h, x, y);
        if (qx < 2 || qy < 2 || qx > w - 2 || qy > h - 2) continue; // clamped border
        count++;
        for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(out.data[c * w * h + y * w + x]! - f(c, qx, qy)));
      }
    }
    expect(count).toBeGreaterThan(w * h * 0.5);
    expect(err).toBeLessThan(0.5);
    // The fixed point stays put, and the turn is clockwise on screen: a point right of the centre moves down.
    const [cx, cy] = zoomSource(step, w, h, 0.4 * w - 0.5, 0.55 * h - 0.5);
    expect(cx).toBeCloseTo(0.4 * w, 9);
    expect(cy).toBeCloseTo(0.55 * h, 9);
    const [, sy] = zoomSource({ zoom: 1, center: [0.5, 0.5], rotate: 10 }, w, h, w / 2 + 20 - 0.5, h / 2 - 0.5);
    expect(sy).toBeLessThan(h / 2);
  });

  it('is geometrically continuous: the centre of frame t+1 shrunk by the zoom matches frame t about the fixed point', () => {
    const w = 160;
    const h = 120;
    const frame = sample(w, h);
    for (const [zoom, center, x0, y0] of [[1.25, [0.5, 0.5], 16, 12], [1.25, [0.25, 0.75], 8, 18], [2, [0.5, 0.5], 40, 30]] as const) {
      const next = zoomPlanes(frame, { zoom, center: [center[0], center[1]], rotate: 0 });
      const cw = w / zoom;
      const ch = h / zoom;
      const shrunk = resizePlanes(next.data, 3, h, w, ch, cw, 'bicubic');
      const crop = cropPlanes(frame, x0, y0, cw, ch);
      expect(meanAbs(shrunk, crop.data)).toBeLessThan(0.5);
      // The wrong region (one pixel off) is clearly worse: the comparison can fail.
      expect(meanAbs(shrunk, cropPlanes(frame, x0 + 2, y0, cw, ch).data)).toBeGreaterThan(2);
    }
  });
});
