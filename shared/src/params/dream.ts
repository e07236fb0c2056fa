import type { EffectDescriptor } from './param-spec.ts';
import { SIZE_PARAMS } from './common.ts';

/**
 * DeepDream: gradient ascent on the activations of a classifier's inner layers,
 * octave by octave. The CLI adds modes that are not per-frame parameters
 * (`--list-layers`, `--layers-sheet`, the infinite zoom `--zoom … --frames-out …`).
 */
export const DREAM: EffectDescriptor = {
  name: 'dream',
  title: 'DeepDream',
  description: 'Hallucinates what a classifier network sees in the picture (DeepDream): the patterns of the chosen layers grow out of the image, octave by octave; in a clip they follow the motion.',
  task: 'classifier',
  defaultModel: 'googlenet',
  formats: ['png', 'mp4', 'h265', 'prores'],
  params: [
    { name: 'layers', label: 'Layers', help: "Layers to amplify, NAME[:WEIGHT] separated by commas (empty = the model's default; `dreamlayer dream --list-layers` shows the names). Early layers give strokes and textures, deep ones eyes, animals and buildings.", type: 'string', default: '' },
    { name: 'octaves', label: 'Octaves', help: 'Number of scales the dream runs at, smallest first (more = larger patterns).', type: 'integer', min: 1, max: 12, default: 4 },
    { name: 'octaveScale', label: 'Octave scale', help: 'Size ratio between neighbouring octaves.', type: 'number', min: 1.05, max: 3, step: 0.05, default: 1.4 },
    { name: 'iterations', label: 'Iterations', help: 'Gradient-ascent steps per octave (0 = no dreaming).', type: 'integer', min: 0, max: 500, default: 10 },
    { name: 'step', label: 'Step', help: 'Change per step in 8-bit pixel levels (the gradient is normalised by its mean magnitude, so this is the mean change per pixel).', type: 'number', min: 0, max: 50, step: 0.1, default: 1.5 },
    { name: 'jitter', label: 'Jitter', help: 'The image is rolled by a random offset of up to this many pixels before each step, so the patterns do not lock to the network grid or to tile seams.', type: 'integer', min: 0, max: 512, default: 32 },
    { name: 'seed', label: 'Seed', help: 'Seed of the jitter: the same seed gives the same dream.', type: 'integer', min: 0, max: 2147483647, default: 0 },
    { name: 'guide', label: 'Guide image', help: "Optional image file whose features the dream grows (each position is pushed towards the guide's most similar feature) instead of amplifying whatever is there.", type: 'string', default: '', isPath: true },
    { name: 'temporal', label: 'Temporal stability', help: 'Video: each frame starts from the previous dream carried along the motion, mixed with this share where the motion is reliable (0 = each frame dreamed alone; flickers).', type: 'number', min: 0, max: 1, step: 0.05, default: 0.75 },
    { name: 'tile', label: 'Tile size', help: 'Largest square, in pixels, whose gradient is computed at once (0 = derived from the memory budget). Tiles overlap and move with the jitter, so no seams show.', type: 'integer', min: 0, max: 8192, default: 0 },
    { name: 'memory', label: 'Memory budget (MB)', help: 'Memory the gradient of one tile may use; larger frames are split into tiles.', type: 'integer', min: 64, max: 65536, default: 1536 },
    ...SIZE_PARAMS,
  ],
};
