/**
 * How the dream's pixels become the classifier's input, and how the gradient
 * comes back. The dream works on planar RGB in 8-bit pixel units (0..255, as
 * floats) whatever the network wants, so the step size, the jitter and the
 * clamp mean the same for every model; the network's own convention (BGR,
 * 0..1, ImageNet mean/std, (px − 128)/128…) is applied at the feed and its
 * chain rule to the gradient.
 *
 * The convention comes from the model catalog (by id, or by the file's SHA-256
 * for a catalog model given as a path); a file the catalog does not know is
 * assumed to take RGB (px − 127.5)/127.5, which the log says.
 */
import type { Catalog, CatalogEntry, ImageInputContract } from '../../models/catalog.ts';
import { defaultCatalog } from '../../models/catalog.ts';
import type { ModelRecord } from '../effect.ts';

/** The per-channel affine map px → network input, in network channel order. */
export interface DreamInputMap {
  /** Network channel c reads RGB channel `order[c]`. */
  order: [number, number, number];
  /** x_net[c] = px[order[c]] · scale[c] + offset[c]. */
  scale: [number, number, number];
  offset: [number, number, number];
  /** Where it came from: a catalog id, or 'assumed'. */
  origin: string;
  /** Human-readable summary for logs and result.json. */
  summary: string;
}

/** The catalog entry of a classifier: by id, else by the file's SHA-256 (published or the shelf copy's). */
export function findClassifierEntry(record: ModelRecord, catalog?: Catalog): CatalogEntry | undefined {
  let cat: Catalog;
  try {
    cat = catalog ?? defaultCatalog();
  } catch {
    return undefined;
  }
  return (
    cat.models.find((m) => m.id === record.id && m.task === 'classifier') ??
    cat.models.find((m) => m.task === 'classifier' && (m.sha256 === record.sha256 || m.shelfSha256 === record.sha256))
  );
}

/** The input map of a catalog image contract. */
export function inputMapFromContract(c: ImageInputContract, origin: string): DreamInputMap {
  const [lo, hi] = c.range === 'px' ? [0, 255] : c.range;
  const a = (hi - lo) / 255;
  const mean = c.mean ?? [0, 0, 0];
  const std = c.std ?? [1, 1, 1];
  const order: [number, number, number] = c.colour === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const scale = [0, 1, 2].map((i) => a / std[i]!) as [number, number, number];
  const offset = [0, 1, 2].map((i) => (lo - mean[i]!) / std[i]!) as [number, number, number];
  const range = c.range === 'px' ? '0–255' : `${lo}–${hi}`;
  const summary = `${c.colour} ${range}${c.mean ? ` − [${c.mean.join(', ')}]` : ''}${c.std ? ` / [${c.std.join(', ')}]` : ''} (${origin})`;
  return { order, scale, offset, origin, summary };
}

/** The convention assumed for a classifier the catalog does not describe. */
export const ASSUMED_INPUT: DreamInputMap = {
  order: [0, 1, 2],
  scale: [1 / 127.5, 1 / 127.5, 1 / 127.5],
  offset: [-1, -1, -1],
  origin: 'assumed',
  summary: 'RGB (px − 127.5) / 127.5 (assumed: the catalog does not describe this model)',
};

/** The input map for a loaded classifier. */
export function dreamInputMap(record: ModelRecord, catalog?: Catalog): DreamInputMap {
  const entry = findClassifierEntry(record, catalog);
  const image = entry?.contract?.inputs.find((i): i is ImageInputContract => i.role === 'image');
  return image ? inputMapFromContract(image, entry!.id) : ASSUMED_INPUT;
}

/**
 * Planar RGB pixels (0..255) of a width × height image → the network's planar
 * input, rolled by (dx, dy) on the way (np.roll: content moves by +dx, +dy,
 * wrapping around) — one pass for the jitter and the conversion.
 */
export function toNetworkInput(px: Float32Array, map: DreamInputMap, width = px.length / 3, height = 1, dx = 0, dy = 0): Float32Array {
  const n = width * height;
  const dst = new Float32Array(3 * n);
  const sx = ((dx % width) + width) % width;
  const sy = ((dy % height) + height) % height;
  for (let c = 0; c < 3; c++) {
    const s = map.scale[c]!;
    const o = map.offset[c]!;
    const from = map.order[c]! * n;
    const to = c * n;
    for (let y = 0; y < height; y++) {
      // Output row y reads source row y − sy; output column x reads source column x − sx.
      const srcRow = from + ((y - sy + height) % height) * width;
      const dstRow = to + y * width;
      for (let x = 0; x < sx; x++) dst[dstRow + x] = px[srcRow + x - sx + width]! * s + o;
      for (let x = sx; x < width; x++) dst[dstRow + x] = px[srcRow + x - sx]! * s + o;
    }
  }
  return dst;
}

/**
 * The gradient with respect to the (rolled) network input → the gradient with
 * respect to the RGB pixels of the unrolled image: chain rule through the
 * affine map, and the roll undone (pixel p was at p + (dx, dy) in the network input).
 */
export function gradientToPixels(g: Float32Array, map: DreamInputMap, width = g.length / 3, height = 1, dx = 0, dy = 0): Float32Array {
  const n = width * height;
  const dst = new Float32Array(3 * n);
  const sx = ((dx % width) + width) % width;
  const sy = ((dy % height) + height) % height;
  for (let c = 0; c < 3; c++) {
    const s = map.scale[c]!;
    const from = c * n;
    const to = map.order[c]! * n;
    for (let y = 0; y < height; y++) {
      const srcRow = from + ((y + sy) % height) * width;
      const dstRow = to + y * width;
      for (let x = 0; x < width - sx; x++) dst[dstRow + x] = g[srcRow + x + sx]! * s;
      for (let x = width - sx; x < width; x++) dst[dstRow + x] = g[srcRow + x + sx - width]! * s;
    }
  }
  return dst;
}
