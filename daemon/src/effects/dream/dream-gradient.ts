/**
 * One evaluation of the dream objective and its gradient with respect to the
 * pixels, through the dream-step ONNX model (built by onnx/autodiff): roll the
 * image by the jitter, split it into stride-aligned overlapping tiles when it
 * exceeds the budget, run the step model per tile, cross-fade the tiles'
 * gradients, convert to pixel units and roll back.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { DREAM_OUTPUTS } from '../../onnx/autodiff/build-dream-step.ts';
import type { Feeds, ModelSession } from '../../runtime/model-session.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';
import { gradientToPixels, toNetworkInput, type DreamInputMap } from './dream-input.ts';
import { gradientTiles } from './gradient-tiles.ts';
import { cropPlanes } from './planar-ops.ts';

/** Everything a gradient evaluation needs. */
export interface DreamNetwork {
  /** The dream-step model (outputs `objective` and `gradient`). */
  session: ModelSession;
  /** Its image input. */
  inputName: string;
  /** Pixels → network input. */
  map: DreamInputMap;
  /** Tiles start at multiples of this (the layers' largest stride). */
  align: number;
  /** Tile edge and overlap in pixels (frames up to `tile` in both sides go in whole). */
  tile: number;
  overlap: number;
  /** Guide activations, fed with every run (guided dreams). */
  guideFeeds?: Feeds;
}

export interface GradientResult {
  /** d objective / d pixel, planar RGB, same size as the image. */
  gradient: Float32Array;
  /** The objective (a weighted mean over tiles when tiled). */
  objective: number;
  /** Number of tiles the gradient was computed in. */
  tiles: number;
}

async function runStep(net: DreamNetwork, x: Float32Array, h: number, w: number): Promise<{ gradient: Float32Array; objective: number }> {
  const out = await net.session.run({ [net.inputName]: { data: x, dims: [1, 3, h, w] }, ...(net.guideFeeds ?? {}) }, [DREAM_OUTPUTS.objective, DREAM_OUTPUTS.gradient]);
  const g = out[DREAM_OUTPUTS.gradient]?.data as Float32Array | undefined;
  const o = out[DREAM_OUTPUTS.objective]?.data as Float32Array | undefined;
  if (!g || g.length !== 3 * h * w || !o) throw new DreamLayerError('INTERNAL', { stage: 'infer', message: `The dream-step model returned no gradient of shape [1,3,${h},${w}].` });
  return { gradient: g, objective: o[0]! };
}

/**
 * Objective and pixel gradient of `img` (planar RGB in pixel units) after
 * rolling it by (dx, dy); the gradient is rolled back, so it refers to `img`.
 *
 * Tiled: each tile's gradient is scaled by its share of the image area (the
 * objective is a mean over layer positions, so a tile's gradient is larger by
 * the inverse of its share) and cross-faded with its neighbours.
 */
export async function pixelGradient(net: DreamNetwork, img: PlanarImage, dx = 0, dy = 0): Promise<GradientResult> {
  const { height: h, width: w } = img;
  const x: PlanarImage = { ...img, data: toNetworkInput(img.data, net.map, w, h, dx, dy) };
  const tiles = gradientTiles(h, w, net.tile, net.overlap, net.align);
  let gNet: Float32Array;
  let objective = 0;
  if (tiles.length === 1) {
    const r = await runStep(net, x.data, h, w);
    gNet = r.gradient;
    objective = r.objective;
  } else {
    gNet = new Float32Array(3 * h * w);
    const n = h * w;
    for (const t of tiles) {
      const r = await runStep(net, cropPlanes(x, t.x, t.y, t.width, t.height).data, t.height, t.width);
      const share = (t.width * t.height) / n;
      const tn = t.width * t.height;
      let wsum = 0;
      for (let yy = 0; yy < t.height; yy++) {
        const wy = t.wy[yy]!;
        if (wy === 0) continue;
        for (let xx = 0; xx < t.width; xx++) {
          const wt = wy * t.wx[xx]!;
          if (wt === 0) continue;
          wsum += wt;
          const o = (t.y + yy) * w + t.x + xx;
          const i = yy * t.width + xx;
          const k = wt * share;
          gNet[o] += r.gradient[i]! * k;
          gNet[n + o] += r.gradient[tn + i]! * k;
          gNet[2 * n + o] += r.gradient[2 * tn + i]! * k;
        }
      }
      objective += (r.objective * wsum) / n;
    }
  }
  return { gradient: gradientToPixels(gNet, net.map, w, h, dx, dy), objective, tiles: tiles.length };
}
