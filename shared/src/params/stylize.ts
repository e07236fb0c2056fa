import type { EffectDescriptor } from './param-spec.ts';
import { SIZE_PARAMS } from './common.ts';

export const STYLIZE: EffectDescriptor = {
  name: 'stylize',
  title: 'Stylize',
  description: 'Paints every frame in the look of a style network, steady over time (optical flow carries the strokes along the motion).',
  task: 'style',
  defaultModel: 'builtin:toon',
  formats: ['png', 'mp4', 'h265', 'prores'],
  params: [
    { name: 'strength', label: 'Strength', help: 'Mix of the stylized frame over the source (1 = full style, 0 = source).', type: 'number', min: 0, max: 1, step: 0.05, default: 1, cli: '--strength' },
    { name: 'temporal', label: 'Temporal stability', help: 'How much of the previous stylized frame, carried along the motion, is kept where the motion is reliable (0 = each frame alone; flickers).', type: 'number', min: 0, max: 1, step: 0.05, default: 0.8, cli: '--temporal' },
    { name: 'preserveColors', label: 'Preserve colours', help: "Keep the source's colours and take only the style's light and texture: 'luminance' keeps the source chroma, 'histogram' matches the source's colour statistics.", type: 'enum', options: ['off', 'luminance', 'histogram'], default: 'off', cli: '--preserve-colors' },
    { name: 'keyframeInterval', label: 'Keyframe interval', help: 'Every N frames, blend in more of a fresh stylization so the look never drifts (0 = never).', type: 'integer', min: 0, max: 1000, default: 0, cli: '--keyframe-interval' },
    ...SIZE_PARAMS,
  ],
};
