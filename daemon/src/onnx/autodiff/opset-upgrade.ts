/**
 * Raises a model's default-domain opset so that gradient graphs can use newer
 * operators (ScatterElements with reduction needs 16; axes-as-input forms need
 * 13), rewriting the nodes whose signature changed on the way. Only the
 * changes that matter for the networks DeepDream runs are handled; any other
 * node whose meaning changed is refused rather than silently misread.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { onnx, type AttributeProto, type ModelProto, type NodeProto, type TensorProto } from '../proto.ts';
import { makeTensor, toNumber } from '../tensor-data.ts';
import { cloneModel } from '../edit-graph.ts';
import { describeNode, GraphIndex } from '../graph-index.ts';

/** The model's default-domain opset version. */
export function modelOpset(model: ModelProto): number {
  return toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
}

const attrOf = (n: NodeProto, name: string): AttributeProto | undefined => (n.attribute ?? []).find((a) => a.name === name);
const without = (n: NodeProto, ...names: string[]): AttributeProto[] => (n.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));

function refuse(n: NodeProto, why: string): DreamLayerError {
  return new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Cannot raise the model's opset for the gradient graph: ${describeNode(n)} ${why}.`,
    hint: 'Re-export the model with opset 13 or newer.',
  });
}

/**
 * A copy of `model` at opset `target` (no-op when it is already there or above).
 * Rewrites Clip/Pad (< 11: attributes → inputs), Split/Squeeze/Unsqueeze/ReduceSum
 * (< 13: attributes → inputs), Reshape (< 5), Slice (< 10), Dropout (→ Identity),
 * legacy BatchNormalization attributes, and drops `consumed_inputs`. Refuses
 * legacy broadcasting (`broadcast` attribute) and Upsample.
 */
export function upgradeOpset(model: ModelProto, target: number): ModelProto {
  const from = modelOpset(model);
  if (from >= target) return model;
  const m = cloneModel(model);
  const g = m.graph!;
  const idx = new GraphIndex(g);
  const newInits: TensorProto[] = [];
  let counter = 0;
  const constInput = (base: string, values: number[], type: 'int64' | 'float32'): string => {
    let name = `${base}__opset${target}_${counter++}`;
    while (idx.producer.has(name) || idx.initializers.has(name)) name += '_';
    newInits.push(makeTensor(name, values, [values.length], type));
    return name;
  };
  const scalarInput = (base: string, value: number): string => {
    const name = `${base}__opset${target}_${counter++}`;
    newInits.push(makeTensor(name, [value], [], 'float32'));
    return name;
  };
  g.node = (g.node ?? []).map((n0) => {
    if (n0.domain && n0.domain !== 'ai.onnx') return n0;
    let n = n0;
    if (attrOf(n, 'consumed_inputs')) n = onnx.NodeProto.create({ ...n, attribute: without(n, 'consumed_inputs') });
    const op = n.opType ?? '';
    const ins = [...(n.input ?? [])];
    const base = n.name || n.output?.[0] || op;
    if (attrOf(n, 'broadcast') && ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Gemm', 'And', 'Or', 'Xor', 'Equal', 'Greater', 'Less'].includes(op)) {
      const axis = attrOf(n, 'axis');
      if (toNumber(attrOf(n, 'broadcast')!.i) === 1 && axis) throw refuse(n, 'uses legacy axis broadcasting');
      return onnx.NodeProto.create({ ...n, attribute: without(n, 'broadcast', 'axis') });
    }
    switch (op) {
      case 'Clip':
        if (from < 11 && (attrOf(n, 'min') || attrOf(n, 'max'))) {
          const min = attrOf(n, 'min'), max = attrOf(n, 'max');
          return onnx.NodeProto.create({ ...n, input: [ins[0]!, min ? scalarInput(base + '_min', min.f ?? 0) : '', max ? scalarInput(base + '_max', max.f ?? 0) : ''], attribute: without(n, 'min', 'max') });
        }
        return n;
      case 'Pad':
        if (from < 11) {
          const pads = (attrOf(n, 'pads') ?? attrOf(n, 'paddings'))?.ints?.map(toNumber) ?? [];
          const value = attrOf(n, 'value')?.f ?? 0;
          return onnx.NodeProto.create({ ...n, input: [ins[0]!, constInput(base + '_pads', pads, 'int64'), scalarInput(base + '_value', value)], attribute: without(n, 'pads', 'paddings', 'value') });
        }
        return n;
      case 'Split':
        if (from < 13 && attrOf(n, 'split')) {
          return onnx.NodeProto.create({ ...n, input: [ins[0]!, constInput(base + '_split', attrOf(n, 'split')!.ints!.map(toNumber), 'int64')], attribute: without(n, 'split') });
        }
        return n;
      case 'Squeeze': case 'Unsqueeze': case 'ReduceSum':
        if (from < 13 && attrOf(n, 'axes')) {
          return onnx.NodeProto.create({ ...n, input: [ins[0]!, constInput(base + '_axes', attrOf(n, 'axes')!.ints!.map(toNumber), 'int64')], attribute: without(n, 'axes') });
        }
        return n;
      case 'Reshape':
        if (attrOf(n, 'shape')) return onnx.NodeProto.create({ ...n, input: [ins[0]!, constInput(base + '_shape', attrOf(n, 'shape')!.ints!.map(toNumber), 'int64')], attribute: without(n, 'shape') });
        return n;
      case 'Slice':
        if (from < 10) {
          const starts = attrOf(n, 'starts')?.ints?.map(toNumber) ?? [];
          const ends = attrOf(n, 'ends')?.ints?.map(toNumber) ?? [];
          const axes = attrOf(n, 'axes')?.ints?.map(toNumber);
          const inputs = [ins[0]!, constInput(base + '_starts', starts, 'int64'), constInput(base + '_ends', ends, 'int64')];
          if (axes) inputs.push(constInput(base + '_axes', axes, 'int64'));
          return onnx.NodeProto.create({ ...n, input: inputs, attribute: without(n, 'starts', 'ends', 'axes') });
        }
        return n;
      case 'Dropout':
        // Inference: Dropout is the identity. A used mask output cannot be kept.
        if ((n.output ?? []).slice(1).some((o) => o && idx.consumers.has(o))) throw refuse(n, 'has its mask output in use');
        return onnx.NodeProto.create({ opType: 'Identity', name: n.name, input: [ins[0]!], output: [n.output![0]!] });
      case 'BatchNormalization': {
        const spatial = attrOf(n, 'spatial');
        if (spatial && toNumber(spatial.i) === 0) throw refuse(n, 'normalises per activation (spatial=0)');
        if ((n.output ?? []).slice(1).some((o) => o && idx.consumers.has(o))) throw refuse(n, 'has its training outputs in use');
        return onnx.NodeProto.create({ ...n, output: [n.output![0]!], attribute: without(n, 'spatial', 'is_test') });
      }
      case 'Concat':
        if (!attrOf(n, 'axis')) return onnx.NodeProto.create({ ...n, attribute: [...(n.attribute ?? []), onnx.AttributeProto.create({ name: 'axis', type: 2, i: 1 })] });
        return n;
      case 'Upsample':
        throw refuse(n, 'is a deprecated operator');
      case 'Cast':
        if (attrOf(n, 'to')?.s) throw refuse(n, 'names its target type as a string (opset < 6)');
        return n;
      default:
        return n;
    }
  });
  g.initializer = [...(g.initializer ?? []), ...newInits];
  m.opsetImport = [...(m.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'), onnx.OperatorSetIdProto.create({ domain: '', version: target })];
  m.irVersion = Math.max(toNumber(m.irVersion), 8);
  return m;
}
