/**
 * The one place that imports onnxruntime. Everything else goes through
 * runtime/ (sessions, providers, tensors), so the native dependency stays
 * behind a single boundary.
 */
import * as ort from 'onnxruntime-node';

export { ort };
export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;
