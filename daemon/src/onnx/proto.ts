/**
 * Reading and writing ONNX model files (protobuf) with the generated onnx-proto
 * classes. Errors name the file and say whether it is not ONNX or truncated.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { DreamLayerError } from '../../../shared/src/errors.ts';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** Decodes ONNX bytes; `label` names the model in error messages. */
export function decodeModel(bytes: Uint8Array, label = 'model'): ModelProto {
  if (bytes.length === 0) {
    throw new DreamLayerError('MODEL_INVALID', { stage: 'model', message: `Model ${label} is an empty file.` });
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const truncated = /index out of range|invalid wire type|truncated/i.test(String((e as Error).message));
    throw new DreamLayerError('MODEL_INVALID', {
      stage: 'model',
      message: `Model ${label} is not a valid ONNX file (${truncated ? 'truncated or corrupt' : 'not ONNX'}: ${(e as Error).message}).`,
      cause: e,
    });
  }
  if (!model.graph || !model.graph.node || model.graph.node.length === 0) {
    throw new DreamLayerError('MODEL_INVALID', { stage: 'model', message: `Model ${label} holds no ONNX graph (not an ONNX file, or truncated).` });
  }
  return model;
}

export function readModelFile(file: string): ModelProto {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `Model file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? e}).`, cause: e });
  }
  return decodeModel(bytes, path.basename(file));
}

export function encodeModel(model: ModelProto | onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model as onnxProto.onnx.IModelProto).finish();
}

export interface TensorSignature {
  name: string;
  /** Element type name, e.g. 'float32', 'int64'. */
  type: string;
  /** Dimension sizes; a string for a symbolic dim, null when unknown. */
  shape: (number | string | null)[];
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };

function signatureOf(v: ValueInfoProto): TensorSignature {
  const t = v.type?.tensorType;
  const dims = t?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    type: ELEM_TYPES[t?.elemType ?? 0] ?? `type${t?.elemType ?? '?'}`,
    shape: dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : null)),
  };
}

/** Graph inputs (without initializers) and outputs with their declared shapes. */
export function modelSignature(model: ModelProto): { inputs: TensorSignature[]; outputs: TensorSignature[] } {
  const g = model.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(signatureOf),
    outputs: (g.output ?? []).map(signatureOf),
  };
}
