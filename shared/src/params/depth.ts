import type { EffectDescriptor } from './param-spec.ts';
import { SIZE_PARAMS } from './common.ts';

/**
 * Depth pass: relative inverse depth from a monocular network, one grey mapping per clip
 * (so the map does not pump), edges snapped to the source's edges, flow-guided temporal
 * smoothing, 16-bit grey PNG by default (near = white).
 */
export const DEPTH: EffectDescriptor = {
  name: 'depth',
  title: 'Depth',
  description: 'A depth pass for compositing (Camera Lens Blur, Displacement Map, fog): 16-bit grey, near = white, one mapping for the whole clip so it never pumps, edges on the image edges, steady over time.',
  task: 'depth',
  defaultModel: 'tcmonodepth-small',
  formats: ['png', 'exr', 'prores'],
  params: [
    { name: 'invert', label: 'Invert', help: 'Far = white instead of near = white.', type: 'boolean', default: false, cli: '--invert' },
    { name: 'bits', label: 'Bit depth', help: 'Bits per pixel of the grey frames: 16 (no banding in blur maps) or 8.', type: 'enum', options: ['16', '8'], default: '16', cli: '--bits' },
    { name: 'temporal', label: 'Temporal smoothing', help: 'How much of the previous depth, carried along the optical flow, is kept where the flow is reliable and the depth agrees (0 = each frame alone).', type: 'number', min: 0, max: 0.95, step: 0.05, default: 0.85, cli: '--temporal' },
    { name: 'normalize', label: 'Normalisation', help: "How raw depth maps to grey: 'clip' = one mapping for the whole clip (steady), 'sliding' = a mapping that drifts slowly over a window of seconds (for shots whose depth range changes), 'frame' = each frame on its own (pumps; for stills).", type: 'enum', options: ['clip', 'sliding', 'frame'], default: 'clip', cli: '--normalize' },
    { name: 'lowPercentile', label: 'Far point (percentile)', help: 'Percentile of the raw depth mapped to black (far); lower values clip fewer far pixels.', type: 'number', min: 0, max: 49, step: 0.5, default: 1, cli: '--low-percentile' },
    { name: 'highPercentile', label: 'Near point (percentile)', help: 'Percentile of the raw depth mapped to white (near); higher values clip fewer near pixels.', type: 'number', min: 51, max: 100, step: 0.5, default: 99, cli: '--high-percentile' },
    { name: 'normWindow', label: 'Sliding window (s)', help: "Width in seconds over which the 'sliding' normalisation averages the depth range.", type: 'number', min: 0.5, max: 120, step: 0.5, default: 4, cli: '--norm-window' },
    { name: 'upsampling', label: 'Upsampling', help: "How the network's low-resolution depth is brought to the frame size: 'guided' puts depth edges on the image's edges, 'bilinear' is plain interpolation.", type: 'enum', options: ['guided', 'bilinear'], default: 'guided', cli: '--upsampling' },
    { name: 'inferenceSize', label: 'Inference size', help: 'Longer side in pixels fed to networks that accept any size (0 = the model default: 518 for Depth Anything; fixed-size models ignore it).', type: 'integer', min: 0, max: 4096, default: 0, cli: '--inference-size' },
    ...SIZE_PARAMS,
  ],
};
