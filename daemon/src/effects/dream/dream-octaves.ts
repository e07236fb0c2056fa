/**
 * The DeepDream loop (Mordvintsev et al. 2015, as in the original Caffe
 * notebook): the image is shrunk to a pyramid of octaves; the dream starts on
 * the smallest, and after each octave the detail it added (dreamed − base) is
 * enlarged and added to the next octave's base, so patterns grown at a coarse
 * scale are refined at the finer ones. Each iteration rolls the image by a
 * random jitter, takes the gradient of the layer objective, and moves every
 * pixel by step · g / mean|g| (gradient ascent normalised by the gradient's
 * mean magnitude), then clamps to the network's input range (0..255).
 */
import { resizePlanes } from '../../runtime/resize.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';
import { pixelGradient, type DreamNetwork } from './dream-gradient.ts';
import { clampInPlace } from './planar-ops.ts';
import { randomOffset, seededRandom } from '../../core/seeded-random.ts';

export interface DreamSettings {
  octaves: number;
  octaveScale: number;
  iterations: number;
  /** Mean change per pixel per step, in 8-bit levels. */
  step: number;
  /** Largest roll in pixels. */
  jitter: number;
  seed: number;
}

/** What happened at one octave. */
export interface OctaveTrace {
  width: number;
  height: number;
  /** Objective before each step (the first is the octave's starting point). */
  objectives: number[];
  /** Objective before the first step and after the last, both without jitter (only when `measure` is set). */
  initial?: number;
  final?: number;
  tiles: number;
}

export interface DreamRunOptions {
  signal?: AbortSignal;
  /** Receives one record per octave, smallest first. */
  trace?: OctaveTrace[];
  /**
   * Evaluate the objective without jitter before each octave's first step and
   * after its last (two more gradient evaluations per octave): the steps' own
   * values are taken at random rolls, which shift the objective a little.
   */
  measure?: boolean;
}

/**
 * Octave sizes, smallest first, the last being the image's own size. Octaves
 * whose shorter side would fall below `minSide` are left out.
 */
export function octaveSizes(height: number, width: number, octaves: number, scale: number, minSide = 16): { height: number; width: number }[] {
  const out: { height: number; width: number }[] = [];
  for (let i = 0; i < octaves; i++) {
    const f = scale ** -i;
    const h = Math.round(height * f);
    const w = Math.round(width * f);
    if (i > 0 && Math.min(h, w) < minSide) break;
    out.push({ height: h, width: w });
  }
  return out.reverse();
}

/** Dreams on `img` (planar RGB, pixel units 0..255); returns a new image of the same size. */
export async function dreamPlanes(img: PlanarImage, net: DreamNetwork, s: DreamSettings, opts: DreamRunOptions = {}): Promise<PlanarImage> {
  const { height: H, width: W } = img;
  const sizes = octaveSizes(H, W, s.octaves, s.octaveScale, Math.max(16, net.align));
  const rng = seededRandom(s.seed);
  let detail: Float32Array | null = null;
  let prev = sizes[0]!;
  let cur: Float32Array = img.data;
  for (const size of sizes) {
    const { height: h, width: w } = size;
    const base = resizePlanes(img.data, 3, H, W, h, w, 'bicubic');
    cur = base.slice();
    if (detail) {
      const up = resizePlanes(detail, 3, prev.height, prev.width, h, w, 'bicubic');
      for (let i = 0; i < cur.length; i++) cur[i] += up[i]!;
      clampInPlace(cur, 0, 255);
    }
    const trace: OctaveTrace = { width: w, height: h, objectives: [], tiles: 1 };
    const plane: PlanarImage = { data: cur, channels: 3, height: h, width: w };
    if (opts.measure) trace.initial = (await pixelGradient(net, plane, 0, 0)).objective;
    for (let it = 0; it < s.iterations; it++) {
      opts.signal?.throwIfAborted();
      const dx = randomOffset(rng, Math.min(s.jitter, w - 1));
      const dy = randomOffset(rng, Math.min(s.jitter, h - 1));
      const r = await pixelGradient(net, plane, dx, dy);
      trace.objectives.push(r.objective);
      trace.tiles = r.tiles;
      let sum = 0;
      const g = r.gradient;
      for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]!);
      const k = s.step / (sum / g.length + 1e-8);
      for (let i = 0; i < cur.length; i++) cur[i] += g[i]! * k;
      clampInPlace(cur, 0, 255);
    }
    if (opts.measure) trace.final = (await pixelGradient(net, plane, 0, 0)).objective;
    opts.trace?.push(trace);
    detail = new Float32Array(cur.length);
    for (let i = 0; i < cur.length; i++) detail[i] = cur[i]! - base[i]!;
    prev = size;
  }
  return { data: cur, channels: 3, height: H, width: W };
}
