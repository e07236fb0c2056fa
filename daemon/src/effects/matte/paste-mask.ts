/**
 * Pastes a Mask R-CNN mask (a small m×m probability grid predicted for one box)
 * into the frame at full resolution, as torchvision's `paste_masks_in_image`:
 * the grid is stretched over the box with bilinear interpolation, and one row
 * of zeros is assumed around it, so the edge fades at the box border instead of
 * being cut hard.
 */
import { createPlane, type Box, type Plane } from './matte-types.ts';

/**
 * A frame-size plane (w×h) with `mask` (mh×mw, row-major) stretched over `box`
 * (frame pixels, edges at x0 and x1). Pixel centres are at integer + 0.5 in box
 * coordinates; a mask cell c covers [x0 + c·bw/mw, x0 + (c+1)·bw/mw).
 */
export function pasteMask(mask: Float32Array, mh: number, mw: number, box: Box, w: number, h: number, out?: Plane): Plane {
  const p = out ?? createPlane(w, h);
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  if (!(bw > 0) || !(bh > 0)) return p;
  const sx = mw / bw;
  const sy = mh / bh;
  // Pixels whose sample lies within half a cell + the zero padding of the grid.
  const px0 = Math.max(0, Math.floor(box.x0 - bw / mw));
  const px1 = Math.min(w, Math.ceil(box.x1 + bw / mw));
  const py0 = Math.max(0, Math.floor(box.y0 - bh / mh));
  const py1 = Math.min(h, Math.ceil(box.y1 + bh / mh));
  const cell = (r: number, c: number) => (r < 0 || r >= mh || c < 0 || c >= mw ? 0 : mask[r * mw + c]);
  for (let y = py0; y < py1; y++) {
    const my = (y + 0.5 - box.y0) * sy - 0.5;
    const r0 = Math.floor(my);
    const fy = my - r0;
    for (let x = px0; x < px1; x++) {
      const mx = (x + 0.5 - box.x0) * sx - 0.5;
      const c0 = Math.floor(mx);
      const fx = mx - c0;
      const a = cell(r0, c0) * (1 - fx) + cell(r0, c0 + 1) * fx;
      const b = cell(r0 + 1, c0) * (1 - fx) + cell(r0 + 1, c0 + 1) * fx;
      const v = a * (1 - fy) + b * fy;
      const i = y * w + x;
      if (v > p.data[i]) p.data[i] = v;
    }
  }
  return p;
}
