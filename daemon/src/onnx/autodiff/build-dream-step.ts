/**
 * The DeepDream step as one ONNX model: onnxruntime has no autograd, so the
 * gradient of the dream objective with respect to the image is built as ONNX
 * nodes (reverse-mode differentiation) appended to the classifier cut at the
 * chosen layers.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { freeInputSpatialDims, truncateAt } from '../edit-graph.ts';
import { GraphBuilder } from '../graph-builder.ts';
import { GraphIndex, topoSortNodes } from '../graph-index.ts';
import { onnx, type ModelProto, type NodeProto } from '../proto.ts';
import { GradContext } from './grad-context.ts';
import { modelOpset, upgradeOpset } from './opset-upgrade.ts';
import { activeTensors, appendGradient, checkDifferentiable } from './reverse-mode.ts';
import { inferShapes } from './shape-info.ts';

/** One layer of the dream objective. */
export interface DreamLayer {
  /** Tensor name (a node output; see listLayers). */
  name: string;
  /** Weight in the objective (default 1). */
  weight?: number;
}

export interface DreamStepOptions {
  layers: DreamLayer[];
  /** The image input (default: the model's only fed input). */
  inputName?: string;
  /**
   * Guided dreaming: one extra input per layer, named {@link guideInputName}(i),
   * holding that layer's activations [1,C,h,w] for a guide image (any h, w).
   */
  guide?: boolean;
}

/** Name of the guide input of layer `i` in a guided dream-step model. */
export function guideInputName(i: number): string {
  return `guide_${i}`;
}

/** Output names of the dream-step model. */
export const DREAM_OUTPUTS = { objective: 'objective', gradient: 'gradient' } as const;

function contractError(message: string, hint?: string): DreamLayerError {
  return new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message, ...(hint ? { hint } : {}) });
}

/**
 * Builds the DeepDream step model for `model` (a classifier, fully
 * convolutional up to the chosen layers; batch 1).
 *
 * The result has the image input (same name, free H and W; plus the guide inputs
 * when `guide` is set) and two outputs:
 * - `objective`, a float32 scalar: Σ_l weight_l · mean(A_l²) over the layers'
 *   activations A_l; with `guide`, Σ_l weight_l · mean_x max_y ⟨A_l(x), G_l(y)⟩
 *   (each position's feature vector matched to its best guide feature, as in the
 *   original DeepDream notebook);
 * - `gradient`, d objective / d image, shaped like the image.
 *
 * The graph is the forward network cut at the layers (nodes after them dropped),
 * with the backward nodes appended; forward activations are reused by the
 * backward pass, nothing is recomputed (except LRN's normaliser). Its opset is
 * raised to at least 13 (16 when a MaxPool is on the path, for
 * ScatterElements with reduction).
 *
 * Differentiable operators: Conv (groups, depthwise, strides, dilations, pads,
 * auto_pad), Relu, Clip, LeakyRelu, MaxPool, AveragePool, GlobalAveragePool,
 * LRN, BatchNormalization (inference), Add/Sub/Mul/Div with broadcasting, Concat,
 * Split, Pad (constant, reflect), Reshape, Flatten, Identity, Dropout. Any other
 * operator between the input and a layer: MODEL_CONTRACT naming the op and node.
 * Branches that do not depend on the image need no gradient and may use any op.
 */
export function buildDreamStepModel(model: ModelProto, opts: DreamStepOptions): ModelProto {
  const layers = opts.layers;
  if (layers.length === 0) throw new DreamLayerError('PARAM_INVALID', { message: 'DeepDream needs at least one layer.', hint: 'Pick layers from the model\'s layer list.' });
  for (const l of layers) {
    if (l.weight !== undefined && !Number.isFinite(l.weight)) throw new DreamLayerError('PARAM_INVALID', { message: `Layer "${l.name}" has weight ${l.weight}; a finite number is needed.` });
  }
  const names = [...new Set(layers.map((l) => l.name))];
  let m = freeInputSpatialDims(truncateAt(model, names), opts.inputName ? { inputName: opts.inputName } : {});
  const input = opts.inputName ?? new GraphIndex(m.graph!).feedInputs[0]!;

  // Raise the opset first (node objects change), then find the path on the final graph.
  const preActive = activeTensors(topoSortNodes(m.graph!), input, names);
  const maxPoolOnPath = (m.graph!.node ?? []).some((n) => n.opType === 'MaxPool' && preActive.has(n.output?.[0] ?? ''));
  m = upgradeOpset(m, Math.max(13, maxPoolOnPath ? 16 : 0));
  m = withMaxPoolIndices(m, preActive);
  const nodes = topoSortNodes(m.graph!);
  const active = activeTensors(nodes, input, names);
  for (const name of names) {
    if (!active.has(name)) throw contractError(`Layer "${name}" does not depend on the image input "${input}", so it has no gradient.`, 'Pick a layer computed from the image.');
  }
  const layerOf = (n: NodeProto) => names.find((t) => activeTensors(nodes, n.output?.[0] ?? '', [t]).has(t)) ?? names[0]!;
  const onPath = checkDifferentiable(nodes, active, layerOf);

  const idx = new GraphIndex(m.graph!);
  const reserved = [DREAM_OUTPUTS.objective, DREAM_OUTPUTS.gradient, ...(opts.guide ? layers.map((_, i) => guideInputName(i)) : [])];
  for (const r of reserved) {
    if (idx.producer.has(r) || idx.initializers.has(r) || (r !== input && idx.feedInputs.includes(r))) {
      throw contractError(`The model already has a tensor named "${r}", which the dream-step model needs for itself.`);
    }
  }
  const inputSig = m.graph!.input!.find((v) => v.name === input)!;
  m.graph!.node = nodes;
  const g = GraphBuilder.fromModel(m);
  g.clearOutputs();
  const ctx = new GradContext(g, idx, inferShapes(m.graph!, idx), modelOpset(m), active);

  const seeds = new Map<string, string[]>();
  const objectives: string[] = [];
  layers.forEach((layer, i) => {
    const w = layer.weight ?? 1;
    const base = `dream/${layer.name}`;
    const [objective, seed] = opts.guide ? guidedObjective(ctx, layer.name, w, i, base) : squaredObjective(ctx, layer.name, w, base);
    objectives.push(objective);
    const list = seeds.get(layer.name);
    if (list) list.push(seed);
    else seeds.set(layer.name, [seed]);
  });
  const gradient = appendGradient(ctx, nodes, input, seeds, onPath);
  if (!gradient) throw contractError(`No gradient reaches the input "${input}" from the chosen layers.`);
  const objective = objectives.length === 1 ? objectives[0]! : g.node('Sum', objectives, {}, { name: 'dream/objective_sum' });

  g.output(objective, DREAM_OUTPUTS.objective, 'float32', []);
  const inputDims = inputSig.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
  const gradOut = g.output(gradient === input ? g.node('Identity', [input]) : gradient, DREAM_OUTPUTS.gradient, 'float32', inputDims);
  if (gradOut !== DREAM_OUTPUTS.gradient) throw new DreamLayerError('INTERNAL', { message: `The gradient output was named "${gradOut}".` });
  const built = g.build();
  built.docString = `DreamLayer DeepDream step for layers ${layers.map((l) => `${l.name}×${l.weight ?? 1}`).join(', ')}${opts.guide ? ' (guided)' : ''}: outputs objective and d objective / d ${input}.`;
  return built;
}

/** weight·mean(A²) and its gradient seed 2·weight·A / size(A). */
function squaredObjective(ctx: GradContext, a: string, w: number, base: string): [string, string] {
  const n = ctx.node('Cast', [ctx.node('Size', [a], {}, base)], { to: 1 }, base);
  const sumSq = ctx.reduce('ReduceSumSquare', a, null, false, base);
  const objective = ctx.node('Mul', [ctx.node('Div', [sumSq, n], {}, base), ctx.scalar(w)], {}, base);
  const seed = ctx.node('Mul', [a, ctx.node('Div', [ctx.scalar(2 * w), n], {}, base)], {}, base);
  return [objective, seed];
}

/**
 * weight·mean_x max_y ⟨A(x), G(y)⟩ over positions x of the layer and y of the guide;
 * its gradient (almost everywhere) puts weight/P · G(y*(x)) at each x, P = positions.
 */
function guidedObjective(ctx: GradContext, a: string, w: number, i: number, base: string): [string, string] {
  const channels = ctx.shape(a)?.[1] ?? null;
  const guide = ctx.g.input(guideInputName(i), 'float32', [1, channels ?? `C${i}`, `guide${i}_H`, `guide${i}_W`]);
  const flat = ctx.int64s([0, 0, -1]);
  const af = ctx.node('Reshape', [a, flat], {}, base); // [1,C,P]
  const gf = ctx.node('Reshape', [guide, flat], {}, base); // [1,C,M]
  const scores = ctx.node('MatMul', [ctx.node('Transpose', [af], { perm: [0, 2, 1] }, base), gf], {}, base); // [1,P,M]
  const best = ctx.reduce('ReduceMax', scores, [2], false, base); // [1,P]
  const objective = ctx.node('Mul', [ctx.reduce('ReduceMean', best, null, false, base), ctx.scalar(w)], {}, base);
  const choice = ctx.node('ArgMax', [scores], { axis: 2, keepdims: 0 }, base); // [1,P]
  const features = ctx.node('Squeeze', [ctx.node('Transpose', [gf], { perm: [0, 2, 1] }, base), ctx.int64s([0])], {}, base); // [M,C]
  const picked = ctx.node('Gather', [features, choice], { axis: 0 }, base); // [1,P,C]
  const direction = ctx.node('Reshape', [ctx.node('Transpose', [picked], { perm: [0, 2, 1] }, base), ctx.shapeOf(a)], {}, base);
  const positions = ctx.node('Cast', [ctx.node('Size', [best], {}, base)], { to: 1 }, base);
  const seed = ctx.node('Mul', [direction, ctx.node('Div', [ctx.scalar(w), positions], {}, base)], {}, base);
  return [objective, seed];
}

/** Gives every MaxPool on the path an Indices output (its backward rule routes gradients by it). */
function withMaxPoolIndices(model: ModelProto, active: Set<string>): ModelProto {
  const g = model.graph!;
  const taken = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
  let changed = false;
  const nodes = (g.node ?? []).map((n) => {
    if (n.opType !== 'MaxPool' || !active.has(n.output?.[0] ?? '') || n.output?.[1]) return n;
    let name = `${n.output![0]}/indices`;
    while (taken.has(name)) name += '_';
    taken.add(name);
    changed = true;
    return onnx.NodeProto.create({ ...n, output: [n.output![0]!, name] });
  });
  if (!changed) return model;
  return onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...g, node: nodes }) });
}
