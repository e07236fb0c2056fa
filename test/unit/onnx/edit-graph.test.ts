import { describe, expect, it } from 'vitest';
import { expectDreamLayerError } from '../../helpers/expect-error.ts';
import { ort } from '../../../daemon/src/runtime/ort.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { freeInputSpatialDims, listLayers, pruneUnused, setOutputs, topoSort, truncateAt } from '../../../daemon/src/onnx/edit-graph.ts';
import { encodeModel, modelSignature, readModelFile, type ModelProto } from '../../../daemon/src/onnx/proto.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { sharedModel } from '../../helpers/shared-path.ts';

const W1 = [0.5, -1, 2, 1, 0.25, -0.5]; // [2,3,1,1]
const W2 = [1, -2, 0.5, 0.5]; // [2,2,1,1]

/** input [1,3,4,5] → 1×1 Conv → Relu → 1×1 Conv → Relu, plus an unused initializer. Fixed sizes, value_info with fixed shapes. */
function chain(): ModelProto {
  const g = new GraphBuilder('chain', { opset: 13 });
  const x = g.input('input', 'float32', [1, 3, 4, 5]);
  const a = g.node('Conv', [x, g.initializer('w1', W1, [2, 3, 1, 1])], {}, { outputs: ['a'] });
  const r1 = g.node('Relu', [a], {}, { outputs: ['r1'] });
  const b = g.node('Conv', [r1, g.initializer('w2', W2, [2, 2, 1, 1])], {}, { outputs: ['b'] });
  const r2 = g.node('Relu', [b], {}, { outputs: ['r2'] });
  g.initializer('unused', [1, 2, 3], [3]);
  g.valueInfo('a', 'float32', [1, 2, 4, 5]);
  g.valueInfo('r1', 'float32', [1, 2, 4, 5]);
  g.valueInfo('b', 'float32', [1, 2, 4, 5]);
  g.output(r2, 'r2', 'float32', [1, 2, 4, 5]);
  return g.build();
}

function relu1x1(x: Float32Array, w: number[], cin: number, cout: number, hw: number): Float64Array {
  const y = new Float64Array(cout * hw);
  for (let o = 0; o < cout; o++) for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let c = 0; c < cin; c++) s += w[o * cin + c]! * x[c * hw + p]!;
    y[o * hw + p] = Math.max(0, s);
  }
  return y;
}

const input = (c: number, h: number, w: number) => Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i * 1.3) * 2);

async function run(model: ModelProto, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  return s.run(feeds);
}

/** The MODEL_CONTRACT error `fn` throws. */
const contractError = (fn: () => unknown) => expectDreamLayerError(fn, 'MODEL_CONTRACT');

describe('truncateAt / setOutputs / pruneUnused', () => {
  it('makes an inner tensor the output and drops the nodes and initializers it does not need', async () => {
    const m = chain();
    const t = truncateAt(m, ['r1']);
    expect(t.graph!.node!.map((n) => n.opType)).toEqual(['Conv', 'Relu']);
    expect(t.graph!.initializer!.map((i) => i.name)).toEqual(['w1']);
    expect(modelSignature(t).outputs).toEqual([{ name: 'r1', type: 'float32', shape: [1, 2, 4, 5] }]);
    const x = input(3, 4, 5);
    const out = (await run(t, { input: new ort.Tensor('float32', x, [1, 3, 4, 5]) })).r1!;
    const ref = relu1x1(x, W1, 3, 2, 20);
    (out.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-5));
    // the source model is untouched
    expect(m.graph!.node!.length).toBe(4);
    expect(m.graph!.output!.map((o) => o.name)).toEqual(['r2']);
  });

  it('setOutputs keeps all nodes; several outputs can be asked for', async () => {
    const m = setOutputs(chain(), ['a', 'r2']);
    expect(m.graph!.node!.length).toBe(4);
    const r = await run(pruneUnused(m), { input: new ort.Tensor('float32', input(3, 4, 5), [1, 3, 4, 5]) });
    expect(Object.keys(r).sort()).toEqual(['a', 'r2']);
  });

  it('refuses a tensor name the model does not have', () => {
    const e = contractError(() => truncateAt(chain(), ['nope']));
    expect(e.message).toContain('"nope"');
  });
});

describe('freeInputSpatialDims', () => {
  it('frees H/W of input, outputs and value_info so ORT runs other sizes', async () => {
    const fixed = chain();
    await expect(run(fixed, { input: new ort.Tensor('float32', input(3, 7, 9), [1, 3, 7, 9]) })).rejects.toThrow();
    const free = freeInputSpatialDims(fixed);
    expect(modelSignature(free)).toEqual({
      inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 'H', 'W'] }],
      outputs: [{ name: 'r2', type: 'float32', shape: [1, 2, 'H', 'W'] }],
    });
    const x = input(3, 7, 9);
    const out = (await run(free, { input: new ort.Tensor('float32', x, [1, 3, 7, 9]) })).r2!;
    expect(out.dims).toEqual([1, 2, 7, 9]);
    const ref = relu1x1(Float32Array.from(relu1x1(x, W1, 3, 2, 63)), W2, 2, 2, 63);
    (out.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-4));
  });

  it('names outputs of another size OH/OW', () => {
    const g = new GraphBuilder('down', { opset: 13 });
    const x = g.input('img', 'float32', [1, 3, 8, 8]);
    g.output(g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }), 'y', 'float32', [1, 3, 4, 4]);
    expect(modelSignature(freeInputSpatialDims(g.build())).outputs[0]!.shape).toEqual([1, 3, 'y_H', 'y_W']);
  });

  it('refuses a Reshape to a fixed spatial shape, naming the node', () => {
    const g = new GraphBuilder('reshape', { opset: 13 });
    const x = g.input('input', 'float32', [1, 4, 6, 8]);
    const r = g.node('Reshape', [x, g.int64s([1, 2, 2, 6, 8])], {}, { name: 'shuffle/reshape' });
    g.output(r, 'y');
    const e = contractError(() => freeInputSpatialDims(g.build()));
    expect(e.message).toContain('Reshape node "shuffle/reshape"');
  });

  it('accepts a Reshape after global pooling and a Reshape that keeps -1/0', async () => {
    const g = new GraphBuilder('ok', { opset: 13 });
    const x = g.input('input', 'float32', [1, 4, 6, 8]);
    const p = g.node('GlobalAveragePool', [x]);
    const flat = g.node('Reshape', [p, g.int64s([1, 4])]);
    const keep = g.node('Reshape', [x, g.int64s([0, 0, -1])]);
    g.output(flat, 'pooled', 'float32', [1, 4]);
    g.output(keep, 'flat', 'float32', [1, 4, 48]);
    const free = freeInputSpatialDims(g.build());
    const r = await run(free, { input: new ort.Tensor('float32', input(4, 3, 5), [1, 4, 3, 5]) });
    expect(r.pooled!.dims).toEqual([1, 4]);
    expect(r.flat!.dims).toEqual([1, 4, 15]);
  });

  it('refuses arithmetic with a constant of fixed spatial size, and a model with two inputs without inputName', () => {
    const g = new GraphBuilder('pos', { opset: 13 });
    const x = g.input('input', 'float32', [1, 2, 3, 3]);
    g.output(g.node('Add', [x, g.constant(new Array(18).fill(1), [1, 2, 3, 3])], {}, { name: 'posenc' }), 'y');
    expect(contractError(() => freeInputSpatialDims(g.build())).message).toContain('Add node "posenc"');
    const g2 = new GraphBuilder('two', { opset: 13 });
    const a = g2.input('a', 'float32', [1, 1, 2, 2]);
    const b = g2.input('b', 'float32', [1, 1, 2, 2]);
    g2.output(g2.node('Add', [a, b]), 'y');
    expect(contractError(() => freeInputSpatialDims(g2.build())).message).toContain('2 inputs');
    expect(modelSignature(freeInputSpatialDims(g2.build(), { inputName: 'b' })).inputs[1]!.shape).toEqual([1, 1, 'H', 'W']);
  });

  it('frees the real MobileNetV2 cut at an inner layer (96×96 runs)', async () => {
    const m = readModelFile(sharedModel('classifier/mobilenet-v2-1.0_224.onnx'));
    const cut = freeInputSpatialDims(truncateAt(m, ['t90']));
    expect(cut.graph!.node!.length).toBeLessThan(m.graph!.node!.length);
    const r = await run(cut, { input: new ort.Tensor('float32', new Float32Array(3 * 96 * 96).fill(0.1), [1, 3, 96, 96]) });
    expect(r.t90!.dims).toEqual([1, 192, 12, 12]);
  });
});

describe('topoSort and listLayers', () => {
  it('topoSort restores producer-before-consumer order', async () => {
    const m = chain();
    m.graph!.node = [...m.graph!.node!].reverse();
    const sorted = topoSort(m);
    expect(sorted.graph!.node!.map((n) => n.output![0])).toEqual(['a', 'r1', 'b', 'r2']);
    await run(sorted, { input: new ort.Tensor('float32', input(3, 4, 5), [1, 3, 4, 5]) });
  });

  it('lists the layers with op, depth and channels (Conv weights, Concat sums, ops that keep channels)', () => {
    const g = new GraphBuilder('layers', { opset: 13 });
    const x = g.input('input', 'float32', [1, 3, 'H', 'W']);
    const c1 = g.node('Conv', [x, g.initializer('w', new Float32Array(5 * 3), [5, 3, 1, 1])], {}, { name: 'conv1' });
    const r = g.node('Relu', [c1]);
    const c2 = g.node('Conv', [r, g.initializer('w2', new Float32Array(7 * 5), [7, 5, 1, 1])]);
    const cat = g.node('Concat', [r, c2], { axis: 1 });
    const p = g.node('MaxPool', [cat], { kernel_shape: [2, 2] });
    g.node('Shape', [g.constant([1])]); // constant-only node: not a layer
    g.output(p, 'y');
    const layers = listLayers(g.build());
    expect(layers.map((l) => [l.op, l.channels, l.depth])).toEqual([['Conv', 5, 0], ['Relu', 5, 1], ['Conv', 7, 2], ['Concat', 12, 3], ['MaxPool', 12, 4]]);
    expect(layers[0]!.nodeName).toBe('conv1');
    expect(layers[0]!.name).toBe(c1);
  });

  it('lists MobileNetV2 layers with channel counts from the weights', () => {
    const layers = listLayers(readModelFile(sharedModel('classifier/mobilenet-v2-1.0_224.onnx')));
    const byName = Object.fromEntries(layers.map((l) => [l.name, l]));
    expect(byName.t56!.channels).toBe(32);
    expect(byName.t90!.op).toBe('Clip');
    expect(byName.t90!.channels).toBe(192);
    expect(byName.t168!.channels).toBe(1280);
    expect(layers.map((l) => l.depth)).toEqual(layers.map((_, i) => i));
  });
});
