/**
 * Optical flow for temporal consistency (stylize, depth, matte, dream):
 *
 * - {@link FlowField}, {@link FlowEstimator}, {@link estimatePair}: the types (backward-warping convention in types.ts)
 * - {@link BuiltinFlowEstimator}, {@link computeBuiltinFlow}: weight-free Dense Inverse Search
 * - {@link RifeFlowEstimator}, {@link OnnxFlowEstimator}: flow from ONNX networks
 * - {@link createFlowEstimator}: `builtin[:preset]` | `rife` | model id | FILE → estimator
 * - {@link warpBackward}: bilinear backward warp with an `outside` mask
 * - {@link confidenceMask}: Ruder et al. forward–backward consistency → soft trust mask
 * - {@link warpError}: Lai et al. warping error of a processed clip
 * - {@link readFlo}/{@link writeFlo}, {@link flowToColor}, {@link resizeFlow}, {@link endPointError}
 */
export { createFlowField, estimatePair } from './types.ts';
export type { FlowField, FlowEstimator, FlowPair } from './types.ts';
export { BuiltinFlowEstimator, computeBuiltinFlow, builtinFlowParams, BUILTIN_FLOW_PRESETS } from './builtin-flow.ts';
export type { BuiltinFlowPreset, BuiltinFlowOptions } from './builtin-flow.ts';
export { OnnxFlowEstimator, RifeFlowEstimator, RIFE_MODEL_ID, openFlowSession } from './rife-flow.ts';
export type { OnnxFlowOptions } from './rife-flow.ts';
export { createFlowEstimator } from './create-flow-estimator.ts';
export type { CreateFlowEstimatorOptions } from './create-flow-estimator.ts';
export { warpBackward } from './warp.ts';
export type { WarpResult } from './warp.ts';
export { confidenceMask, softenMask } from './occlusion.ts';
export type { ConfidenceMask, ConfidenceOptions } from './occlusion.ts';
export { warpError } from './warp-error.ts';
export type { WarpErrorOptions, WarpErrorRecord } from './warp-error.ts';
export { readFlo, writeFlo, encodeFlo, decodeFlo } from './flo-file.ts';
export { flowToColor, flowColor, colorWheel, WHEEL_SIZE } from './flow-viz.ts';
export type { FlowVizOptions } from './flow-viz.ts';
export { resizeFlow } from './resize-flow.ts';
export { endPointError } from './flow-metrics.ts';
export type { EndPointError } from './flow-metrics.ts';
