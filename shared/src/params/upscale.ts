import type { EffectDescriptor } from './param-spec.ts';
import { SIZE_PARAMS } from './common.ts';

/**
 * Upscale: a super-resolution network (Real-ESRGAN compact, waifu2x) run in
 * tiles under a memory budget, or Lanczos when no model is given. Also the step
 * that `--upscale N` appends to any effect's chain.
 */
export const UPSCALE: EffectDescriptor = {
  name: 'upscale',
  title: 'Upscale',
  description: 'Enlarges every frame ×2 or ×4 with a super-resolution network (Real-ESRGAN, waifu2x), tiled under a memory budget without seams; Lanczos when no model is given.',
  task: 'superres',
  defaultModel: null,
  formats: ['png', 'mp4', 'h265', 'prores'],
  params: [
    { name: 'scale', label: 'Scale', help: 'Output pixels per input pixel: 2 or 4 (3 with Lanczos only). A ×2 network runs twice for ×4.', type: 'integer', min: 2, max: 4, default: 2, cli: '--scale' },
    { name: 'tile', label: 'Tile size', help: 'Edge in input pixels of the largest piece given to the network at once, context included (0 = the largest that fits the memory budget).', type: 'integer', min: 0, max: 8192, default: 0, cli: '--tile' },
    { name: 'overlap', label: 'Tile context', help: "Input pixels each tile reads beyond the part it keeps, on every inner side (0 = the network's receptive radius, read from the graph, so the tiled result equals the untiled one).", type: 'integer', min: 0, max: 512, default: 0, cli: '--overlap' },
    { name: 'memoryMb', label: 'Memory budget (MiB)', help: 'Working memory the network may use for one tile, in MiB; sets the tile size when the tile size is 0.', type: 'integer', min: 64, max: 1048576, default: 1024, cli: '--memory' },
    ...SIZE_PARAMS,
  ],
};
