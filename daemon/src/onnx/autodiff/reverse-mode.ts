/**
 * Reverse-mode differentiation of an ONNX graph, appended to the graph itself:
 * given seed gradients on some tensors, walks the nodes between the input and
 * those tensors backwards and emits, for each, the ONNX nodes of its backward
 * rule. Gradients reaching a tensor along several paths are summed.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { describeNode } from '../graph-index.ts';
import type { NodeProto } from '../proto.ts';
import { BASIC_GRADIENTS, type GradSpec } from './basic-gradients.ts';
import type { GradContext } from './grad-context.ts';
import { WINDOW_GRADIENTS } from './window-gradients.ts';

/** Every operator the autodiff can differentiate, with its rule. */
export const GRADIENTS: Record<string, GradSpec> = { ...BASIC_GRADIENTS, ...WINDOW_GRADIENTS };

/** Names of the differentiable operators (for messages and docs). */
export const DIFFERENTIABLE_OPS = Object.keys(GRADIENTS).sort();

/**
 * Operators whose outputs have zero derivative (shapes, indices, comparisons,
 * rounding): gradients stop there, so they may sit on the path in any number.
 */
export const ZERO_GRADIENT_OPS = new Set([
  'Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor',
  'IsNaN', 'IsInf', 'ConstantOfShape', 'EyeLike', 'Floor', 'Ceil', 'Round', 'Sign', 'RandomNormalLike', 'RandomUniformLike', 'Range',
]);

/**
 * Tensors on a path from `wrt` to any of `targets`: those that depend on `wrt`
 * and that some target depends on. Constant-only branches are not in it.
 */
export function activeTensors(nodes: NodeProto[], wrt: string, targets: Iterable<string>): Set<string> {
  const down = new Set([wrt]);
  for (const n of nodes) {
    if (!(n.input ?? []).some((i) => i && down.has(i)) || ZERO_GRADIENT_OPS.has(n.opType ?? '')) continue;
    // MaxPool's Indices output is integer bookkeeping, not a function to differentiate.
    const outs = n.opType === 'MaxPool' ? (n.output ?? []).slice(0, 1) : n.output ?? [];
    for (const o of outs) if (o) down.add(o);
  }
  const up = new Set(targets);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if ((n.output ?? []).some((o) => o && up.has(o))) for (const i of n.input ?? []) if (i) up.add(i);
  }
  return new Set([...down].filter((t) => up.has(t)));
}

/**
 * The nodes a gradient must flow back through, checked: every one must have a
 * backward rule, and tensors at positions the rule does not differentiate
 * (weights, pads…) must not depend on the image. Throws MODEL_CONTRACT naming
 * the first offending op and node.
 */
export function checkDifferentiable(nodes: NodeProto[], active: Set<string>, layerOf: (n: NodeProto) => string): NodeProto[] {
  const onPath = nodes.filter((n) => (n.output ?? []).some((o) => o && active.has(o)));
  for (const n of onPath) {
    const spec = (!n.domain || n.domain === 'ai.onnx') && Object.hasOwn(GRADIENTS, n.opType ?? '') ? GRADIENTS[n.opType!] : undefined;
    if (!spec) {
      throw new DreamLayerError('MODEL_CONTRACT', {
        stage: 'model',
        message: `DeepDream cannot differentiate the ${describeNode(n)} on the path from the input to layer "${layerOf(n)}": operator ${n.opType} has no gradient rule.`,
        hint: `Choose a layer before this node. Differentiable operators: ${DIFFERENTIABLE_OPS.join(', ')}.`,
      });
    }
    if (spec.inputs !== 'all') {
      const allowed = spec.inputs;
      (n.input ?? []).forEach((t, i) => {
        if (t && active.has(t) && !allowed.includes(i)) {
          throw new DreamLayerError('MODEL_CONTRACT', {
            stage: 'model',
            message: `DeepDream cannot differentiate the ${describeNode(n)}: its input ${i} ("${t}") depends on the image, and only its data input can.`,
            hint: 'Choose a layer before this node.',
          });
        }
      });
    }
  }
  return onPath;
}

/**
 * Appends the backward pass to `ctx.g` and returns the name of d(objective)/d(wrt).
 * `nodes` is the forward graph in topological order; `seeds` maps tensors to the
 * gradient tensors of the objective with respect to them.
 */
export function appendGradient(ctx: GradContext, nodes: NodeProto[], wrt: string, seeds: Map<string, string[]>, onPath: NodeProto[]): string | undefined {
  const contributions = new Map<string, string[]>();
  for (const [t, gs] of seeds) contributions.set(t, [...gs]);
  const total = (t: string): string | undefined => {
    const parts = contributions.get(t);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const sum = ctx.g.node('Sum', parts, {}, { name: `grad/${t}/Sum`, outputs: [`grad/${t}`] });
    contributions.set(t, [sum]);
    return sum;
  };
  const onPathSet = new Set(onPath);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    if (!onPathSet.has(n)) continue;
    const gOut = (n.output ?? []).map((o) => (o ? total(o) : undefined));
    if (gOut.every((g) => g === undefined)) continue;
    const spec = GRADIENTS[n.opType!]!;
    const gIn = spec.rule(ctx, n, gOut);
    (n.input ?? []).forEach((t, i) => {
      const gi = gIn[i];
      if (!t || !gi || !ctx.isActive(t)) return;
      const list = contributions.get(t);
      if (list) list.push(gi);
      else contributions.set(t, [gi]);
    });
  }
  return total(wrt);
}
