/**
 * The built-in optical flow: Dense Inverse Search (Kroeger et al. 2016, as in OpenCV's
 * DISOpticalFlow) on luminance, written in plain typed arrays so it needs no weights and no
 * native code. Single-threaded and synchronous inside `estimate` (one pair ≈ 0.13 s at 1024×436
 * with the `medium` preset).
 */
import type { FloatImage } from '../core/image.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { luminance255 } from './dis/gray-pyramid.ts';
import { disFlow, type DisParams } from './dis/dis-flow.ts';
import { BufferPool, NO_POOL, type Pool } from './dis/buffer-pool.ts';
import type { FlowEstimator, FlowField } from './types.ts';

export const BUILTIN_FLOW_PRESETS = ['fast', 'medium', 'accurate'] as const;
export type BuiltinFlowPreset = (typeof BUILTIN_FLOW_PRESETS)[number];

// ω = 1.85 rather than OpenCV's 1.6: five sweeps do not converge the inner systems, and over-relaxing
// gets further per sweep (alley_1 EPE 0.356 → 0.321 at the same cost). With it, 4 fixed-point
// iterations (OpenCV: 5) lose almost nothing (alley_1 0.305 → 0.31) and save a tenth of the time.
const REFINE = { alpha: 20, delta: 5, gamma: 10, iterations: 4, sorIterations: 5, omega: 1.85 };

/**
 * Forward–backward check of `medium` and `accurate` (see dis-flow.ts). The backward flow only has to
 * expose gross errors, so it is a crude one: stride 8 (patches side by side), 6 Gauss–Newton
 * iterations, no refinement — about a tenth of the forward flow's cost. The tolerance (2 px at the
 * finest computed level) spares vectors that are right but that the crude backward flow misses by a
 * pixel or two; the wrong regions it has to catch are off by tens of pixels. The forward refinement's
 * 4 iterations are split around the fill (2 before the check, 2 after).
 */
const CONSISTENCY = { tolerance: 2, backward: { stride: 8, iterations: 6, refineIterations: 0 }, refineBefore: 2, refineAfter: 2, arbitration: null };

/**
 * Preset parameters. On large frames `fast` ≈ OpenCV's PRESET_FAST (finest level ¼ size) and `medium` ≈
 * PRESET_MEDIUM (½ size); on small frames they work nearer full resolution (`minFinestSide`).
 * `accurate` always works at full resolution. `medium` and `accurate` add the forward–backward check;
 * `fast` (the temporal effects' per-frame flow) does not.
 */
export function builtinFlowParams(preset: BuiltinFlowPreset): DisParams {
  switch (preset) {
    case 'fast':
      return { finestScale: 2, minFinestSide: 160, coarsestScale: null, sparseMedian: true, search: { patchSize: 8, stride: 4, iterations: 16, meanNormalization: true }, refine: { ...REFINE }, consistency: null };
    case 'medium':
      return { finestScale: 1, minFinestSide: 400, coarsestScale: null, sparseMedian: true, search: { patchSize: 8, stride: 3, iterations: 25, meanNormalization: true }, refine: { ...REFINE }, consistency: { ...CONSISTENCY, backward: { ...CONSISTENCY.backward } } };
    case 'accurate':
      return { finestScale: 0, minFinestSide: 0, coarsestScale: null, sparseMedian: true, search: { patchSize: 8, stride: 3, iterations: 25, meanNormalization: true }, refine: { ...REFINE }, consistency: { ...CONSISTENCY, backward: { ...CONSISTENCY.backward } } };
  }
}

export interface BuiltinFlowOptions {
  preset?: BuiltinFlowPreset;
  /** Overrides of the preset's parameters (for experiments and benchmarks). */
  params?: Partial<DisParams>;
}

/**
 * Computes the flow from `a` to `b` (backward-warping form, see types.ts) with the built-in DIS.
 * `pool` (see {@link BuiltinFlowEstimator}) lets repeated calls reuse their working buffers.
 */
export function computeBuiltinFlow(a: FloatImage, b: FloatImage, opts: BuiltinFlowOptions = {}, signal?: AbortSignal, pool: Pool = NO_POOL): FlowField {
  if (a.width !== b.width || a.height !== b.height) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `Optical flow needs two frames of the same size; got ${a.width}x${a.height} and ${b.width}x${b.height}.`,
      hint: 'Resize both frames to one size first.',
    });
  }
  const params = { ...builtinFlowParams(opts.preset ?? 'medium'), ...opts.params };
  const r = disFlow(luminance255(a, pool, 'lum.a'), luminance255(b, pool, 'lum.b'), params, signal, undefined, pool);
  return { width: r.width, height: r.height, u: r.u, v: r.v };
}

/**
 * {@link FlowEstimator} around {@link computeBuiltinFlow}. It keeps its working buffers (about 30 MB
 * at 1024×436) between calls — one instance per stream of frames is the cheap way to use it; a change
 * of frame size simply reallocates them.
 */
export class BuiltinFlowEstimator implements FlowEstimator {
  readonly name: string;
  private readonly pool = new BufferPool();
  constructor(private readonly opts: BuiltinFlowOptions = {}) {
    const preset = opts.preset ?? 'medium';
    // A preset whose forward–backward repair is switched off reports it (`builtin:medium:one-way`).
    const oneWay = opts.params?.consistency === null && builtinFlowParams(preset).consistency !== null;
    this.name = `builtin:${preset}${oneWay ? ':one-way' : ''}`;
  }
  async estimate(a: FloatImage, b: FloatImage, signal?: AbortSignal): Promise<FlowField> {
    signal?.throwIfAborted();
    // Synchronous inside: calls on one instance never interleave, so sharing the pool is safe.
    return computeBuiltinFlow(a, b, this.opts, signal, this.pool);
  }
}
