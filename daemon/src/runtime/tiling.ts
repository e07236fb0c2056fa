/**
 * Tiled inference for frames larger than a model accepts or than a memory
 * budget allows. Tiles overlap; each tile's output is weighted by a window that
 * is zero on the outermost quarter of the overlap (where the receptive field is
 * cut off) and ramps linearly across the middle, then normalised by the weight
 * sum. With an overlap of at least twice a network's receptive radius the
 * tiled result matches the untiled one.
 */
export interface PlanarImage {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export interface TileOptions {
  /** Tile edge in input pixels. */
  tile: number;
  /** Overlap between neighbouring tiles in input pixels. */
  overlap: number;
  /** Output pixels per input pixel (super-resolution). */
  scale?: number;
  /** Tile sizes are rounded down to a multiple of this (model constraint). */
  multipleOf?: number;
}

/** Start offsets of tiles along one axis (evenly spread, first at 0, last flush with the end). */
export function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const n = Math.ceil((size - overlap) / (tile - overlap));
  const starts: number[] = [];
  for (let i = 0; i < n; i++) starts.push(Math.round((i * (size - tile)) / (n - 1)));
  return starts;
}

/** Feather weight at position x (0..len-1) of a tile, given which sides touch other tiles. */
function ramp(x: number, len: number, overlap: number, leftInner: boolean, rightInner: boolean): number {
  const margin = Math.floor(overlap / 4);
  const width = Math.max(1, overlap - 2 * margin);
  let w = 1;
  if (leftInner) w = Math.min(w, Math.max(0, Math.min(1, (x - margin + 0.5) / width)));
  if (rightInner) w = Math.min(w, Math.max(0, Math.min(1, (len - 1 - x - margin + 0.5) / width)));
  return w;
}

function crop(img: PlanarImage, x0: number, y0: number, w: number, h: number): PlanarImage {
  const out = new Float32Array(img.channels * w * h);
  for (let c = 0; c < img.channels; c++) {
    for (let y = 0; y < h; y++) {
      const s = c * img.height * img.width + (y0 + y) * img.width + x0;
      out.set(img.data.subarray(s, s + w), c * w * h + y * w);
    }
  }
  return { data: out, channels: img.channels, height: h, width: w };
}

/**
 * Runs `runTile` over overlapping tiles of `input` and blends the outputs.
 * Tiles are processed one at a time, so peak memory is one tile's worth.
 */
export async function runTiled(input: PlanarImage, opts: TileOptions, runTile: (tile: PlanarImage) => Promise<PlanarImage>): Promise<PlanarImage> {
  const scale = opts.scale ?? 1;
  const mult = opts.multipleOf ?? 1;
  const tile = Math.max(mult, Math.floor(opts.tile / mult) * mult);
  const overlap = Math.min(opts.overlap, tile - mult);
  if (input.width <= tile && input.height <= tile) return runTile(input);
  const xs = tileStarts(input.width, tile, overlap);
  const ys = tileStarts(input.height, tile, overlap);
  const ow = input.width * scale;
  const oh = input.height * scale;
  let out: Float32Array | null = null;
  let outChannels = 0;
  const wsum = new Float32Array(ow * oh);
  for (let yi = 0; yi < ys.length; yi++) {
    for (let xi = 0; xi < xs.length; xi++) {
      const tw = Math.min(tile, input.width);
      const th = Math.min(tile, input.height);
      const res = await runTile(crop(input, xs[xi], ys[yi], tw, th));
      if (!out) {
        outChannels = res.channels;
        out = new Float32Array(outChannels * ow * oh);
      }
      const rw = tw * scale;
      const rh = th * scale;
      const wx = new Float32Array(rw);
      const wy = new Float32Array(rh);
      for (let x = 0; x < rw; x++) wx[x] = ramp(x, rw, overlap * scale, xi > 0, xi < xs.length - 1);
      for (let y = 0; y < rh; y++) wy[y] = ramp(y, rh, overlap * scale, yi > 0, yi < ys.length - 1);
      const ox = xs[xi] * scale;
      const oy = ys[yi] * scale;
      for (let y = 0; y < rh; y++) {
        for (let x = 0; x < rw; x++) {
          const wgt = wx[x] * wy[y];
          if (wgt === 0) continue;
          const o = (oy + y) * ow + ox + x;
          wsum[o] += wgt;
          for (let c = 0; c < outChannels; c++) out[c * ow * oh + o] += res.data[c * rw * rh + y * rw + x] * wgt;
        }
      }
    }
  }
  const result = out!;
  for (let c = 0; c < outChannels; c++) {
    const base = c * ow * oh;
    for (let i = 0; i < ow * oh; i++) result[base + i] /= wsum[i];
  }
  return { data: result, channels: outChannels, height: oh, width: ow };
}
