/**
 * Edits of existing ONNX models: free a fixed input size, cut the graph at
 * inner tensors, choose outputs, sort, and list the layers a user can pick.
 * Every edit returns a new ModelProto and leaves its argument untouched
 * (node and tensor objects that do not change are shared).
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { attrInt, describeNode, GraphIndex, topoSortNodes } from './graph-index.ts';
import { onnx, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.ts';
import { toNumber } from './tensor-data.ts';

/** A copy of the model whose graph arrays (nodes, inputs, outputs, value_info, initializers) can be changed freely. */
export function cloneModel(model: ModelProto): ModelProto {
  const g = model.graph!;
  return onnx.ModelProto.create({
    ...model,
    opsetImport: [...(model.opsetImport ?? [])],
    graph: onnx.GraphProto.create({
      ...g,
      node: [...(g.node ?? [])],
      input: [...(g.input ?? [])],
      output: [...(g.output ?? [])],
      valueInfo: [...(g.valueInfo ?? [])],
      initializer: [...(g.initializer ?? [])],
    }),
  });
}

/** The model with its nodes in topological order (see {@link topoSortNodes}). */
export function topoSort(model: ModelProto): ModelProto {
  const m = cloneModel(model);
  m.graph!.node = topoSortNodes(m.graph!);
  return m;
}

function knownValueInfo(g: GraphProto, name: string): ValueInfoProto | undefined {
  return [...(g.output ?? []), ...(g.valueInfo ?? []), ...(g.input ?? [])].find((v) => v.name === name);
}

function requireTensors(model: ModelProto, names: string[], what: string): GraphIndex {
  const idx = new GraphIndex(model.graph!);
  const missing = names.filter((n) => !idx.producer.has(n) && !idx.feedInputs.includes(n));
  if (names.length === 0 || missing.length > 0) {
    const some = [...idx.producer.keys()].slice(0, 8).join(', ');
    throw new DreamLayerError('MODEL_CONTRACT', {
      stage: 'model',
      message: names.length === 0 ? `No ${what} given.` : `The model has no tensor named ${missing.map((m) => `"${m}"`).join(', ')} (${what}).`,
      hint: `Pick tensor names from the model's layer list (e.g. ${some}…).`,
    });
  }
  return idx;
}

/**
 * The model with exactly these graph outputs (tensor names). Element types and
 * shapes come from the model's own value info when it has them (float32 with
 * unknown shape otherwise). Nodes are not pruned: see {@link truncateAt}.
 */
export function setOutputs(model: ModelProto, names: string[]): ModelProto {
  requireTensors(model, names, 'outputs');
  const m = cloneModel(model);
  const g = m.graph!;
  g.output = names.map((n) => {
    const known = knownValueInfo(model.graph!, n);
    if (known) return onnx.ValueInfoProto.create({ ...known, name: n });
    return onnx.ValueInfoProto.create({ name: n, type: { tensorType: { elemType: 1 } } });
  });
  return m;
}

/** Drops nodes and initializers that no graph output needs (graph inputs that are fed are kept). */
export function pruneUnused(model: ModelProto): ModelProto {
  const m = cloneModel(model);
  const g = m.graph!;
  const needed = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const keep: NodeProto[] = [];
  for (const n of [...topoSortNodes(g)].reverse()) {
    if ((n.output ?? []).some((o) => o && needed.has(o))) {
      keep.push(n);
      for (const i of n.input ?? []) if (i) needed.add(i);
    }
  }
  const kept = new Set(keep);
  g.node = (g.node ?? []).filter((n) => kept.has(n));
  g.initializer = (g.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  g.input = (g.input ?? []).filter((v) => !inits.has(v.name) || needed.has(v.name ?? ''));
  const alive = new Set<string>(needed);
  for (const n of g.node) for (const o of n.output ?? []) alive.add(o);
  g.valueInfo = (g.valueInfo ?? []).filter((v) => alive.has(v.name ?? ''));
  return m;
}

/**
 * Cuts the graph so that the named intermediate tensors become its outputs,
 * and drops every node and initializer they do not need.
 */
export function truncateAt(model: ModelProto, nodeOutputNames: string[]): ModelProto {
  return pruneUnused(setOutputs(model, nodeOutputNames));
}

export interface FreeInputOptions {
  /** Input to free (default: the model's only fed input). */
  inputName?: string;
  /** Symbolic names for the height and width (default 'H', 'W'). */
  dimNames?: [string, string];
}

/** Ops after which a tensor no longer has the input's spatial extent. */
const SPATIAL_COLLAPSING = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Shape', 'Size']);
const BROADCASTING_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Max', 'Min', 'Sum', 'Where', 'Equal', 'Greater', 'Less']);

function refuseFree(node: NodeProto, why: string): DreamLayerError {
  return new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `The model cannot take a free input size: ${describeNode(node)} ${why}.`,
    hint: 'Use the model at its fixed input size (resize frames to it), or export it with dynamic height and width.',
  });
}

/** Tensors that carry the input's spatial extent (element count changes with H×W). */
function spatialTensors(g: GraphProto, idx: GraphIndex, input: string): Set<string> {
  const spatial = new Set([input]);
  for (const n of topoSortNodes(g)) {
    const dataIn = n.opType === 'Reshape' || n.opType === 'Expand' ? [n.input?.[0] ?? ''] : n.input ?? [];
    if (!dataIn.some((i) => spatial.has(i))) continue;
    if (SPATIAL_COLLAPSING.has(n.opType ?? '')) continue;
    if (n.opType?.startsWith('Reduce')) {
      // Reducing over both spatial axes (or all axes) leaves no spatial extent.
      const axes = (n.attribute ?? []).find((a) => a.name === 'axes')?.ints?.map(toNumber) ?? idx.constant(n.input?.[1] ?? '')?.values;
      if (!axes || ((axes.includes(2) || axes.includes(-2)) && (axes.includes(3) || axes.includes(-1)))) continue;
    }
    for (const o of n.output ?? []) if (o) spatial.add(o);
  }
  return spatial;
}

function checkFreeable(g: GraphProto, idx: GraphIndex, input: string): void {
  const spatial = spatialTensors(g, idx, input);
  for (const n of g.node ?? []) {
    const ins = n.input ?? [];
    if (n.opType === 'Reshape' && spatial.has(ins[0] ?? '')) {
      const shape = idx.constant(ins[1] ?? '');
      if (!shape) continue; // computed from Shape(): follows the input
      const v = shape.values;
      const absorbs = v.includes(-1) || v.slice(2).includes(0);
      const fixedSpatial = v.slice(2).some((d) => d > 1);
      if (!absorbs || fixedSpatial) throw refuseFree(n, `reshapes a tensor that depends on the image size to the fixed shape [${v.join(', ')}]`);
    }
    if ((n.opType === 'Resize' || n.opType === 'Upsample') && spatial.has(ins[0] ?? '') && ins[3] && idx.constant(ins[3])) {
      throw refuseFree(n, 'resizes to a fixed output size');
    }
    if (BROADCASTING_BINARY.has(n.opType ?? '') && ins.some((i) => spatial.has(i))) {
      for (const i of ins) {
        const c = idx.constant(i);
        if (c && c.dims.length >= 3 && c.dims.slice(-2).some((d) => d > 1)) {
          throw refuseFree(n, `combines the image with the constant "${i}" of fixed spatial shape [${c.dims.join(', ')}]`);
        }
      }
    }
  }
}

function freeDims(v: ValueInfoProto, from: number, names: (string | undefined)[]): ValueInfoProto {
  const t = v.type?.tensorType;
  const dims = t?.shape?.dim;
  if (!t || !dims) return v;
  const dim = dims.map((d, i) => (i >= from ? (names[i - from] ? { dimParam: names[i - from] } : {}) : d));
  return onnx.ValueInfoProto.create({ ...v, type: { ...v.type, tensorType: { ...t, shape: { dim } } } });
}

function stripShape(v: ValueInfoProto): ValueInfoProto {
  const t = v.type?.tensorType;
  if (!t?.shape) return v;
  return onnx.ValueInfoProto.create({ ...v, type: { ...v.type, tensorType: { elemType: t.elemType } } });
}

/**
 * Replaces the fixed height and width of a fully convolutional model's image
 * input ([N,C,H,W]) with symbolic dims, so that onnxruntime accepts any size.
 * Outputs that depend on the input get free spatial dims too (the same names
 * when they had the input's size, 'OH'/'OW' otherwise); intermediate value_info
 * shapes downstream of the input are dropped (ORT infers them again).
 *
 * Refuses (MODEL_CONTRACT, naming the node) graphs that bake the size in:
 * a Reshape of an image-sized tensor to a constant shape, a Resize to constant
 * sizes, or arithmetic with a constant of fixed spatial shape.
 */
export function freeInputSpatialDims(model: ModelProto, opts: FreeInputOptions = {}): ModelProto {
  const idx = new GraphIndex(model.graph!);
  const inputName = opts.inputName ?? (idx.feedInputs.length === 1 ? idx.feedInputs[0]! : undefined);
  if (!inputName || !idx.feedInputs.includes(inputName)) {
    throw new DreamLayerError('MODEL_CONTRACT', {
      stage: 'model',
      message: opts.inputName ? `The model has no input named "${opts.inputName}" (inputs: ${idx.feedInputs.join(', ')}).` : `The model has ${idx.feedInputs.length} inputs (${idx.feedInputs.join(', ')}); say which one is the image.`,
    });
  }
  const [hName, wName] = opts.dimNames ?? ['H', 'W'];
  const m = cloneModel(model);
  const g = m.graph!;
  const inputVi = g.input!.find((v) => v.name === inputName)!;
  const dims = inputVi.type?.tensorType?.shape?.dim ?? [];
  if (dims.length !== 4) {
    throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: `Input "${inputName}" has rank ${dims.length}; an image input [N,C,H,W] is expected.` });
  }
  checkFreeable(g, idx, inputName);
  const oldH = dims[2]?.dimValue != null ? toNumber(dims[2].dimValue) : undefined;
  const oldW = dims[3]?.dimValue != null ? toNumber(dims[3].dimValue) : undefined;
  const h = dims[2]?.dimParam || hName;
  const w = dims[3]?.dimParam || wName;
  g.input = g.input!.map((v) => (v.name === inputName ? freeDims(v, 2, [h, w]) : v));
  const downstream = idx.downstreamOf([inputName]);
  g.output = g.output!.map((v) => {
    const od = v.type?.tensorType?.shape?.dim;
    if (!downstream.has(v.name ?? '') || !od || od.length < 3) return v;
    const r = od.length;
    const same = oldH !== undefined && toNumber(od[r - 2]?.dimValue) === oldH && toNumber(od[r - 1]?.dimValue) === oldW;
    const names = same ? [h, w] : [od[r - 2]?.dimParam || `${v.name}_H`, od[r - 1]?.dimParam || `${v.name}_W`];
    return freeDims(v, r - 2, names);
  });
  g.valueInfo = (g.valueInfo ?? []).map((v) => (downstream.has(v.name ?? '') ? stripShape(v) : v));
  return m;
}

/** One pickable layer of a model. */
export interface LayerInfo {
  /** Output tensor name (what truncateAt and the dream layers take). */
  name: string;
  op: string;
  nodeName: string;
  /** Position along the topological order of the listed nodes (0 = nearest the input). */
  depth: number;
  /** Channel count when known (from Conv weights and the ops that keep or join channels). */
  channels?: number;
}

/** Ops whose output has the channel count of their first input. */
const CHANNEL_KEEPING = new Set([
  'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Mish', 'Identity', 'Dropout',
  'BatchNormalization', 'InstanceNormalization', 'LRN', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'Pad', 'Resize', 'Upsample',
  'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Max', 'Min', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Pow', 'Cast',
]);

/**
 * The layers a user can choose (for DeepDream, contact sheets…): every node
 * whose output depends on a fed input, in topological order, with the op and
 * the channel count when it can be told from weights.
 */
export function listLayers(model: ModelProto): LayerInfo[] {
  const g = model.graph!;
  const idx = new GraphIndex(g);
  const channels = new Map<string, number>();
  for (const v of g.input ?? []) {
    const d = v.type?.tensorType?.shape?.dim?.[1];
    if (d?.dimValue != null) channels.set(v.name ?? '', toNumber(d.dimValue));
  }
  const live = new Set(idx.feedInputs);
  const out: LayerInfo[] = [];
  for (const n of topoSortNodes(g)) {
    const ins = n.input ?? [];
    if (!ins.some((i) => live.has(i))) continue;
    for (const o of n.output ?? []) if (o) live.add(o);
    const op = n.opType ?? '';
    let c: number | undefined;
    if (op === 'Conv') c = idx.initializers.has(ins[1] ?? '') ? toNumber(idx.initializers.get(ins[1]!)!.dims?.[0]) : undefined;
    else if (op === 'ConvTranspose') {
      const wt = idx.initializers.get(ins[1] ?? '');
      c = wt ? toNumber(wt.dims?.[1]) * attrInt(n, 'group', 1) : undefined;
    } else if (op === 'Concat' && attrInt(n, 'axis', 1) === 1) {
      const parts = ins.map((i) => channels.get(i));
      c = parts.every((p) => p !== undefined) ? parts.reduce((a, b) => a! + b!, 0) : undefined;
    } else if (op === 'DepthToSpace') {
      const b = attrInt(n, 'blocksize', 1);
      const cin = channels.get(ins[0] ?? '');
      c = cin !== undefined ? cin / (b * b) : undefined;
    } else if (op === 'SpaceToDepth') {
      const b = attrInt(n, 'blocksize', 1);
      const cin = channels.get(ins[0] ?? '');
      c = cin !== undefined ? cin * b * b : undefined;
    } else if (CHANNEL_KEEPING.has(op)) {
      c = ins.map((i) => channels.get(i)).find((x) => x !== undefined && x > 1) ?? channels.get(ins[0] ?? '');
    }
    const name = n.output?.[0] ?? '';
    if (c !== undefined) channels.set(name, c);
    out.push({ name, op, nodeName: n.name ?? '', depth: out.length, ...(c !== undefined ? { channels: c } : {}) });
  }
  return out;
}
