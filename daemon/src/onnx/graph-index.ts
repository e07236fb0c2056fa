/**
 * Read-only lookups over an ONNX graph: who produces and who consumes each
 * tensor, constant values (initializers and Constant nodes), node attributes,
 * and which tensors depend on given sources. Shared by the graph editors and
 * the autodiff.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { AttributeProto, GraphProto, NodeProto, TensorProto } from './proto.ts';
import { tensorDims, tensorToNumbers, toNumber } from './tensor-data.ts';

/** A constant known at graph-edit time. */
export interface ConstantValue {
  dims: number[];
  values: number[];
  dataType: number;
}

export class GraphIndex {
  readonly graph: GraphProto;
  /** Node producing each tensor. */
  readonly producer = new Map<string, NodeProto>();
  /** Nodes reading each tensor. */
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  /** Names of graph inputs that are not initializers (what a caller feeds). */
  readonly feedInputs: string[];

  constructor(graph: GraphProto) {
    this.graph = graph;
    for (const t of graph.initializer ?? []) if (t.name) this.initializers.set(t.name, t);
    for (const n of graph.node ?? []) {
      for (const o of n.output ?? []) if (o) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
    }
    this.feedInputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => n && !this.initializers.has(n));
  }

  /** The value of a constant tensor (initializer or Constant node output), or undefined. */
  constant(name: string): ConstantValue | undefined {
    if (!name) return undefined;
    const init = this.initializers.get(name);
    if (init) return { dims: tensorDims(init), values: tensorToNumbers(init), dataType: init.dataType ?? 1 };
    const p = this.producer.get(name);
    if (p && p.opType === 'Constant' && (!p.domain || p.domain === 'ai.onnx')) {
      const a = p.attribute?.[0];
      if (!a) return undefined;
      if (a.name === 'value' && a.t) return { dims: tensorDims(a.t), values: tensorToNumbers(a.t), dataType: a.t.dataType ?? 1 };
      if (a.name === 'value_float') return { dims: [], values: [a.f ?? 0], dataType: 1 };
      if (a.name === 'value_floats') return { dims: [a.floats?.length ?? 0], values: (a.floats ?? []).map(Number), dataType: 1 };
      if (a.name === 'value_int') return { dims: [], values: [toNumber(a.i)], dataType: 7 };
      if (a.name === 'value_ints') return { dims: [a.ints?.length ?? 0], values: (a.ints ?? []).map(toNumber), dataType: 7 };
    }
    return undefined;
  }

  /** The weight tensor proto of an initializer (for reading big weights without copying to number[]). */
  initializer(name: string): TensorProto | undefined {
    return this.initializers.get(name);
  }

  /** All tensors reachable downstream of `sources` (the sources included). */
  downstreamOf(sources: Iterable<string>): Set<string> {
    const reached = new Set<string>(sources);
    for (const n of topoSortNodes(this.graph)) {
      if ((n.input ?? []).some((i) => i && reached.has(i))) for (const o of n.output ?? []) if (o) reached.add(o);
    }
    return reached;
  }
}

/**
 * Nodes in a topological order (stable: keeps the file order where it is
 * already valid). Tensors that no node produces count as available (graph
 * inputs, initializers, empty optional inputs). A cycle is MODEL_INVALID.
 */
export function topoSortNodes(graph: GraphProto): NodeProto[] {
  const nodes = graph.node ?? [];
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producedBy.set(o, i)));
  const pending = nodes.map((n) => new Set((n.input ?? []).filter((i) => i && producedBy.has(i) && producedBy.get(i) !== undefined)).size);
  const waiting = new Map<number, number[]>(); // producer index → consumer indices (one entry per distinct input)
  nodes.forEach((n, i) => {
    for (const t of new Set((n.input ?? []).filter((x) => x && producedBy.has(x)))) {
      const p = producedBy.get(t)!;
      const list = waiting.get(p);
      if (list) list.push(i);
      else waiting.set(p, [i]);
    }
  });
  // Min-heap by file index keeps the order stable; a sorted array is plenty for graph sizes here.
  const ready: number[] = [];
  pending.forEach((c, i) => c === 0 && ready.push(i));
  const out: NodeProto[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    out.push(nodes[i]!);
    for (const c of waiting.get(i) ?? []) if (--pending[c]! === 0) ready.push(c);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.find((_, i) => pending[i]! > 0);
    throw new DreamLayerError('MODEL_INVALID', { stage: 'model', message: `The ONNX graph has a cycle (node ${stuck?.name || stuck?.opType} is part of it).` });
  }
  return out;
}

function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** An int attribute, or `fallback`. */
export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i) : fallback;
}

/** An ints attribute, or `fallback`. */
export function attrInts(node: NodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map(toNumber) : fallback;
}

/** A float attribute, or `fallback`. */
export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? (a.f ?? 0) : fallback;
}

/** A floats attribute, or `fallback`. */
export function attrFloats(node: NodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.floats ?? []).map(Number) : fallback;
}

/** A string attribute, or `fallback`. */
export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

/** Whether the node has this attribute. */
export function hasAttr(node: NodeProto, name: string): boolean {
  return attribute(node, name) !== undefined;
}

/** How a node is named in messages: `Conv node "name"` (or its first output when unnamed). */
export function describeNode(node: NodeProto): string {
  return `${node.opType} node "${node.name || node.output?.[0] || '?'}"`;
}
