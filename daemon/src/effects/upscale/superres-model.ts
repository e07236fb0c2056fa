/**
 * A super-resolution network behind one call: `run(tile)` takes RGB 0–1 (CHW)
 * of any size and returns it enlarged by the network's own scale. Two input
 * conventions are told apart by probing the graph on two sizes (out = a·in − b):
 * - direct (Real-ESRGAN compact and most SR nets): b = 0, the scale is a;
 * - pre-enlarged (waifu2x vgg_7): a = 1, b > 0 — the network wants the image
 *   enlarged ×2 by nearest neighbour and edge-padded by b/2 px (waifu2x-input.ts).
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { ModelSession } from '../../runtime/model-session.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';
import type { SuperResGraphStats } from './superres-graph.ts';
import { waifu2xInput } from './waifu2x-input.ts';

export type SuperResKind = 'direct' | 'pre-enlarged';

export interface SuperResModel {
  kind: SuperResKind;
  /** Output pixels per input pixel of one run. */
  scale: number;
  /** Pre-enlarged kind: edge padding in enlarged pixels (7 for waifu2x vgg_7); 0 otherwise. */
  pad: number;
  /** Context in input pixels a tile needs on each inner side so its kept part equals the untiled result. */
  context: number;
  /** Estimated working memory of one run per input pixel, in bytes. */
  bytesPerPixel: number;
  run(tile: PlanarImage): Promise<PlanarImage>;
}

/** Bytes of working memory per network-input pixel per feature channel: about seven live float maps (ORT arena, im2col/NCHWc buffers). */
const BYTES_PER_CHANNEL = 4 * 7;

async function runRaw(session: ModelSession, input: PlanarImage): Promise<PlanarImage> {
  const name = session.inputs[0].name;
  const out = await session.run({ [name]: { data: input.data, dims: [1, input.channels, input.height, input.width] } });
  const first = out[session.outputs[0].name] ?? Object.values(out)[0];
  const [, c, h, w] = first.dims;
  if (first.dims.length !== 4 || c !== 3) {
    throw new DreamLayerError('MODEL_CONTRACT', { stage: 'infer', message: `Super-resolution model ${session.label} returned shape [${first.dims.join(',')}], expected [1,3,H,W].` });
  }
  return { data: first.data as Float32Array, channels: 3, height: h, width: w };
}

/** Probes the network's size rule and wraps it; `stats` come from superResGraphStats on the same file. */
export async function openSuperResModel(session: ModelSession, stats: SuperResGraphStats): Promise<SuperResModel> {
  const probe = async (n: number) => (await runRaw(session, { data: new Float32Array(3 * n * n).fill(0.5), channels: 3, height: n, width: n })).width;
  const [n1, n2] = [24, 40];
  const [o1, o2] = [await probe(n1), await probe(n2)];
  const a = (o2 - o1) / (n2 - n1);
  const b = a * n1 - o1;
  const perPixel = stats.maxChannels * BYTES_PER_CHANNEL;
  if (Number.isInteger(a) && a >= 1 && b === 0) {
    return {
      kind: 'direct',
      scale: a,
      pad: 0,
      context: Math.max(1, stats.receptiveRadius),
      bytesPerPixel: perPixel + 3 * 4 * a * a * 2,
      run: (tile) => runRaw(session, tile),
    };
  }
  if (a === 1 && b > 0 && b % 2 === 0) {
    const pad = b / 2;
    return {
      kind: 'pre-enlarged',
      scale: 2,
      pad,
      // The radius is in enlarged pixels; a tile needs half of it in input pixels (at least the padding's worth).
      context: Math.max(1, Math.ceil(Math.max(stats.receptiveRadius, pad) / 2)),
      bytesPerPixel: 4 * (perPixel + 3 * 4 * 2),
      run: async (tile) => {
        const out = await runRaw(session, waifu2xInput(tile, pad));
        if (out.width !== tile.width * 2 || out.height !== tile.height * 2) {
          throw new DreamLayerError('MODEL_CONTRACT', { stage: 'infer', message: `Model ${session.label} returned ${out.width}x${out.height} for a ${tile.width}x${tile.height} tile, expected ${tile.width * 2}x${tile.height * 2}.` });
        }
        return out;
      },
    };
  }
  throw new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Model ${session.label} is not a super-resolution network this effect understands: a ${n1}px input gives ${o1}px, a ${n2}px input gives ${o2}px.`,
    hint: 'Use a network whose output is an integer multiple of its input (Real-ESRGAN), or a waifu2x-style one that takes a ×2 nearest-enlarged, padded input.',
  });
}
