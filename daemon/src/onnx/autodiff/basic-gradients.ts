/**
 * Backward rules of the element-wise and structural operators: Relu, Clip,
 * LeakyRelu, Add/Sub/Mul/Div (with broadcasting), Concat, Split, Pad
 * (constant, reflect), Reshape, Flatten, Identity, Dropout,
 * BatchNormalization (inference), GlobalAveragePool and LRN.
 *
 * A rule gets the gradients of the node's outputs (undefined where none flows)
 * and returns the gradients of its inputs (only the inputs it marks as
 * differentiable are asked for). Forward tensors are reused, never recomputed,
 * except LRN's normaliser which ONNX does not expose.
 */
import { attrFloat, attrInt, attrString } from '../graph-index.ts';
import type { NodeProto } from '../proto.ts';
import { GradContext, INT64_MAX } from './grad-context.ts';

/** A backward rule; `gOut[i]` is the gradient of output i. Returns one entry per input. */
export type GradRule = (ctx: GradContext, node: NodeProto, gOut: (string | undefined)[]) => (string | undefined)[];

export interface GradSpec {
  /** Input positions a gradient can flow to (others must not depend on the image). */
  inputs: number[] | 'all';
  rule: GradRule;
}

const io = (n: NodeProto) => ({ x: n.input?.[0] ?? '', y: n.output?.[0] ?? '', base: `grad/${n.output?.[0] ?? n.name}` });

const passThrough: GradRule = (_ctx, _n, g) => [g[0]];

// Masks are built from the op's *output* only, so onnxruntime keeps its Conv+activation fusion (the
// pre-activation tensor is never needed). Comparison → Cast → Mul measured fastest on ORT's CPU provider:
// its Sign and Where are several times slower per element, and masks computed with Conv-fused Clips
// (to stay in its blocked layout) cost more passes than the layout reorders they save.
const mask = (ctx: GradContext, cond: string, base: string) => ctx.node('Cast', [cond], { to: 1 }, base);

const relu: GradRule = (ctx, n, [gy]) => {
  const { y, base } = io(n);
  return [ctx.node('Mul', [gy!, mask(ctx, ctx.node('Greater', [y, ctx.scalar(0)], {}, base), base)], {}, base)];
};

/** The float32 next to `v` towards +∞ (dir 1) or −∞ (dir −1). */
export function nextFloat32(v: number, dir: 1 | -1): number {
  const f = new Float32Array([v]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) i[0] = dir > 0 ? 1 : -2147483647; // ±smallest subnormal
  else i[0]! += (f[0]! > 0) === dir > 0 ? 1 : -1;
  return f[0]!;
}

// Clip passes the gradient strictly inside (lo, hi), i.e. where lo < y < hi. With constant bounds both
// sides are one test: y is unchanged by a second Clip to [next float above lo, next float below hi]
// exactly when it lies strictly inside. Bounds may also be computed tensors, or absent.
const clip: GradRule = (ctx, n, [gy]) => {
  const { y, base } = io(n);
  const [lo, hi] = [n.input?.[1] || undefined, n.input?.[2] || undefined];
  const loV = lo ? ctx.idx.constant(lo)?.values[0] : undefined;
  const hiV = hi ? ctx.idx.constant(hi)?.values[0] : undefined;
  let inside: string | undefined;
  if (loV !== undefined && hiV !== undefined && loV < hiV) {
    const inner = ctx.node('Clip', [y, ctx.scalar(nextFloat32(loV, 1)), ctx.scalar(nextFloat32(hiV, -1))], {}, base);
    inside = ctx.node('Equal', [y, inner], {}, base);
  } else {
    const above = lo ? ctx.node('Greater', [y, lo], {}, base) : undefined;
    const below = hi ? ctx.node('Less', [y, hi], {}, base) : undefined;
    inside = above && below ? ctx.node('And', [above, below], {}, base) : above ?? below;
  }
  return [inside ? ctx.node('Mul', [gy!, mask(ctx, inside, base)], {}, base) : gy];
};

// LeakyRelu: y has the sign of x; slope 1 where y > 0, alpha elsewhere.
const leakyRelu: GradRule = (ctx, n, [gy]) => {
  const { y, base } = io(n);
  const alpha = attrFloat(n, 'alpha', 0.01);
  return [ctx.node('Where', [ctx.node('Greater', [y, ctx.scalar(0)], {}, base), gy!, ctx.node('Mul', [gy!, ctx.scalar(alpha)], {}, base)], {}, base)];
};

function binary(kind: 'Add' | 'Sub' | 'Mul' | 'Div'): GradRule {
  return (ctx, n, [gy]) => {
    const [a, b] = [n.input![0]!, n.input![1]!];
    const y = n.output![0]!;
    const base = `grad/${y}`;
    let ga: string, gb: string;
    switch (kind) {
      case 'Add': ga = gy!; gb = gy!; break;
      case 'Sub': ga = gy!; gb = ctx.node('Neg', [gy!], {}, base); break;
      case 'Mul': ga = ctx.node('Mul', [gy!, b], {}, base); gb = ctx.node('Mul', [gy!, a], {}, base); break;
      case 'Div': ga = ctx.node('Div', [gy!, b], {}, base); gb = ctx.node('Neg', [ctx.node('Div', [ctx.node('Mul', [gy!, y], {}, base), b], {}, base)], {}, base); break;
    }
    // Only build what is asked for: the engine drops gradients of inputs that do not depend on the image,
    // but the nodes would stay in the graph, so check here.
    const want = (t: string) => ctx.isActive(t);
    return [want(a) ? ctx.unbroadcast(ga, a, y, n) : undefined, want(b) ? ctx.unbroadcast(gb, b, y, n) : undefined];
  };
}

const concat: GradRule = (ctx, n, [gy]) => {
  const ins = n.input ?? [];
  const y = n.output![0]!;
  const base = `grad/${y}`;
  const rank = ctx.rank(y) ?? ctx.rank(ins[0]!);
  if (rank === undefined) throw ctx.refuse(n, 'has inputs of unknown rank');
  const axis = (attrInt(n, 'axis', 1) + rank) % rank;
  const sizes = ins.map((i) => ctx.shape(i)?.[axis] ?? null);
  if (sizes.every((s) => s !== null)) {
    const parts = ctx.g.nodeN('Split', [gy!, ctx.int64s(sizes as number[])], ins.map((i) => `${base}/part/${i}`), { axis }, { name: `${base}/Split` });
    return ins.map((i, k) => (ctx.isActive(i) ? parts[k] : undefined));
  }
  // Sizes known only at run time: slice each part at offsets summed from the inputs' shapes.
  let start = ctx.int64s([0]);
  return ins.map((i) => {
    const len = ctx.node('Slice', [ctx.shapeOf(i), ctx.int64s([axis]), ctx.int64s([axis + 1])], {}, base);
    const end = ctx.node('Add', [start, len], {}, base);
    const part = ctx.isActive(i) ? ctx.node('Slice', [gy!, start, end, ctx.int64s([axis])], {}, base) : undefined;
    start = end;
    return part;
  });
};

const split: GradRule = (ctx, n, gOut) => {
  const x = n.input![0]!;
  const rank = ctx.rank(x);
  if (rank === undefined) throw ctx.refuse(n, 'has an input of unknown rank');
  const axis = (attrInt(n, 'axis', 0) + rank) % rank;
  const parts = (n.output ?? []).map((o, i) => gOut[i] ?? ctx.zerosLike(o));
  return [ctx.node('Concat', parts, { axis }, `grad/${x}`)];
};

const reshapeBack: GradRule = (ctx, n, [gy]) => {
  const { x, base } = io(n);
  return [ctx.node('Reshape', [gy!, ctx.shapeOf(x)], {}, base)];
};

const pad: GradRule = (ctx, n, [gy]) => {
  const { x, base } = io(n);
  const ins = n.input ?? [];
  if (ins[3]) throw ctx.refuse(n, 'pads selected axes (axes input), which is not supported');
  const mode = attrString(n, 'mode', 'constant');
  const pads = ctx.idx.constant(ins[1] ?? '')?.values;
  if (mode === 'constant') {
    // The adjoint of zero-padding is cropping: Pad with the negated amounts.
    const neg = pads ? ctx.int64s(pads.map((p) => -p)) : ctx.node('Neg', [ins[1]!], {}, base);
    return [ctx.node('Pad', [gy!, neg], { mode: 'constant' }, base)];
  }
  if (mode !== 'reflect') throw ctx.refuse(n, `uses mode "${mode}" (only constant and reflect padding are differentiated)`);
  if (!pads || pads.some((p) => p < 0)) throw ctx.refuse(n, 'reflect-pads by amounts that are not constant and non-negative');
  const r = pads.length / 2;
  let g = gy!;
  for (let axis = 0; axis < r; axis++) g = reflectPadBack(ctx, g, axis, pads[axis]!, pads[axis + r]!, base);
  return [g];
};

/**
 * Adjoint of reflect padding along one axis: crop the centre, then add the
 * mirrored border gradients onto the cells they were copied from
 * (x_pad[pb−1−k] = x[1+k] and x_pad[pb+L+k] = x[L−2−k]). Each side is added
 * by a slice–add–concat on the running result, so overlapping borders of small
 * tensors still sum correctly.
 */
function reflectPadBack(ctx: GradContext, g: string, axis: number, pb: number, pe: number, base: string): string {
  if (pb === 0 && pe === 0) return g;
  const ax = ctx.int64s([axis]);
  const slice = (t: string, s: number, e: number, step = 1) =>
    ctx.node('Slice', step === 1 ? [t, ctx.int64s([s]), ctx.int64s([e]), ax] : [t, ctx.int64s([s]), ctx.int64s([e]), ax, ctx.int64s([step])], {}, base);
  let c = slice(g, pb, pe > 0 ? -pe : INT64_MAX);
  if (pb > 0) {
    const left = slice(g, pb - 1, -INT64_MAX, -1); // g[pb−1], …, g[0] → cells 1…pb
    c = ctx.node('Concat', [slice(c, 0, 1), ctx.node('Add', [slice(c, 1, 1 + pb), left], {}, base), slice(c, 1 + pb, INT64_MAX)], { axis }, base);
  }
  if (pe > 0) {
    const right = slice(g, -1, -pe - 1, -1); // g[D−1], …, g[D−pe] → cells L−1−pe … L−2
    c = ctx.node('Concat', [slice(c, 0, -1 - pe), ctx.node('Add', [slice(c, -1 - pe, -1), right], {}, base), slice(c, -1, INT64_MAX)], { axis }, base);
  }
  return c;
}

const batchNorm: GradRule = (ctx, n, [gy]) => {
  const { x, base } = io(n);
  const [, scaleName, , , varName] = n.input!;
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const rank = ctx.rank(x) ?? 4;
  const scale = ctx.idx.constant(scaleName!);
  const variance = ctx.idx.constant(varName!);
  let k: string;
  if (scale && variance) {
    const v = scale.values.map((s, i) => s / Math.sqrt(variance.values[i]! + eps));
    k = ctx.g.constant(v, [v.length, ...new Array(rank - 2).fill(1)], `${base}/bn_scale`);
  } else {
    const kv = ctx.node('Div', [scaleName!, ctx.node('Sqrt', [ctx.node('Add', [varName!, ctx.scalar(eps)], {}, base)], {}, base)], {}, base);
    k = ctx.node('Reshape', [kv, ctx.int64s([-1, ...new Array(rank - 2).fill(1)])], {}, base);
  }
  return [ctx.node('Mul', [gy!, k], {}, base)];
};

const globalAveragePool: GradRule = (ctx, n, [gy]) => {
  const { x, y, base } = io(n);
  // 1/(H·W…) = size(Y)/size(X), so free image dims need no special case.
  const cast = (t: string) => ctx.node('Cast', [ctx.node('Size', [t], {}, base)], { to: 1 }, base);
  const inv = ctx.node('Div', [cast(y), cast(x)], {}, base);
  return [ctx.node('Expand', [ctx.node('Mul', [gy!, inv], {}, base), ctx.shapeOf(x)], {}, base)];
};

/**
 * LRN: y = x·d^(−β), d = bias + (α/size)·Σ_{j∈win(c)} x_j², win(c) = [c−⌊(size−1)/2⌋, c+⌈(size−1)/2⌉].
 * dx_c = dy_c·d_c^(−β) − (2αβ/size)·x_c·Σ_{j: c∈win(j)} dy_j·y_j/d_j.
 * The channel-window sums are a 3-D Conv over [N,1,C,H,W] (kernel size×1×1), the
 * adjoint window being the mirror image of the forward one.
 */
const lrn: GradRule = (ctx, n, [gy]) => {
  const { x, y, base } = io(n);
  const size = attrInt(n, 'size', 1);
  const alpha = attrFloat(n, 'alpha', 1e-4);
  const beta = attrFloat(n, 'beta', 0.75);
  const bias = attrFloat(n, 'bias', 1);
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  const one = ctx.int64s([1]);
  const channelConv = (t: string, weight: number, b: number | null, padLo: number, padHi: number) => {
    const w = ctx.g.constant(new Array(size).fill(weight), [1, 1, size, 1, 1], `${base}/lrn_window`);
    const inputs = [ctx.node('Unsqueeze', [t, one], {}, base), w];
    if (b !== null) inputs.push(ctx.g.constant([b], [1], `${base}/lrn_bias`));
    const conv = ctx.node('Conv', inputs, { kernel_shape: [size, 1, 1], pads: [padLo, 0, 0, padHi, 0, 0] }, base);
    return ctx.node('Squeeze', [conv, one], {}, base);
  };
  const d = channelConv(ctx.node('Mul', [x, x], {}, base), alpha / size, bias, lo, hi);
  const direct = ctx.node('Mul', [gy!, ctx.node('Pow', [d, ctx.scalar(-beta)], {}, base)], {}, base);
  const t = ctx.node('Div', [ctx.node('Mul', [gy!, y], {}, base), d], {}, base);
  const s = channelConv(t, (2 * alpha * beta) / size, null, hi, lo);
  return [ctx.node('Sub', [direct, ctx.node('Mul', [x, s], {}, base)], {}, base)];
};

export const BASIC_GRADIENTS: Record<string, GradSpec> = {
  Identity: { inputs: [0], rule: passThrough },
  Dropout: { inputs: [0], rule: passThrough },
  Relu: { inputs: [0], rule: relu },
  Clip: { inputs: [0], rule: clip },
  LeakyRelu: { inputs: [0], rule: leakyRelu },
  Add: { inputs: 'all', rule: binary('Add') },
  Sub: { inputs: 'all', rule: binary('Sub') },
  Mul: { inputs: 'all', rule: binary('Mul') },
  Div: { inputs: 'all', rule: binary('Div') },
  Concat: { inputs: 'all', rule: concat },
  Split: { inputs: [0], rule: split },
  Reshape: { inputs: [0], rule: reshapeBack },
  Flatten: { inputs: [0], rule: reshapeBack },
  Pad: { inputs: [0], rule: pad },
  BatchNormalization: { inputs: [0], rule: batchNorm },
  GlobalAveragePool: { inputs: [0], rule: globalAveragePool },
  LRN: { inputs: [0], rule: lrn },
};
