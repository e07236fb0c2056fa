/** Stylize: a feed-forward style network on every frame (the temporal pass is layered on top). */
import type { Effect, FrameProcessor } from '../effect.ts';
import { STYLIZE } from '../../../../shared/src/params/stylize.ts';
import { loadModel } from '../load-model.ts';
import { runStyleNetwork, stylizedToImage } from './style-network.ts';
import type { Image8 } from '../../core/image.ts';

export const stylizeEffect: Effect = {
  descriptor: STYLIZE,
  async create(setup): Promise<FrameProcessor> {
    const { record, session } = await loadModel(setup.model ?? STYLIZE.defaultModel!, 'style', { device: setup.device, freeSpatialDims: true });
    const strength = setup.params.strength as number;
    return {
      model: record,
      device: session.provider,
      outputSize: { width: setup.width, height: setup.height },
      stateful: false,
      async process(frame) {
        const planes = await runStyleNetwork(session, frame.image as Image8);
        return stylizedToImage(planes, frame.image as Image8, strength);
      },
    };
  },
};
