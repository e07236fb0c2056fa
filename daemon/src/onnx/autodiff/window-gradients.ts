/**
 * Backward rules of the sliding-window operators: Conv (groups, depthwise,
 * strides, dilations, explicit pads, auto_pad SAME_UPPER/SAME_LOWER/VALID),
 * MaxPool and AveragePool.
 *
 * The gradient of a window sweep with respect to its input is the transposed
 * sweep (ConvTranspose with the same weights) over the *padded* input, cropped
 * back to the input. Convs with constant weights avoid onnxruntime's slow
 * ConvTranspose: at stride 1 the adjoint is a Conv with flipped weights, at an
 * equal stride s on both axes s² phase Convs, interleaved (polyphase); the
 * pools and other strides use ConvTranspose as below.
 *
 * ConvTranspose: with stride 1 the crop is exact through its own pads. With
 * stride > 1 the input length L is not a function of the output
 * length (L mod stride is lost), and free image sizes make L a run-time value:
 * the transposed conv is given `output_padding = stride − 1` (so it always
 * covers the padded input) and a Slice cuts [pad_begin, pad_begin + L), with
 * the SAME pads computed at run time from L exactly as onnxruntime does.
 */
import { attrInt, attrInts, attrString } from '../graph-index.ts';
import type { NodeProto } from '../proto.ts';
import { makeTensor, tensorDims, tensorToFloat32 } from '../tensor-data.ts';
import { attr } from '../graph-builder.ts';
import type { GradContext } from './grad-context.ts';
import type { GradRule, GradSpec } from './basic-gradients.ts';

/** Geometry of a Conv or pooling node. `padsBegin` is null when it depends on the input size (SAME with stride > 1). */
interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[] | null;
  padsEnd: number[] | null;
  autoPad: string;
}

function windowOf(ctx: GradContext, n: NodeProto, kernel: number[]): Window {
  const r = kernel.length;
  const strides = attrInts(n, 'strides', new Array(r).fill(1))!;
  const dilations = attrInts(n, 'dilations', new Array(r).fill(1))!;
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = attrInts(n, 'pads', new Array(2 * r).fill(0))!;
    return { kernel, strides, dilations, padsBegin: pads.slice(0, r), padsEnd: pads.slice(r), autoPad };
  }
  if (autoPad === 'VALID') return { kernel, strides, dilations, padsBegin: new Array(r).fill(0), padsEnd: new Array(r).fill(0), autoPad };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw ctx.refuse(n, `has an unknown auto_pad "${autoPad}"`);
  if (strides.every((s) => s === 1)) {
    // Stride 1: the total SAME padding is dilation·(k−1) whatever the size.
    const total = kernel.map((k, i) => dilations[i]! * (k - 1));
    const begin = total.map((t) => (autoPad === 'SAME_LOWER' ? Math.ceil(t / 2) : Math.floor(t / 2)));
    return { kernel, strides, dilations, padsBegin: begin, padsEnd: total.map((t, i) => t - begin[i]!), autoPad };
  }
  return { kernel, strides, dilations, padsBegin: null, padsEnd: null, autoPad };
}

/**
 * SAME begin pads at run time, as onnxruntime computes them:
 * total = max(0, (⌈L/s⌉ − 1)·s + d·(k−1) + 1 − L), begin = ⌊total/2⌋ (UPPER) or ⌈total/2⌉ (LOWER).
 */
function dynamicPadsBegin(ctx: GradContext, x: string, w: Window, base: string): string {
  const L = ctx.spatialOf(x);
  const s = ctx.int64s(w.strides);
  const ceil = ctx.node('Div', [ctx.node('Add', [L, ctx.int64s(w.strides.map((v) => v - 1))], {}, base), s], {}, base);
  const span = ctx.int64s(w.kernel.map((k, i) => w.dilations[i]! * (k - 1) + 1));
  const need = ctx.node('Sub', [ctx.node('Add', [ctx.node('Mul', [ctx.node('Sub', [ceil, ctx.int64s([1])], {}, base), s], {}, base), span], {}, base), L], {}, base);
  const total = ctx.node('Max', [need, ctx.int64s([0])], {}, base);
  const half = w.autoPad === 'SAME_LOWER' ? ctx.node('Add', [total, ctx.int64s([1])], {}, base) : total;
  return ctx.node('Div', [half, ctx.int64s([2])], {}, base);
}

/** Σ over windows of gY ⊗ W, cropped to the spatial size of `x` (see the file comment). */
function transposedSweep(ctx: GradContext, gy: string, weight: string, x: string, w: Window, group: number, base: string): string {
  const r = w.kernel.length;
  const common = { kernel_shape: w.kernel, strides: w.strides, dilations: w.dilations, group };
  if (w.strides.every((s) => s === 1) && w.padsBegin) {
    return ctx.node('ConvTranspose', [gy, weight], { ...common, pads: [...w.padsBegin, ...w.padsEnd!] }, base);
  }
  const outputPadding = w.strides.map((s) => s - 1);
  const axes = ctx.int64s(Array.from({ length: r }, (_, i) => 2 + i));
  const L = ctx.spatialOf(x);
  if (w.padsBegin) {
    const full = ctx.node('ConvTranspose', [gy, weight], { ...common, pads: [...w.padsBegin, ...new Array(r).fill(0)], output_padding: outputPadding }, base);
    return ctx.node('Slice', [full, ctx.int64s(new Array(r).fill(0)), L, axes], {}, base);
  }
  const full = ctx.node('ConvTranspose', [gy, weight], { ...common, output_padding: outputPadding }, base);
  const begin = dynamicPadsBegin(ctx, x, w, base);
  return ctx.node('Slice', [full, begin, ctx.node('Add', [begin, L], {}, base), axes], {}, base);
}

/**
 * Weights of the stride-1 adjoint as a plain Conv: per group, input and output
 * channels swapped and every spatial axis flipped ([Cout, Cin/g, k…] → [Cin, Cout/g, k…]).
 */
export function adjointWeights(w: Float32Array, dims: number[], group: number): { data: Float32Array; dims: number[] } {
  const [cout, cinG, ...kernel] = dims as [number, number, ...number[]];
  const coutG = cout / group;
  const k = kernel.reduce((a, b) => a * b, 1);
  const out = new Float32Array(w.length);
  // Flipping all spatial axes of a row-major kernel reverses its flat order.
  for (let gi = 0; gi < group; gi++) {
    for (let o = 0; o < coutG; o++) {
      for (let i = 0; i < cinG; i++) {
        const src = ((gi * coutG + o) * cinG + i) * k;
        const dst = ((gi * cinG + i) * coutG + o) * k;
        for (let j = 0; j < k; j++) out[dst + j] = w[src + k - 1 - j]!;
      }
    }
  }
  return { data: out, dims: [cinG * group, coutG, ...kernel] };
}

/**
 * Sub-kernels of the polyphase adjoint of a strided sweep (2-D, stride s on both
 * axes). In padded input coordinates q = s·o + k·d; the positions q ≡ r (mod s)
 * of phase r = (rh, rw) receive Σ_k w[k]·gY[m − j_k] with j_k = (k·d − r)/s for
 * the taps where that is a whole number. Per phase, the taps are placed at j
 * in a kernel of span J + 1 (J = ⌊(K−1)·d/s⌋ per axis), then channel-swapped and
 * flipped by {@link adjointWeights}, so each phase is a plain stride-1 Conv
 * over gY with begin pads J. Returns the s² kernels in phase order rh·s + rw,
 * and J per axis. A phase no tap lands on gets an all-zero kernel (its
 * positions receive no gradient, e.g. odd positions under dilation 2, stride 2).
 */
export function phaseWeights(w: Float32Array, dims: number[], group: number, stride: number, dilations: number[]): { phases: { data: Float32Array; dims: number[] }[]; span: number[] } {
  const [cout, cinG, kh, kw] = dims as [number, number, number, number];
  const s = stride;
  const J = [Math.floor(((kh - 1) * dilations[0]!) / s), Math.floor(((kw - 1) * dilations[1]!) / s)] as [number, number];
  const [jh, jw] = [J[0] + 1, J[1] + 1];
  const phases: { data: Float32Array; dims: number[] }[] = [];
  for (let rh = 0; rh < s; rh++) {
    for (let rw = 0; rw < s; rw++) {
      const sub = new Float32Array(cout * cinG * jh * jw);
      for (let a = 0; a < kh; a++) {
        const qa = a * dilations[0]! - rh;
        if (qa < 0 || qa % s !== 0) continue;
        for (let b = 0; b < kw; b++) {
          const qb = b * dilations[1]! - rw;
          if (qb < 0 || qb % s !== 0) continue;
          const [ja, jb] = [qa / s, qb / s];
          for (let oc = 0; oc < cout * cinG; oc++) sub[(oc * jh + ja) * jw + jb] = w[(oc * kh + a) * kw + b]!;
        }
      }
      phases.push(adjointWeights(sub, [cout, cinG, jh, jw], group));
    }
  }
  return { phases, span: J };
}

/**
 * Input gradient of a strided 2-D Conv with constant weights, as s² stride-1
 * Convs (one per phase of the input grid, see {@link phaseWeights}) whose
 * results are interleaved and cropped to [pad_begin, pad_begin + L).
 *
 * Why: onnxruntime's ConvTranspose is a GEMM per group followed by a scalar
 * col2im, slow for depthwise layers (10 ms for MobileNetV2's 96-channel
 * stride-2 layer at 288×512); the phase Convs run in its blocked (NCHWc)
 * kernels. The interleave is two Concats of unsqueezed phases (columns, then
 * rows) with Reshapes, each about one copy of the tensor: DepthToSpace and a
 * 6-D Transpose do the same several times slower there.
 *
 * Coverage: the phase outputs span s·(O + J) (SAME) or s·(O + J + 1) (explicit
 * non-negative pads, VALID: input cells past the last window get zeros)
 * padded positions, which always reaches pad_begin + L. Negative pads fall
 * back to ConvTranspose.
 */
function polyphaseAdjoint(ctx: GradContext, gy: string, x: string, w: Window, init: Float32Array, dims: number[], group: number, base: string): string | undefined {
  const s = w.strides[0]!;
  const same = w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER';
  if (!same && [...w.padsBegin!, ...w.padsEnd!].some((p) => p < 0)) return undefined;
  const { phases, span } = phaseWeights(init, dims, group, s, w.dilations);
  const extra = same ? 0 : 1;
  const pads = [span[0]!, span[1]!, span[0]! + extra, span[1]! + extra];
  const kernel = phases[0]!.dims.slice(2);
  let parts: string[];
  if (group === 1) {
    // One Conv for all phases (a wider GEMM), split after.
    const cin = phases[0]!.dims[0]!;
    const all = new Float32Array(phases.reduce((n, p) => n + p.data.length, 0));
    phases.forEach((p, i) => all.set(p.data, i * p.data.length));
    const wAll = ctx.g.initializer(`${base}/phases_weight`, all, [cin * phases.length, ...phases[0]!.dims.slice(1)]);
    const stacked = ctx.node('Conv', [gy, wAll], { kernel_shape: kernel, pads }, base);
    parts = ctx.g.nodeN('Split', [stacked, ctx.int64s(phases.map(() => cin))], phases.map((_, i) => `${base}/phase${i}`), { axis: 1 }, { name: `${base}/Split` });
  } else {
    parts = phases.map((p, i) => ctx.node('Conv', [gy, ctx.g.initializer(`${base}/phase${i}_weight`, p.data, p.dims)], { kernel_shape: kernel, group, pads }, base));
  }
  // Columns: phase (rh, rw) goes to column s·m + rw; then rows: s·m + rh.
  const unsq = (t: string, axis: number) => ctx.node('Unsqueeze', [t, ctx.int64s([axis])], {}, base);
  const rows: string[] = [];
  for (let rh = 0; rh < s; rh++) {
    const cols = parts.slice(rh * s, rh * s + s).map((p) => unsq(p, 4));
    rows.push(ctx.node('Reshape', [ctx.node('Concat', cols, { axis: 4 }, base), ctx.int64s([0, 0, 0, -1])], {}, base));
  }
  const rowShape = ctx.node('Mul', [ctx.node('Shape', [rows[0]!], {}, base), ctx.int64s([1, 1, s, 1])], {}, base);
  const full = ctx.node('Reshape', [ctx.node('Concat', rows.map((r) => unsq(r, 3)), { axis: 3 }, base), rowShape], {}, base);
  const L = ctx.spatialOf(x);
  const begin = w.padsBegin ? ctx.int64s(w.padsBegin) : dynamicPadsBegin(ctx, x, w, base);
  return ctx.node('Slice', [full, begin, ctx.node('Add', [begin, L], {}, base), ctx.int64s([2, 3])], {}, base);
}

const conv: GradRule = (ctx, n, [gy]) => {
  const [x, weight] = [n.input![0]!, n.input![1]!];
  const base = `grad/${n.output![0]}`;
  const wShape = ctx.shape(weight);
  const kernel = attrInts(n, 'kernel_shape') ?? (wShape?.slice(2) as number[] | undefined);
  if (!kernel || kernel.some((k) => k === null)) throw ctx.refuse(n, 'has a kernel shape that cannot be told');
  const w = windowOf(ctx, n, kernel);
  const group = attrInt(n, 'group', 1);
  const init = ctx.idx.initializer(weight);
  if (init && w.strides.every((s) => s === 1) && w.padsBegin) {
    // Stride 1 with constant weights: the adjoint is itself a Conv (flipped, channel-swapped kernel,
    // pads dilation·(k−1) − pad), which runs several times faster than ConvTranspose in onnxruntime
    // (4× for depthwise kernels) and can use its blocked-layout kernels.
    const span = kernel.map((k, i) => w.dilations[i]! * (k - 1));
    const pads = [...w.padsBegin.map((p, i) => span[i]! - p), ...w.padsEnd!.map((p, i) => span[i]! - p)];
    if (pads.every((p) => p >= 0)) {
      const adj = adjointWeights(tensorToFloat32(init), tensorDims(init), group);
      const wAdj = ctx.g.initializer(`${base}/adjoint_weight`, adj.data, adj.dims);
      return [ctx.node('Conv', [gy!, wAdj], { kernel_shape: kernel, dilations: w.dilations, group, pads }, base)];
    }
  }
  const strided = kernel.length === 2 && w.strides[0]! > 1 && w.strides[0] === w.strides[1];
  if (init && strided) {
    const g = polyphaseAdjoint(ctx, gy!, x, w, tensorToFloat32(init), tensorDims(init), group, base);
    if (g) return [g];
  }
  return [transposedSweep(ctx, gy!, weight, x, w, group, base)];
};

/**
 * MaxPool: each output's gradient goes to the one input its Indices output
 * names (the first maximum, so ties do not double-count), accumulated with
 * ScatterElements(reduction = add) over the flattened input, where windows
 * overlap. The forward node is given its Indices output by the caller.
 */
const maxPool: GradRule = (ctx, n, [gy]) => {
  const x = n.input![0]!;
  const indices = n.output?.[1];
  const base = `grad/${n.output![0]}`;
  if (!indices) throw ctx.refuse(n, 'has no Indices output (internal: it should have been added)');
  if (attrInt(n, 'storage_order', 0) !== 0) throw ctx.refuse(n, 'uses column-major indices (storage_order=1)');
  const flat = ctx.int64s([-1]);
  const st = ctx.shape(x);
  const count = st && st.every((d) => d !== null) ? ctx.int64s([(st as number[]).reduce((a, b) => a * b, 1)]) : ctx.node('Reshape', [ctx.node('Size', [x], {}, base), ctx.int64s([1])], {}, base);
  const zeros = ctx.node('ConstantOfShape', [count], { value: attr.tensor(makeTensor('value', [0], [1], 'float32')) }, base);
  const scattered = ctx.node('ScatterElements', [zeros, ctx.node('Reshape', [indices, flat], {}, base), ctx.node('Reshape', [gy!, flat], {}, base)], { axis: 0, reduction: 'add' }, base);
  return [ctx.node('Reshape', [scattered, ctx.shapeOf(x)], {}, base)];
};

/**
 * Reciprocal of AveragePool's divisor per output position, as onnxruntime counts it
 * (separable per axis: start = o·s − pb, end = min(start + k, L + pe);
 * count_include_pad: end − start, else min(end, L) − max(start, 0)), broadcast over N and C.
 */
function averageDivisor(ctx: GradContext, x: string, y: string, w: Window, includePad: boolean, base: string): string {
  const r = w.kernel.length;
  const L = ctx.spatialOf(x);
  const Lout = ctx.spatialOf(y);
  const begin = w.padsBegin ? ctx.int64s(w.padsBegin) : dynamicPadsBegin(ctx, x, w, base);
  const i64 = (v: number) => ctx.int64Scalar(v);
  let total: string | undefined;
  for (let i = 0; i < r; i++) {
    const pick = (v: string) => ctx.node('Squeeze', [ctx.node('Slice', [v, ctx.int64s([i]), ctx.int64s([i + 1])], {}, base), ctx.int64s([0])], {}, base);
    const [Li, LoutI, pb, s, k] = [pick(L), pick(Lout), pick(begin), i64(w.strides[i]!), i64(w.kernel[i]!)];
    // L + pad_end. For SAME at run time: L + total − pb = max(L, (Lout − 1)·s + k) − pb.
    const limit = w.padsEnd
      ? ctx.node('Add', [Li, i64(w.padsEnd[i]!)], {}, base)
      : ctx.node('Sub', [ctx.node('Max', [Li, ctx.node('Add', [ctx.node('Mul', [ctx.node('Sub', [LoutI, i64(1)], {}, base), s], {}, base), k], {}, base)], {}, base), pb], {}, base);
    const start = ctx.node('Sub', [ctx.node('Mul', [ctx.node('Range', [i64(0), LoutI, i64(1)], {}, base), s], {}, base), pb], {}, base);
    const stop = ctx.node('Min', [ctx.node('Add', [start, k], {}, base), limit], {}, base);
    const count = includePad
      ? ctx.node('Sub', [stop, start], {}, base)
      : ctx.node('Sub', [ctx.node('Min', [stop, Li], {}, base), ctx.node('Max', [start, i64(0)], {}, base)], {}, base);
    const inv = ctx.node('Reciprocal', [ctx.node('Cast', [count], { to: 1 }, base)], {}, base);
    // This axis' factor shaped [len, 1, …, 1] (r − 1 − i trailing ones); the product over axes broadcasts over N and C.
    const shaped = r - 1 - i > 0 ? ctx.node('Unsqueeze', [inv, ctx.int64s(Array.from({ length: r - 1 - i }, (_, j) => 1 + j))], {}, base) : inv;
    total = total ? ctx.node('Mul', [total, shaped], {}, base) : shaped;
  }
  return total!;
}

const averagePool: GradRule = (ctx, n, [gy]) => {
  const x = n.input![0]!;
  const y = n.output![0]!;
  const base = `grad/${y}`;
  const kernel = attrInts(n, 'kernel_shape', [])!;
  const r = kernel.length;
  if ((attrInts(n, 'dilations') ?? []).some((d) => d !== 1)) throw ctx.refuse(n, 'uses dilations');
  const w = windowOf(ctx, n, kernel);
  const includePad = attrInt(n, 'count_include_pad', 0) === 1;
  const ceil = attrInt(n, 'ceil_mode', 0) === 1;
  const noPads = w.padsBegin !== null && [...w.padsBegin, ...w.padsEnd!].every((p) => p === 0);
  const kSize = kernel.reduce((a, b) => a * b, 1);
  // Windows all of full size unless pads (not counted) or ceil-mode overhang change the divisor.
  const constantDivisor = !ceil && (noPads || (includePad && w.padsBegin !== null));
  let g = gy!;
  if (!constantDivisor) g = ctx.node('Mul', [g, averageDivisor(ctx, x, y, w, includePad, base)], {}, base);
  // Every channel alike: fold channels into the batch and sweep one all-ones kernel.
  const ones = ctx.g.constant(new Array(kSize).fill(constantDivisor ? 1 / kSize : 1), [1, 1, ...kernel], `${base}/avg_kernel`);
  const keep = Array.from({ length: r }, () => 0);
  const gy1 = ctx.node('Reshape', [g, ctx.int64s([-1, 1, ...keep])], {}, base);
  const swept = transposedSweep(ctx, gy1, ones, x, w, 1, base);
  return [ctx.node('Reshape', [swept, ctx.shapeOf(x)], {}, base)];
};

export const WINDOW_GRADIENTS: Record<string, GradSpec> = {
  Conv: { inputs: [0], rule: conv },
  MaxPool: { inputs: [0], rule: maxPool },
  AveragePool: { inputs: [0], rule: averagePool },
};
