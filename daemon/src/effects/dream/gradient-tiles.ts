/**
 * Tile layout for the dream's gradient on frames larger than the memory budget.
 *
 * Unlike inference tiles (runtime/tiling.ts), gradient tiles start at multiples
 * of the layers' stride: a tile's activations then sit on the same grid as the
 * untiled image's, so away from a tile's edges (farther than the receptive
 * field) its gradient is the untiled gradient, exactly. Neighbouring tiles
 * overlap and are cross-faded: weight 0 on the outer quarter of the overlap
 * (where the receptive field is cut off), a linear ramp over the middle half;
 * the weights of all tiles sum to 1 everywhere. The dream rolls the image by a
 * random offset before tiling, so the tile edges fall elsewhere at every step.
 */

/** One tile: its rectangle and its blending weight along each axis. */
export interface GradientTile {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Weight per column and per row of the tile (product = weight of a pixel). */
  wx: Float32Array;
  wy: Float32Array;
}

interface Span {
  start: number;
  length: number;
}

/**
 * Tiles along one axis: starts at multiples of `align`, every tile `tile` long
 * except the last, which reaches the end (up to `align` − 1 longer); neighbours
 * overlap by at least `overlap` − `align` + 1.
 */
export function axisSpans(size: number, tile: number, overlap: number, align: number): Span[] {
  if (size <= tile) return [{ start: 0, length: size }];
  const n = Math.ceil((size - overlap) / (tile - overlap));
  const spans: Span[] = [];
  for (let i = 0; i < n; i++) {
    const start = i === 0 ? 0 : Math.floor((i * (size - tile)) / (n - 1) / align) * align;
    // A start equal to the previous one (size barely above the tile): the longer span replaces it.
    if (spans.length && spans[spans.length - 1]!.start === start) spans.pop();
    spans.push({ start, length: i === n - 1 ? size - start : tile });
  }
  return spans;
}

/** Cross-fade weights of span k given the overlaps with its neighbours. */
function spanWeights(spans: Span[], k: number): Float32Array {
  const s = spans[k]!;
  const w = new Float32Array(s.length).fill(1);
  const side = (ovl: number, fromEnd: boolean) => {
    if (ovl <= 0) return;
    const margin = Math.floor(ovl / 4);
    const width = Math.max(1, ovl - 2 * margin);
    for (let x = 0; x < s.length; x++) {
      const d = fromEnd ? s.length - 1 - x : x;
      const r = Math.max(0, Math.min(1, (d - margin + 0.5) / width));
      if (r < w[x]!) w[x] = r;
    }
  };
  if (k > 0) side(spans[k - 1]!.start + spans[k - 1]!.length - s.start, false);
  if (k < spans.length - 1) side(s.start + s.length - spans[k + 1]!.start, true);
  return w;
}

/** The tiles covering a height × width image (one tile when it fits). */
export function gradientTiles(height: number, width: number, tile: number, overlap: number, align: number): GradientTile[] {
  const ys = axisSpans(height, tile, overlap, align);
  const xs = axisSpans(width, tile, overlap, align);
  const wys = ys.map((_, k) => spanWeights(ys, k));
  const wxs = xs.map((_, k) => spanWeights(xs, k));
  const tiles: GradientTile[] = [];
  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      tiles.push({ x: xs[i]!.start, y: ys[j]!.start, width: xs[i]!.length, height: ys[j]!.length, wx: wxs[i]!, wy: wys[j]! });
    }
  }
  return tiles;
}

/**
 * Tile edge and overlap for a memory budget: the largest multiple of `align`
 * whose square fits `memoryBytes` at `bytesPerPixel`, at least 4 × align (so
 * the overlap, 2 × align or an eighth of the tile, stays under half a tile).
 */
export function tileForBudget(memoryBytes: number, bytesPerPixel: number, align: number, explicitTile = 0): { tile: number; overlap: number } {
  const raw = explicitTile > 0 ? explicitTile : Math.sqrt(memoryBytes / Math.max(1, bytesPerPixel));
  const tile = Math.max(4 * align, Math.floor(raw / align) * align);
  const overlap = Math.max(2 * align, Math.round(tile / 8 / align) * align);
  return { tile, overlap: Math.min(overlap, Math.floor(tile / 2 / align) * align) };
}
