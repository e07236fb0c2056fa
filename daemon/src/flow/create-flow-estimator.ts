/**
 * Turns a `--flow` / `--method` value into an estimator: `builtin` (or `builtin:fast|medium|accurate`, with
 * `:one-way` appended to leave out the estimator's own forward–backward repair, see {@link EVAL_FLOW_METHOD}),
 * `rife` (the catalog's RIFE v4.6, from the model store), a catalog/added model id of task `flow`,
 * or a path to an .onnx file with the flow contract (checked before use).
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { resolveModel, type ModelStoreOptions } from '../models/resolve-model.ts';
import type { Device } from '../runtime/providers.ts';
import { BUILTIN_FLOW_PRESETS, BuiltinFlowEstimator, type BuiltinFlowPreset } from './builtin-flow.ts';
import { OnnxFlowEstimator, RIFE_MODEL_ID, RifeFlowEstimator } from './rife-flow.ts';
import type { FlowEstimator } from './types.ts';

export interface CreateFlowEstimatorOptions extends ModelStoreOptions {
  device?: Device;
  /** ONNX models: process at most this many pixels on the longer side. */
  maxSide?: number;
}

/**
 * The flow `eval warp-error` (and bench/temporal) measure with: built-in DIS, medium, one-way. The metric applies its
 * own forward–backward occlusion test to leave out pixels whose flow is unreliable; DIS's internal check refills
 * such regions from trusted neighbours, so they would pass that test with vectors that are plausible but not the
 * motion (on person-walk the one-way flow aligns even the per-frame output better: warp error 0.0045 vs 0.0060).
 */
export const EVAL_FLOW_METHOD = 'builtin:medium:one-way';

export async function createFlowEstimator(method: string, opts: CreateFlowEstimatorOptions = {}): Promise<FlowEstimator> {
  const m = method.trim();
  if (m === 'builtin' || m.startsWith('builtin:')) {
    const [, presetName, variant] = m.split(':');
    const preset = (presetName || 'medium') as BuiltinFlowPreset;
    if (!BUILTIN_FLOW_PRESETS.includes(preset) || (variant !== undefined && variant !== 'one-way')) {
      throw new DreamLayerError('PARAM_INVALID', {
        message: `"${m}" is not a built-in flow preset.`,
        hint: `Use builtin, ${BUILTIN_FLOW_PRESETS.map((p) => `builtin:${p}`).join(', ')} (optionally followed by :one-way), rife, or a path to an ONNX flow model.`,
      });
    }
    return new BuiltinFlowEstimator({ preset, params: variant === 'one-way' ? { consistency: null } : undefined });
  }
  const ref = m === 'rife' ? RIFE_MODEL_ID : m;
  const model = await resolveModel(ref, 'flow', opts);
  if (model.kind === 'builtin') return new BuiltinFlowEstimator();
  const onnx = { device: opts.device, maxSide: opts.maxSide };
  return model.id === RIFE_MODEL_ID ? new RifeFlowEstimator(model.path, onnx) : new OnnxFlowEstimator(model.path, { ...onnx, name: model.id });
}
