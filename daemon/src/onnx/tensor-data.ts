/**
 * Small helpers around ONNX TensorProto and protobuf int64 values: reading
 * initializer data as JS arrays, making tensors from typed arrays, and turning
 * the `Long` objects protobufjs decodes int64 fields into plain numbers.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { onnx, type TensorProto } from './proto.ts';

/** Element types the builders and editors write. */
export type ElemType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const ELEM_CODE: Record<ElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

/** ONNX TensorProto.DataType code of an element type name. */
export function elemTypeCode(t: ElemType): number {
  return ELEM_CODE[t];
}

/** A decoded int64 (number or protobufjs Long) as a JS number. */
export function toNumber(v: unknown): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const l = v as { toNumber?: () => number; low?: number; high?: number };
  if (typeof l.toNumber === 'function') return l.toNumber();
  if (typeof l.low === 'number' && typeof l.high === 'number') return l.high * 4294967296 + (l.low >>> 0);
  return Number(v);
}

/** Dimensions of a tensor as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

function view(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Tensor contents as float64 numbers (float, double, int32, int64 tensors). */
export function tensorToNumbers(t: TensorProto): number[] {
  const type = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (raw) {
    const dv = view(raw);
    const out: number[] = [];
    if (type === 1) for (let i = 0; i < raw.length; i += 4) out.push(dv.getFloat32(i, true));
    else if (type === 11) for (let i = 0; i < raw.length; i += 8) out.push(dv.getFloat64(i, true));
    else if (type === 7) for (let i = 0; i < raw.length; i += 8) out.push(Number(dv.getBigInt64(i, true)));
    else if (type === 6) for (let i = 0; i < raw.length; i += 4) out.push(dv.getInt32(i, true));
    else if (type === 2 || type === 9) for (let i = 0; i < raw.length; i++) out.push(raw[i]!);
    else if (type === 3) for (let i = 0; i < raw.length; i++) out.push(dv.getInt8(i));
    else throw unsupported(t);
    return out;
  }
  if (type === 1) return (t.floatData ?? []).map(Number);
  if (type === 11) return (t.doubleData ?? []).map(Number);
  if (type === 7) return (t.int64Data ?? []).map(toNumber);
  if (type === 6 || type === 2 || type === 3 || type === 9) return (t.int32Data ?? []).map(Number);
  throw unsupported(t);
}

/** Tensor contents as a Float32Array. */
export function tensorToFloat32(t: TensorProto): Float32Array {
  if ((t.dataType ?? 0) === 1 && t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(tensorToNumbers(t));
}

function unsupported(t: TensorProto): DreamLayerError {
  return new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Tensor ${t.name ?? '?'} has element type ${t.dataType}, which DreamLayer cannot read in graph edits.`,
  });
}

/** Data accepted by {@link makeTensor}. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | number[];

/**
 * A TensorProto holding `data` (stored as raw little-endian bytes).
 * A plain number[] is stored as `type` (float32 unless told).
 */
export function makeTensor(name: string, data: TensorData, dims: number[], type?: ElemType): TensorProto {
  const inferred: ElemType =
    type ??
    (data instanceof Float64Array ? 'float64' : data instanceof BigInt64Array ? 'int64' : data instanceof Int32Array ? 'int32' : data instanceof Uint8Array ? 'uint8' : 'float32');
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new DreamLayerError('INTERNAL', { message: `Tensor ${name}: ${data.length} values do not fill dims [${dims.join(',')}] (${count}).` });
  }
  let raw: Uint8Array;
  switch (inferred) {
    case 'float32': raw = bytesOf(data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>)); break;
    case 'float64': raw = bytesOf(data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>)); break;
    case 'int64': raw = bytesOf(data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(v))))); break;
    case 'int32': raw = bytesOf(data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>)); break;
    case 'uint8': case 'bool': raw = bytesOf(data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>)); break;
    default: throw new DreamLayerError('INTERNAL', { message: `Tensor ${name}: cannot write element type ${inferred}.` });
  }
  return onnx.TensorProto.create({ name, dims, dataType: ELEM_CODE[inferred], rawData: raw });
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  // Copy so the proto owns its bytes (and they start at offset 0).
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}
