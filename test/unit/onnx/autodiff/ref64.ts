/**
 * A float64 forward interpreter for tiny ONNX graphs made of the *simple*
 * operators (element-wise, broadcasting, structural, normalisation), used as an
 * independent reference for finite differences. Window operators (Conv, pools,
 * LRN) are not here: their finite differences run on onnxruntime itself.
 */
import { attrFloat, attrInt, attrInts, attrString, GraphIndex, topoSortNodes } from '../../../../daemon/src/onnx/graph-index.ts';
import type { ModelProto } from '../../../../daemon/src/onnx/proto.ts';
import { tensorDims, tensorToNumbers } from '../../../../daemon/src/onnx/tensor-data.ts';

export interface T64 {
  dims: number[];
  data: Float64Array;
}

const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
const strides = (d: number[]) => d.map((_, i) => size(d.slice(i + 1)));

function broadcast(ts: T64[], f: (...v: number[]) => number): T64 {
  const rank = Math.max(...ts.map((t) => t.dims.length));
  const dims = Array.from({ length: rank }, (_, i) => Math.max(...ts.map((t) => t.dims[i - (rank - t.dims.length)] ?? 1)));
  const out = new Float64Array(size(dims));
  const os = strides(dims);
  const tsStrides = ts.map((t) => {
    const s = strides(t.dims);
    return dims.map((_, i) => {
      const j = i - (rank - t.dims.length);
      return j < 0 || t.dims[j] === 1 ? 0 : s[j]!;
    });
  });
  for (let k = 0; k < out.length; k++) {
    const idx = dims.map((_, i) => Math.floor(k / os[i]!) % dims[i]!);
    out[k] = f(...ts.map((t, n) => t.data[idx.reduce((a, v, i) => a + v * tsStrides[n]![i]!, 0)]!));
  }
  return { dims, data: out };
}

/** Runs the graph in float64; returns every tensor by name. */
export function run64(model: ModelProto, feeds: Record<string, T64>): Map<string, T64> {
  const g = model.graph!;
  const idx = new GraphIndex(g);
  const env = new Map<string, T64>(Object.entries(feeds));
  for (const [name, t] of idx.initializers) env.set(name, { dims: tensorDims(t), data: Float64Array.from(tensorToNumbers(t)) });
  const get = (n: string) => {
    const t = env.get(n);
    if (!t) throw new Error(`ref64: no value for ${n}`);
    return t;
  };
  for (const n of topoSortNodes(g)) {
    const ins = n.input ?? [];
    const x = ins[0] ? env.get(ins[0]) : undefined;
    const out = n.output ?? [];
    const set = (t: T64, i = 0) => env.set(out[i]!, t);
    switch (n.opType) {
      case 'Identity': case 'Dropout': set(x!); break;
      case 'Relu': set({ dims: x!.dims, data: x!.data.map((v) => Math.max(0, v)) }); break;
      case 'LeakyRelu': { const a = attrFloat(n, 'alpha', 0.01); set({ dims: x!.dims, data: x!.data.map((v) => (v > 0 ? v : a * v)) }); break; }
      case 'Clip': {
        const lo = ins[1] ? get(ins[1]).data[0]! : attrFloat(n, 'min', -Infinity);
        const hi = ins[2] ? get(ins[2]).data[0]! : attrFloat(n, 'max', Infinity);
        set({ dims: x!.dims, data: x!.data.map((v) => Math.min(hi, Math.max(lo, v))) });
        break;
      }
      case 'Add': set(broadcast([get(ins[0]!), get(ins[1]!)], (a, b) => a + b)); break;
      case 'Sub': set(broadcast([get(ins[0]!), get(ins[1]!)], (a, b) => a - b)); break;
      case 'Mul': set(broadcast([get(ins[0]!), get(ins[1]!)], (a, b) => a * b)); break;
      case 'Div': set(broadcast([get(ins[0]!), get(ins[1]!)], (a, b) => a / b)); break;
      case 'Shape': set({ dims: [x!.dims.length], data: Float64Array.from(x!.dims) }); break;
      case 'Reshape': case 'Flatten': {
        let dims: number[];
        if (n.opType === 'Flatten') {
          const a = attrInt(n, 'axis', 1);
          dims = [size(x!.dims.slice(0, a)), size(x!.dims.slice(a))];
        } else {
          dims = Array.from(get(ins[1]!).data).map((d, i) => (d === 0 ? x!.dims[i]! : d));
          const m = dims.indexOf(-1);
          if (m >= 0) dims[m] = x!.data.length / -size(dims);
        }
        set({ dims, data: x!.data });
        break;
      }
      case 'GlobalAveragePool': {
        const [N, C] = x!.dims as [number, number];
        const hw = size(x!.dims.slice(2));
        const data = new Float64Array(N * C);
        for (let k = 0; k < N * C; k++) for (let p = 0; p < hw; p++) data[k] += x!.data[k * hw + p]! / hw;
        set({ dims: [N, C, ...x!.dims.slice(2).map(() => 1)], data });
        break;
      }
      case 'BatchNormalization': {
        const [s, b, mu, v] = ins.slice(1).map((i) => get(i).data);
        const eps = attrFloat(n, 'epsilon', 1e-5);
        const C = x!.dims[1]!, inner = size(x!.dims.slice(2));
        set({ dims: x!.dims, data: x!.data.map((val, k) => { const c = Math.floor(k / inner) % C; return ((val - mu![c]!) / Math.sqrt(v![c]! + eps)) * s![c]! + b![c]!; }) });
        break;
      }
      case 'Concat': {
        const parts = ins.map(get);
        const r = parts[0]!.dims.length;
        const axis = (attrInt(n, 'axis', 1) + r) % r;
        const dims = [...parts[0]!.dims];
        dims[axis] = parts.reduce((a, p) => a + p.dims[axis]!, 0);
        const outer = size(dims.slice(0, axis));
        const data: number[] = [];
        for (let o = 0; o < outer; o++) for (const p of parts) { const inner = size(p.dims.slice(axis)); data.push(...p.data.subarray(o * inner, (o + 1) * inner)); }
        set({ dims, data: Float64Array.from(data) });
        break;
      }
      case 'Split': {
        const r = x!.dims.length;
        const axis = (attrInt(n, 'axis', 0) + r) % r;
        const split = ins[1] ? Array.from(get(ins[1]).data) : attrInts(n, 'split', out.map(() => x!.dims[axis]! / out.length))!;
        const outer = size(x!.dims.slice(0, axis)), inner = size(x!.dims.slice(axis + 1));
        let offset = 0;
        split.forEach((len, i) => {
          const dims = [...x!.dims];
          dims[axis] = len;
          const data = new Float64Array(size(dims));
          for (let o = 0; o < outer; o++) for (let k = 0; k < len * inner; k++) data[o * len * inner + k] = x!.data[(o * x!.dims[axis]! + offset) * inner + k]!;
          offset += len;
          set({ dims, data }, i);
        });
        break;
      }
      case 'Pad': {
        const pads = Array.from(get(ins[1]!).data);
        const value = ins[2] ? get(ins[2]).data[0]! : 0;
        const mode = attrString(n, 'mode', 'constant');
        const r = x!.dims.length;
        const dims = x!.dims.map((d, i) => d + pads[i]! + pads[i + r]!);
        const os = strides(dims), is = strides(x!.dims);
        const data = new Float64Array(size(dims));
        for (let k = 0; k < data.length; k++) {
          let src = 0, inside = true;
          for (let i = 0; i < r; i++) {
            let c = (Math.floor(k / os[i]!) % dims[i]!) - pads[i]!;
            const L = x!.dims[i]!;
            if (c < 0 || c >= L) {
              if (mode === 'reflect') c = c < 0 ? -c : 2 * L - 2 - c;
              else inside = false;
            }
            src += c * is[i]!;
          }
          data[k] = inside ? x!.data[src]! : value;
        }
        set({ dims, data });
        break;
      }
      case 'Constant': {
        const c = idx.constant(out[0]!)!;
        set({ dims: c.dims, data: Float64Array.from(c.values) });
        break;
      }
      default:
        throw new Error(`ref64: operator ${n.opType} is not in the float64 reference`);
    }
  }
  return env;
}
