/**
 * Static shape facts for the gradient builder: ranks, and the dims that are
 * known numbers (channel counts, size-1 broadcast axes). Free image dims are
 * `null`. Covers the ops the autodiff supports plus the shape plumbing around
 * them; tensors of other ops get no entry (rank unknown).
 */
import { attrInt, attrInts, attrString, GraphIndex, topoSortNodes } from '../graph-index.ts';
import type { GraphProto, NodeProto } from '../proto.ts';
import { toNumber } from '../tensor-data.ts';

export type SDim = number | null;
export type SShape = SDim[];

const SAME_SHAPE = new Set([
  'Relu', 'Clip', 'LeakyRelu', 'Identity', 'Dropout', 'LRN', 'BatchNormalization', 'InstanceNormalization', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax',
  'Cast', 'Neg', 'Exp', 'Log', 'Sqrt', 'Abs', 'Floor', 'Ceil', 'Erf', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus', 'Sign', 'Reciprocal', 'Not', 'PRelu',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Where']);

/** Numpy broadcasting of static shapes. */
export function broadcastShapes(shapes: SShape[]): SShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: SShape = [];
  for (let i = 0; i < rank; i++) {
    let d: SDim = 1;
    for (const s of shapes) {
      const v = s[i - (rank - s.length)];
      if (v === undefined || v === 1) continue;
      if (v === null) d = d === 1 ? null : d;
      else d = v;
    }
    out.push(d);
  }
  return out;
}

/** Per spatial axis: output length of a conv/pool window sweep, when the input length is known. */
function windowOut(len: SDim, k: number, s: number, d: number, pb: number, pe: number, autoPad: string, ceil: boolean): SDim {
  if (len === null) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(len / s);
  const span = d * (k - 1) + 1;
  const total = autoPad === 'VALID' ? len - span : len + pb + pe - span;
  return (ceil ? Math.ceil(total / s) : Math.floor(total / s)) + 1;
}

function windowShape(n: NodeProto, x: SShape, kernel: number[], channels: SDim): SShape {
  const r = kernel.length;
  const strides = attrInts(n, 'strides', new Array(r).fill(1))!;
  const dil = attrInts(n, 'dilations', new Array(r).fill(1))!;
  const pads = attrInts(n, 'pads', new Array(2 * r).fill(0))!;
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  return [x[0] ?? null, channels, ...kernel.map((k, i) => windowOut(x[2 + i] ?? null, k, strides[i]!, dil[i]!, pads[i]!, pads[i + r]!, autoPad, ceil))];
}

/** Static shapes of the graph's tensors (inputs, initializers, and node outputs that can be told). */
export function inferShapes(graph: GraphProto, idx: GraphIndex = new GraphIndex(graph)): Map<string, SShape> {
  const shapes = new Map<string, SShape>();
  for (const v of graph.input ?? []) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims) shapes.set(v.name ?? '', dims.map((d) => (d.dimValue != null && !d.dimParam ? toNumber(d.dimValue) : null)));
  }
  for (const [name, t] of idx.initializers) shapes.set(name, (t.dims ?? []).map(toNumber));
  const num = (name: string) => idx.constant(name)?.values;
  for (const n of topoSortNodes(graph)) {
    const ins = n.input ?? [];
    const outs = n.output ?? [];
    const x = shapes.get(ins[0] ?? '');
    const op = n.opType ?? '';
    let out: SShape | undefined;
    const set = (i: number, s: SShape | undefined) => s && outs[i] && shapes.set(outs[i]!, s);
    if (op === 'Constant') {
      const c = idx.constant(outs[0] ?? '');
      if (c) out = c.dims;
    } else if (SAME_SHAPE.has(op)) out = x && [...x];
    else if (BROADCAST.has(op)) {
      const all = ins.filter(Boolean).map((i) => shapes.get(i));
      if (all.every((s) => s !== undefined)) out = broadcastShapes(all as SShape[]);
    } else if (op === 'Conv' && x) {
      const w = shapes.get(ins[1] ?? '');
      const kernel = attrInts(n, 'kernel_shape') ?? (w ? (w.slice(2) as number[]) : undefined);
      if (kernel && kernel.every((k) => k !== null)) out = windowShape(n, x, kernel, w?.[0] ?? null);
    } else if (op === 'ConvTranspose' && x) {
      const w = shapes.get(ins[1] ?? '');
      out = [x[0] ?? null, w && w[1] !== null ? w[1]! * attrInt(n, 'group', 1) : null, ...x.slice(2).map(() => null)];
    } else if ((op === 'MaxPool' || op === 'AveragePool' || op === 'LpPool') && x) {
      out = windowShape(n, x, attrInts(n, 'kernel_shape', [])!, x[1] ?? null);
      set(1, out);
    } else if (op.startsWith('Global') && x) out = [x[0] ?? null, x[1] ?? null, ...x.slice(2).map(() => 1)];
    else if (op === 'Concat') {
      const all = ins.map((i) => shapes.get(i));
      if (all.every((s) => s !== undefined) && all.length > 0) {
        const r = all[0]!.length;
        const axis = (attrInt(n, 'axis', 1) + r) % r;
        out = all[0]!.map((d, i) => (i === axis ? (all.every((s) => s![i] !== null) ? all.reduce((a, s) => a + (s![i] as number), 0) : null) : d ?? all.find((s) => s![i] !== null)?.[i] ?? null));
      }
    } else if (op === 'Split' && x) {
      const r = x.length;
      const axis = (attrInt(n, 'axis', 0) + r) % r;
      const split = (ins[1] ? num(ins[1]) : undefined) ?? attrInts(n, 'split');
      outs.forEach((o, i) => {
        const d = split ? split[i]! : x[axis] !== null ? (x[axis] as number) / outs.length : null;
        shapes.set(o, x.map((v, j) => (j === axis ? d : v)));
      });
    } else if (op === 'Pad' && x) {
      const pads = ins[1] ? num(ins[1]) : attrInts(n, 'pads');
      const r = x.length;
      out = x.map((d, i) => (d !== null && pads ? d + pads[i]! + pads[i + r]! : null));
    } else if (op === 'Reshape') {
      const shape = num(ins[1] ?? '');
      if (shape) {
        const allowZero = attrInt(n, 'allowzero', 0) === 1;
        const dims: SShape = shape.map((d, i) => (d === 0 && !allowZero ? x?.[i] ?? null : d === -1 ? null : d));
        const total = x && x.every((d) => d !== null) ? (x as number[]).reduce((a, b) => a * b, 1) : null;
        const known = dims.filter((d) => d !== null) as number[];
        const minus = shape.indexOf(-1);
        if (minus >= 0 && total !== null && known.length === dims.length - 1) dims[minus] = total / known.reduce((a, b) => a * b, 1);
        out = dims;
      } else {
        const s = shapes.get(ins[1] ?? '');
        if (s && s[0] !== null) out = new Array(s[0]).fill(null);
      }
    } else if (op === 'Flatten' && x) {
      const a = attrInt(n, 'axis', 1);
      const axis = a < 0 ? a + x.length : a;
      const prod = (a: SShape) => (a.every((d) => d !== null) ? (a as number[]).reduce((p, d) => p * d, 1) : null);
      out = [prod(x.slice(0, axis)), prod(x.slice(axis))];
    } else if (op === 'Shape' && x) out = [x.length];
    else if (op === 'Size') out = [];
    else if (op === 'Transpose' && x) {
      const perm = attrInts(n, 'perm', x.map((_, i) => x.length - 1 - i))!;
      out = perm.map((p) => x[p] ?? null);
    } else if ((op === 'Unsqueeze' || op === 'Squeeze') && x) {
      const axes = (ins[1] ? num(ins[1]) : undefined) ?? attrInts(n, 'axes');
      if (op === 'Unsqueeze' && axes) {
        const r = x.length + axes.length;
        const norm = axes.map((a) => (a + r) % r);
        const rest = [...x];
        out = Array.from({ length: r }, (_, i) => (norm.includes(i) ? 1 : rest.shift() ?? null));
      } else if (op === 'Squeeze') {
        const norm = axes?.map((a) => (a + x.length) % x.length);
        out = x.filter((d, i) => (norm ? !norm.includes(i) : d !== 1));
      }
    } else if ((op === 'Resize' || op === 'Upsample') && x) out = [x[0] ?? null, x[1] ?? null, ...x.slice(2).map(() => null)];
    set(0, out);
  }
  return shapes;
}
