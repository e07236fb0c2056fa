/**
 * A small fluent API to build ONNX graphs in code (test networks, built-in
 * effects, gradient graphs). Every method returns tensor names, so graphs read
 * like the math:
 *
 * ```ts
 * const g = new GraphBuilder('net', { opset: 17 });
 * const x = g.input('input', 'float32', [1, 3, 'H', 'W']);
 * const w = g.initializer('w', new Float32Array(8 * 3 * 9), [8, 3, 3, 3]);
 * const y = g.node('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
 * g.output(y, 'output', 'float32', [1, 8, 'H', 'W']);
 * const bytes = g.encode();
 * ```
 *
 * Names given by the caller are kept when free and otherwise made unique with a
 * numeric suffix; the returned name is the one in the graph.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { encodeModel, onnx, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.ts';
import { elemTypeCode, makeTensor, toNumber, type ElemType, type TensorData } from './tensor-data.ts';

/** A tensor dimension: a size, a symbolic name, or null (unknown). */
export type Dim = number | string | null;

type AttrKind = 'float' | 'floats' | 'int' | 'ints' | 'string' | 'strings' | 'tensor';

/** An attribute value with an explicit ONNX type (see {@link attr}). */
export class TypedAttr {
  constructor(readonly kind: AttrKind, readonly value: number | number[] | string | string[] | TensorProto) {}
}

/** Explicit attribute types, for values the inference below would type wrongly (e.g. a float that happens to be whole). */
export const attr = {
  float: (v: number) => new TypedAttr('float', v),
  floats: (v: number[]) => new TypedAttr('floats', v),
  int: (v: number) => new TypedAttr('int', v),
  ints: (v: number[]) => new TypedAttr('ints', v),
  string: (v: string) => new TypedAttr('string', v),
  strings: (v: string[]) => new TypedAttr('strings', v),
  tensor: (v: TensorProto) => new TypedAttr('tensor', v),
};

/** Attribute values: numbers and number arrays are typed int(s) when whole, float(s) otherwise (and always for the names in FLOAT_ATTRS). */
export type AttrValue = number | number[] | string | string[] | TensorProto | TypedAttr;

/** Attribute names that are floats in every standard ONNX op that has them. */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'bias', 'epsilon', 'gamma', 'momentum', 'lambd', 'cubic_coeff_a', 'extrapolation_value', 'ratio', 'spatial_scale', 'scales', 'min', 'max']);

function isTensorProto(v: unknown): v is TensorProto {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TypedAttr) && ('dims' in v || 'rawData' in v || 'dataType' in v);
}

/** One ONNX AttributeProto from a JS value. */
export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  let kind: AttrKind;
  let v: TypedAttr['value'];
  if (value instanceof TypedAttr) {
    kind = value.kind;
    v = value.value;
  } else if (typeof value === 'string') {
    kind = 'string';
    v = value;
  } else if (typeof value === 'number') {
    kind = FLOAT_ATTRS.has(name) || !Number.isInteger(value) ? 'float' : 'int';
    v = value;
  } else if (Array.isArray(value) && (value as unknown[]).every((x) => typeof x === 'string')) {
    kind = 'strings';
    v = value as string[];
  } else if (Array.isArray(value)) {
    const nums = value as number[];
    kind = FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x)) ? 'floats' : 'ints';
    v = nums;
  } else if (isTensorProto(value)) {
    kind = 'tensor';
    v = value;
  } else {
    throw new DreamLayerError('INTERNAL', { message: `Attribute ${name}: cannot type value ${String(value)}.` });
  }
  const enc = (s: string) => new TextEncoder().encode(s);
  switch (kind) {
    case 'float': return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v as number });
    case 'floats': return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v as number[] });
    case 'int': return onnx.AttributeProto.create({ name, type: T.INT, i: v as number });
    case 'ints': return onnx.AttributeProto.create({ name, type: T.INTS, ints: v as number[] });
    case 'string': return onnx.AttributeProto.create({ name, type: T.STRING, s: enc(v as string) });
    case 'strings': return onnx.AttributeProto.create({ name, type: T.STRINGS, strings: (v as string[]).map(enc) });
    case 'tensor': return onnx.AttributeProto.create({ name, type: T.TENSOR, t: v as TensorProto });
  }
}

/** A ValueInfoProto for a tensor of `type` and `shape` (shape omitted: rank unknown). */
export function makeValueInfo(name: string, type: ElemType, shape?: Dim[]): ValueInfoProto {
  const tensorType: Record<string, unknown> = { elemType: elemTypeCode(type) };
  if (shape) {
    tensorType.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  }
  return onnx.ValueInfoProto.create({ name, type: { tensorType } as ValueInfoProto['type'] });
}

export interface GraphBuilderOptions {
  /** Default-domain opset (default 17). */
  opset?: number;
  /** IR version written in the model (default: the lowest that this opset needs, at least 8). */
  irVersion?: number;
  producerName?: string;
  docString?: string;
}

export interface NodeOptions {
  /** Node name (made unique); default `<op>_<n>`. */
  name?: string;
  /** Output tensor names (made unique); default derived from the node name. */
  outputs?: string[];
  domain?: string;
}

/** Builds an ONNX ModelProto node by node. */
export class GraphBuilder {
  readonly name: string;
  readonly opset: number;
  private readonly irVersion: number;
  private readonly producerName: string;
  private readonly docString?: string;
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly valueInfos: ValueInfoProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly nodes: NodeProto[] = [];
  private readonly extraOpsets: { domain: string; version: number }[] = [];
  private readonly tensorNames = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(name: string, opts: GraphBuilderOptions = {}) {
    this.name = name;
    this.opset = opts.opset ?? 17;
    this.irVersion = opts.irVersion ?? Math.max(8, this.opset >= 19 ? 9 : 8);
    this.producerName = opts.producerName ?? 'dreamlayer';
    this.docString = opts.docString;
  }

  /**
   * A builder that appends to a copy of an existing model's graph (its nodes,
   * initializers, inputs and outputs). Node and tensor objects are shared, not
   * deep-copied: the builder only adds and never mutates them.
   */
  static fromModel(model: ModelProto, opts: { opset?: number } = {}): GraphBuilder {
    const g = model.graph!;
    const modelOpset = toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
    const b = new GraphBuilder(g.name ?? 'graph', {
      opset: opts.opset ?? modelOpset,
      irVersion: Math.max(toNumber(model.irVersion), 8),
      producerName: model.producerName ?? 'dreamlayer',
      docString: model.docString ?? undefined,
    });
    for (const o of model.opsetImport ?? []) if (o.domain && o.domain !== 'ai.onnx') b.extraOpsets.push({ domain: o.domain, version: toNumber(o.version) });
    b.inputs.push(...(g.input ?? []));
    b.outputs.push(...(g.output ?? []));
    b.valueInfos.push(...(g.valueInfo ?? []));
    b.initializers.push(...(g.initializer ?? []));
    b.nodes.push(...(g.node ?? []));
    for (const v of [...b.inputs, ...b.outputs, ...b.valueInfos]) if (v.name) b.tensorNames.add(v.name);
    for (const t of b.initializers) if (t.name) b.tensorNames.add(t.name);
    for (const n of b.nodes) {
      for (const o of n.output ?? []) if (o) b.tensorNames.add(o);
      if (n.name) b.nodeNames.add(n.name);
    }
    return b;
  }

  /** `base` if no tensor has that name yet, else `base_<n>`; the name is reserved. */
  uniqueName(base: string): string {
    let name = base;
    while (this.tensorNames.has(name) || name === '') name = `${base}_${++this.counter}`;
    this.tensorNames.add(name);
    return name;
  }

  private uniqueNodeName(base: string): string {
    let name = base;
    while (this.nodeNames.has(name)) name = `${base}_${++this.counter}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Whether a tensor of this name exists in the graph. */
  has(name: string): boolean {
    return this.tensorNames.has(name);
  }

  /** Declares a graph input. */
  input(name: string, type: ElemType, shape: Dim[]): string {
    const n = this.uniqueName(name);
    this.inputs.push(makeValueInfo(n, type, shape));
    return n;
  }

  /** Adds an initializer (a weight); its type follows the typed array (number[] → float32 unless `type` says otherwise). */
  initializer(name: string, data: TensorData, dims: number[], type?: ElemType): string {
    const n = this.uniqueName(name);
    this.initializers.push(makeTensor(n, data, dims, type));
    return n;
  }

  /** A float32 constant (auto-named initializer). */
  constant(values: number[] | Float32Array, dims: number[] = [values.length], base = 'const'): string {
    return this.initializer(base, values instanceof Float32Array ? values : Float32Array.from(values), dims, 'float32');
  }

  /** A float32 scalar constant (rank 0). */
  scalar(value: number, base = 'scalar'): string {
    return this.initializer(base, Float32Array.of(value), [], 'float32');
  }

  /** A 1-D int64 constant (shapes, pads, axes, starts…). */
  int64s(values: number[], base = 'ints'): string {
    return this.initializer(base, values, [values.length], 'int64');
  }

  /** Adds a node with one output and returns the output's name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, opts: NodeOptions = {}): string {
    return this.nodeN(op, inputs, 1, attrs, opts)[0]!;
  }

  /** Adds a node with `outputs` outputs (a count, or names) and returns their names. */
  nodeN(op: string, inputs: string[], outputs: number | string[], attrs: Record<string, AttrValue | undefined> = {}, opts: NodeOptions = {}): string[] {
    const nodeName = this.uniqueNodeName(opts.name ?? `${op}_${this.nodes.length}`);
    const wanted = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => opts.outputs?.[i] ?? (outputs === 1 ? nodeName : `${nodeName}:${i}`)) : outputs;
    const outNames = wanted.map((o) => (o === '' ? '' : this.uniqueName(o)));
    const attribute = Object.entries(attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => makeAttribute(k, v));
    this.nodes.push(onnx.NodeProto.create({ opType: op, name: nodeName, input: inputs, output: outNames, attribute, domain: opts.domain ?? '' }));
    return outNames;
  }

  /** Adds an already-made NodeProto (its output names must be new). */
  addNode(node: NodeProto): void {
    for (const o of node.output ?? []) if (o) this.tensorNames.add(o);
    if (node.name) this.nodeNames.add(node.name);
    this.nodes.push(node);
  }

  /**
   * Marks `tensor` as a graph output, named `name` (default: its own name).
   * A node output is renamed in place; a graph input or initializer goes through an Identity.
   */
  output(tensor: string, name: string = tensor, type: ElemType = 'float32', shape?: Dim[]): string {
    let final = tensor;
    if (name !== tensor) {
      const producer = this.nodes.find((n) => (n.output ?? []).includes(tensor));
      const isGraphOutput = this.outputs.some((o) => o.name === tensor);
      if (producer && !isGraphOutput && !this.tensorNames.has(name)) {
        this.tensorNames.add(name);
        // Replace (never mutate) the nodes involved: they may be shared with a source model.
        const rename = (list: string[] | null | undefined) => (list ?? []).map((t) => (t === tensor ? name : t));
        for (let i = 0; i < this.nodes.length; i++) {
          const n = this.nodes[i]!;
          if ((n.output ?? []).includes(tensor) || (n.input ?? []).includes(tensor)) {
            this.nodes[i] = onnx.NodeProto.create({ ...n, input: rename(n.input), output: rename(n.output) });
          }
        }
        for (let i = 0; i < this.valueInfos.length; i++) {
          const v = this.valueInfos[i]!;
          if (v.name === tensor) this.valueInfos[i] = onnx.ValueInfoProto.create({ ...v, name });
        }
        this.tensorNames.delete(tensor);
        final = name;
      } else {
        final = this.node('Identity', [tensor], {}, { outputs: [name] });
      }
    }
    this.outputs.push(makeValueInfo(final, type, shape));
    return final;
  }

  /** Drops all graph outputs (before declaring new ones). */
  clearOutputs(): void {
    this.outputs.length = 0;
  }

  /** Records a shape for an intermediate tensor (optional; ORT infers shapes itself). */
  valueInfo(name: string, type: ElemType, shape?: Dim[]): void {
    this.valueInfos.push(makeValueInfo(name, type, shape));
  }

  /** Declares an extra operator-set domain (e.g. 'com.microsoft'). */
  useDomain(domain: string, version: number): void {
    if (!this.extraOpsets.some((o) => o.domain === domain)) this.extraOpsets.push({ domain, version });
  }

  /** The model built so far. */
  build(): ModelProto {
    return onnx.ModelProto.create({
      irVersion: this.irVersion,
      producerName: this.producerName,
      docString: this.docString,
      opsetImport: [{ domain: '', version: this.opset }, ...this.extraOpsets],
      graph: {
        name: this.name,
        node: [...this.nodes],
        input: [...this.inputs],
        output: [...this.outputs],
        initializer: [...this.initializers],
        valueInfo: [...this.valueInfos],
      },
    });
  }

  /** The model built so far, as ONNX bytes. */
  encode(): Uint8Array {
    return encodeModel(this.build());
  }
}
