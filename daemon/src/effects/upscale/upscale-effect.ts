/**
 * Upscale effect: ×2/×4 with a super-resolution network run in seamless tiles
 * sized to a memory budget (tiled-upscale.ts), or a centre-aligned Lanczos-3
 * (lanczos-upscale.ts) when no model is given. Stateless, so as a chain step
 * it costs nothing on resume.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { UPSCALE } from '../../../../shared/src/params/upscale.ts';
import type { PixelImage } from '../../core/image.ts';
import { readModelFile } from '../../onnx/proto.ts';
import type { Effect, FrameProcessor } from '../effect.ts';
import { loadModel } from '../load-model.ts';
import { lanczosUpscale } from './lanczos-upscale.ts';
import { superResGraphStats } from './superres-graph.ts';
import { openSuperResModel, type SuperResModel } from './superres-model.ts';
import { tileForBudget, upscaleTiled } from './tiled-upscale.ts';

/** Model references that mean "no network": the classical Lanczos-3 resize. */
export const LANCZOS_REFS = new Set(['lanczos', 'builtin:lanczos']);

/** How many runs of a ×`native` network give ×`scale` (1 or 2), or PARAM_INVALID. */
export function passesFor(scale: number, native: number, label: string): number {
  if (scale === native) return 1;
  if (scale === native * native) return 2;
  throw new DreamLayerError('PARAM_INVALID', {
    stage: 'validate',
    message: `Model ${label} enlarges ×${native}, which cannot make ×${scale}.`,
    hint: native === 4 ? 'Use --scale 4, or a ×2 model (realesr-animevideov3-x2) for ×2.' : `Use --scale ${native} or ${native * native}.`,
  });
}

export interface UpscalePlan {
  tile: number;
  context: number;
  passes: number;
}

/** Tile size and context for a network under the job's parameters. */
export function planUpscale(net: Pick<SuperResModel, 'scale' | 'context' | 'bytesPerPixel'>, params: { scale: number; tile: number; overlap: number; memoryMb: number }, label: string): UpscalePlan {
  const passes = passesFor(params.scale, net.scale, label);
  const context = params.overlap > 0 ? params.overlap : net.context;
  const tile = params.tile > 0 ? params.tile : tileForBudget(params.memoryMb * 1024 * 1024, net.bytesPerPixel, context);
  return { tile, context, passes };
}

export const upscaleEffect: Effect = {
  descriptor: UPSCALE,
  async create(setup): Promise<FrameProcessor> {
    const params = setup.params as { scale: number; tile: number; overlap: number; memoryMb: number };
    const scale = params.scale;
    const outputSize = { width: setup.width * scale, height: setup.height * scale };
    if (!setup.model || LANCZOS_REFS.has(setup.model)) {
      setup.log(`upscale: Lanczos-3 ×${scale} (no model given; --model realesr-animevideov3-x2 or a .onnx file for a neural upscale)`);
      return {
        model: null,
        device: 'none',
        outputSize,
        stateful: false,
        process: async (frame) => lanczosUpscale(frame.image as PixelImage, scale),
        extra: () => ({ upscale: { method: 'lanczos3', scale } }),
      };
    }
    if (scale === 3) {
      throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: 'Networks upscale ×2 or ×4; ×3 is only available with Lanczos.', hint: 'Use --scale 2 or 4, or leave out the model for Lanczos ×3.' });
    }
    const { record, session } = await loadModel(setup.model, 'superres', { device: setup.device });
    const net = await openSuperResModel(session, superResGraphStats(readModelFile(record.path)));
    const plan = planUpscale(net, params, record.id);
    const tilesPerFrame = { count: 0 };
    setup.log(`upscale: ${record.id} (${net.kind}, ×${net.scale}${plan.passes > 1 ? ' twice' : ''}) on ${session.provider}, tiles up to ${plan.tile} px with ${plan.context} px context`);
    return {
      model: record,
      device: session.provider,
      outputSize,
      stateful: false,
      async process(frame) {
        let img: PixelImage = frame.image;
        let tiles = 0;
        for (let p = 0; p < plan.passes; p++) {
          let passTiles = 0;
          img = await upscaleTiled(img, { tile: plan.tile, context: plan.context, scale: net.scale }, (t) => net.run(t), (_, total) => (passTiles = total));
          tiles += passTiles;
        }
        tilesPerFrame.count = tiles;
        return img;
      },
      extra: () => ({ upscale: { method: net.kind === 'direct' ? 'network' : 'network-pre-enlarged', model: record.id, scale, passes: plan.passes, tile: plan.tile, context: plan.context, tilesPerFrame: tilesPerFrame.count } }),
    };
  },
};
