/**
 * waifu2x's input convention (vgg_7 "scale2x" models): the network does not
 * enlarge by itself; it restores detail in an image that was first enlarged ×2
 * by nearest neighbour and padded by 7 px on each side (edge pixels repeated),
 * and returns an image 14 px smaller, i.e. exactly the ×2 size.
 */
import type { PlanarImage } from '../../runtime/tiling.ts';

/** Nearest-neighbour ×`factor` enlargement of a planar (CHW) image: output (x, y) = input (⌊x/f⌋, ⌊y/f⌋). */
export function nearestUpscale(img: PlanarImage, factor = 2): PlanarImage {
  const { channels: c, width: w, height: h } = img;
  const ow = w * factor;
  const oh = h * factor;
  const out = new Float32Array(c * ow * oh);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      const src = ch * w * h + Math.floor(y / factor) * w;
      const dst = ch * ow * oh + y * ow;
      for (let x = 0; x < ow; x++) out[dst + x] = img.data[src + Math.floor(x / factor)];
    }
  }
  return { data: out, channels: c, width: ow, height: oh };
}

/** Pads a planar image by `pad` pixels on every side, repeating the edge pixels (ONNX/NumPy "edge" mode). */
export function replicatePad(img: PlanarImage, pad: number): PlanarImage {
  if (pad === 0) return img;
  const { channels: c, width: w, height: h } = img;
  const ow = w + 2 * pad;
  const oh = h + 2 * pad;
  const out = new Float32Array(c * ow * oh);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - pad));
      const src = ch * w * h + sy * w;
      const dst = ch * ow * oh + y * ow;
      for (let x = 0; x < ow; x++) out[dst + x] = img.data[src + Math.min(w - 1, Math.max(0, x - pad))];
    }
  }
  return { data: out, channels: c, width: ow, height: oh };
}

/** The waifu2x input for an image: nearest ×2, then `pad` px of edge padding (7 for vgg_7). */
export function waifu2xInput(img: PlanarImage, pad = 7): PlanarImage {
  return replicatePad(nearestUpscale(img, 2), pad);
}
