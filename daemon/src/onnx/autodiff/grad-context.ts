/**
 * What a backward rule needs while it appends nodes: the builder, lookups of
 * the forward graph, static shapes, and shared helpers (cached Shape nodes,
 * reductions in the right form for the opset, un-broadcasting of gradients).
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { attr, type GraphBuilder } from '../graph-builder.ts';
import { describeNode, type GraphIndex } from '../graph-index.ts';
import type { NodeProto } from '../proto.ts';
import { makeTensor } from '../tensor-data.ts';
import type { SShape } from './shape-info.ts';

/** Largest int64 index, for open-ended Slice ends. */
export const INT64_MAX = Number.MAX_SAFE_INTEGER;

export class GradContext {
  private readonly shapeNodes = new Map<string, string>();
  private readonly spatialNodes = new Map<string, string>();
  private readonly scalars = new Map<number, string>();

  constructor(
    readonly g: GraphBuilder,
    readonly idx: GraphIndex,
    readonly shapes: Map<string, SShape>,
    readonly opset: number,
    /** Tensors on a path from the differentiated input to an objective tensor. */
    readonly active: ReadonlySet<string> = new Set(),
  ) {}

  /** Whether a gradient flows to this tensor (it depends on the input and feeds the objective). */
  isActive(t: string): boolean {
    return this.active.has(t);
  }

  /** A float32 scalar constant (shared per value). */
  scalar(v: number): string {
    let s = this.scalars.get(v);
    if (!s) {
      s = this.g.scalar(v, 'grad/c');
      this.scalars.set(v, s);
    }
    return s;
  }

  int64s(values: number[]): string {
    return this.g.int64s(values, 'grad/i');
  }

  /** An int64 scalar constant (rank 0), e.g. for Range. */
  int64Scalar(v: number): string {
    return this.g.initializer('grad/i', [v], [], 'int64');
  }

  /** Add a node to the gradient part of the graph (named after the forward tensor it differentiates). */
  node(op: string, inputs: string[], attrs: Parameters<GraphBuilder['node']>[2] = {}, base = 'grad'): string {
    return this.g.node(op, inputs, attrs, { name: `${base}/${op}`, outputs: [`${base}/${op}`] });
  }

  /** Static shape when known (rank and known dims). */
  shape(t: string): SShape | undefined {
    return this.shapes.get(t);
  }

  rank(t: string): number | undefined {
    return this.shapes.get(t)?.length;
  }

  /** Runtime shape of `t` as an int64 tensor (a constant when fully static; one Shape node per tensor otherwise). */
  shapeOf(t: string): string {
    let s = this.shapeNodes.get(t);
    if (s) return s;
    const st = this.shapes.get(t);
    s = st && st.every((d) => d !== null) ? this.int64s(st as number[]) : this.g.node('Shape', [t], {}, { name: `grad/shape/${t}`, outputs: [`${t}/shape`] });
    this.shapeNodes.set(t, s);
    return s;
  }

  /** Runtime spatial dims of an [N,C,...] tensor (int64 vector). */
  spatialOf(t: string): string {
    let s = this.spatialNodes.get(t);
    if (s) return s;
    const st = this.shapes.get(t);
    s = st && st.slice(2).every((d) => d !== null)
      ? this.int64s(st.slice(2) as number[])
      : this.g.node('Slice', [this.shapeOf(t), this.int64s([2]), this.int64s([INT64_MAX])], {}, { name: `grad/spatial/${t}`, outputs: [`${t}/spatial`] });
    this.spatialNodes.set(t, s);
    return s;
  }

  /** A Reduce* node in the form this opset wants (axes as input from 13 for ReduceSum, from 18 for the others). */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceSumSquare', x: string, axes: number[] | null, keepdims: boolean, base = 'grad'): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axes === null) return this.node(op, [x], { keepdims: keepdims ? 1 : 0 }, base);
    if (axesAsInput) return this.node(op, [x, this.int64s(axes)], { keepdims: keepdims ? 1 : 0 }, base);
    return this.node(op, [x], { axes: attr.ints(axes), keepdims: keepdims ? 1 : 0 }, base);
  }

  /**
   * Sums a gradient `grad` (shaped like the broadcast result `out`) back to the
   * shape of the operand `operand`: over leading axes the operand lacks and over
   * axes where it has size 1. Static when the shapes tell; otherwise the
   * broadcast axes are found at run time.
   */
  unbroadcast(grad: string, operand: string, out: string, node: NodeProto): string {
    const sa = this.shapes.get(operand);
    const sy = this.shapes.get(out);
    if (!sa || !sy) throw this.refuse(node, `has an operand ("${operand}") whose rank cannot be told`);
    const lead = sy.length - sa.length;
    const axes: number[] = [];
    for (let i = 0; i < lead; i++) axes.push(i);
    let dynamic = false;
    sa.forEach((d, i) => {
      if (d === 1 && sy[lead + i] !== 1) axes.push(lead + i);
      else if (d === null && sy[lead + i] !== null) dynamic = true; // a free dim facing a fixed one: maybe 1 at run time
    });
    if (dynamic) return this.unbroadcastDynamic(grad, operand, sy.length, sa.length);
    if (axes.length === 0) return grad;
    const summed = this.reduce('ReduceSum', grad, axes, true, `grad/${operand}`);
    return lead > 0 ? this.node('Reshape', [summed, this.shapeOf(operand)], {}, `grad/${operand}`) : summed;
  }

  private unbroadcastDynamic(grad: string, operand: string, ry: number, ra: number): string {
    const base = `grad/${operand}`;
    // Operand shape left-padded with ones to the result's rank; reduce where it is 1 and the gradient is not.
    const padded = ry > ra ? this.node('Concat', [this.int64s(new Array(ry - ra).fill(1)), this.shapeOf(operand)], { axis: 0 }, base) : this.shapeOf(operand);
    const one = this.int64s([1]);
    const mask = this.node('And', [this.node('Equal', [padded, one], {}, base), this.node('Not', [this.node('Equal', [this.node('Shape', [grad], {}, base), one], {}, base)], {}, base)], {}, base);
    const axes = this.node('Reshape', [this.node('NonZero', [mask], {}, base), this.int64s([-1])], {}, base);
    const summed = this.node('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 }, base);
    return this.node('Reshape', [summed, this.shapeOf(operand)], {}, base);
  }

  /** Zeros shaped like `t`. */
  zerosLike(t: string): string {
    const v = makeTensor('value', [0], [1], 'float32');
    return this.g.node('ConstantOfShape', [this.shapeOf(t)], { value: attr.tensor(v) }, { name: `grad/zeros/${t}`, outputs: [`${t}/zeros`] });
  }

  /** MODEL_CONTRACT naming the node. */
  refuse(node: NodeProto, why: string): DreamLayerError {
    return new DreamLayerError('MODEL_CONTRACT', {
      stage: 'model',
      message: `Cannot build the DeepDream gradient: ${describeNode(node)} ${why}.`,
      hint: 'Choose a layer nearer the input (before this node), or a model made of the supported operators.',
    });
  }
}
