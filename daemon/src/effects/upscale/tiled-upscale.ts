/**
 * Seamless tiled super-resolution. The frame is cut into a grid of "cores"
 * that cover it without overlap; each tile is its core plus `context` pixels
 * of real neighbouring image on every inner side. The network runs on the
 * tile, and only the core's part of the result is kept. When the context is at
 * least the network's receptive radius, every kept pixel saw exactly what it
 * would see in an untiled run, so tiled = untiled (up to float summation
 * order) — no feathering, no seams, and less wasted work than blending.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { Image8, PixelImage } from '../../core/image.ts';
import { is16 } from '../../core/image.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';

export interface TilePlanOptions {
  /** Largest tile edge in input pixels, context included. */
  tile: number;
  /** Input pixels of context on each inner side. */
  context: number;
}

/** One axis of the grid: core [start, end) and the tile read around it [from, to). */
export interface AxisSpan {
  start: number;
  end: number;
  from: number;
  to: number;
}

/** Splits one axis of `size` pixels into evenly sized cores whose tiles (core + context) are at most `tile`. */
export function planAxis(size: number, opts: TilePlanOptions): AxisSpan[] {
  if (size <= opts.tile) return [{ start: 0, end: size, from: 0, to: size }];
  const core = opts.tile - 2 * opts.context;
  if (core < 1) {
    throw new DreamLayerError('PARAM_INVALID', {
      stage: 'validate',
      message: `A tile of ${opts.tile} px leaves nothing to keep after ${opts.context} px of context on both sides.`,
      hint: `Use a tile larger than ${2 * opts.context + 16} px (or a larger memory budget), or less context.`,
    });
  }
  const n = Math.ceil(size / core);
  const spans: AxisSpan[] = [];
  for (let i = 0; i < n; i++) {
    const start = Math.round((i * size) / n);
    const end = Math.round(((i + 1) * size) / n);
    spans.push({ start, end, from: Math.max(0, start - opts.context), to: Math.min(size, end + opts.context) });
  }
  return spans;
}

/** Crops [x0,x1)×[y0,y1) of an interleaved 8/16-bit image into planar float RGB 0–1 (grey is repeated; alpha dropped). */
export function cropToPlanar(img: PixelImage, x0: number, y0: number, x1: number, y1: number): PlanarImage {
  const w = x1 - x0;
  const h = y1 - y0;
  const n = w * h;
  const out = new Float32Array(3 * n);
  const scale = is16(img) ? 1 / 65535 : 1 / 255;
  const c = img.channels;
  const src = img.data;
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * img.width + x0) * c;
    let d = y * w;
    for (let x = 0; x < w; x++, s += c, d++) {
      if (c === 1) {
        out[d] = out[n + d] = out[2 * n + d] = src[s] * scale;
      } else {
        out[d] = src[s] * scale;
        out[n + d] = src[s + 1] * scale;
        out[2 * n + d] = src[s + 2] * scale;
      }
    }
  }
  return { data: out, channels: 3, height: h, width: w };
}

export interface TiledUpscaleOptions extends TilePlanOptions {
  /** Output pixels per input pixel of `run`. */
  scale: number;
}

/**
 * Runs `run` (RGB 0–1 in, ×scale out) over the tiles of `img` and assembles an
 * 8-bit RGB result, clamped to 0–1 and rounded. Peak memory: the output image
 * plus one tile's input and output.
 */
export async function upscaleTiled(
  img: PixelImage,
  opts: TiledUpscaleOptions,
  run: (tile: PlanarImage) => Promise<PlanarImage>,
  onTile?: (done: number, total: number) => void,
): Promise<Image8> {
  const s = opts.scale;
  const xs = planAxis(img.width, opts);
  const ys = planAxis(img.height, opts);
  const ow = img.width * s;
  const oh = img.height * s;
  const out = new Uint8Array(ow * oh * 3);
  let done = 0;
  for (const ty of ys) {
    for (const tx of xs) {
      const res = await run(cropToPlanar(img, tx.from, ty.from, tx.to, ty.to));
      const tw = (tx.to - tx.from) * s;
      const th = (ty.to - ty.from) * s;
      if (res.width !== tw || res.height !== th || res.channels !== 3) {
        throw new DreamLayerError('MODEL_CONTRACT', { stage: 'infer', message: `The upscaler returned ${res.width}x${res.height}x${res.channels} for a tile that should give ${tw}x${th}x3.` });
      }
      const n = tw * th;
      // Keep the core only: the context rows and columns were there to be seen, not kept.
      const kx0 = (tx.start - tx.from) * s;
      const ky0 = (ty.start - ty.from) * s;
      const kw = (tx.end - tx.start) * s;
      const kh = (ty.end - ty.start) * s;
      for (let y = 0; y < kh; y++) {
        let srcI = (ky0 + y) * tw + kx0;
        let d = ((ty.start * s + y) * ow + tx.start * s) * 3;
        for (let x = 0; x < kw; x++, srcI++, d += 3) {
          for (let c = 0; c < 3; c++) {
            const v = res.data[c * n + srcI] * 255 + 0.5;
            out[d + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
          }
        }
      }
      onTile?.(++done, xs.length * ys.length);
    }
  }
  return { width: ow, height: oh, channels: 3, data: out };
}

/**
 * The largest tile edge (input pixels) whose working memory fits `budgetBytes`,
 * at `bytesPerPixel` per input pixel; never less than the context needs.
 */
export function tileForBudget(budgetBytes: number, bytesPerPixel: number, context: number): number {
  const edge = Math.floor(Math.sqrt(budgetBytes / Math.max(1, bytesPerPixel)));
  return Math.max(2 * context + 16, Math.min(8192, edge));
}
