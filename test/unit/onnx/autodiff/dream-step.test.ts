/**
 * The dream-step model on whole networks: the real MobileNetV2 (cut at inner
 * layers, free input size) and the GoogLeNet-shaped test network, the guided
 * objective, max-pooling ties, the refusals, and the shape of the graph.
 *
 * Finite differences run on onnxruntime's float32 forward, step 2e-3 with
 * Richardson extrapolation (quotients at 2e-3 and 1e-3), along three directions
 * that point along the computed gradient by 100 %, 70 % and 50 % (the rest random);
 * grad-check.ts explains why piecewise-linear networks need this. Tolerance 2e-2
 * relative on the directional derivatives; measured ≤ 9e-3.
 */
const NETWORK_CHECK = { reference: 'ort', step: 2e-3, richardson: true, directions: 3, alignment: [1, 0.7, 0.5] } as const;
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectDreamLayerError } from '../../../helpers/expect-error.ts';
import { ort } from '../../../../daemon/src/runtime/ort.ts';
import { buildDreamStepModel, guideInputName } from '../../../../daemon/src/onnx/autodiff/build-dream-step.ts';
import { modelOpset } from '../../../../daemon/src/onnx/autodiff/opset-upgrade.ts';
import { freeInputSpatialDims, truncateAt } from '../../../../daemon/src/onnx/edit-graph.ts';
import { GraphBuilder } from '../../../../daemon/src/onnx/graph-builder.ts';
import { modelSignature, readModelFile, type ModelProto } from '../../../../daemon/src/onnx/proto.ts';
import { buildTinyGoogLeNet, buildTinyStyleNet, gaussian, mulberry32 } from '../../../../daemon/src/onnx/test-models.ts';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { sharedData, sharedModel } from '../../../helpers/shared-path.ts';
import { checkGradient, session } from './grad-check.ts';

const TOL = 2e-2;

const report = (label: string, r: { relErrors: number[]; objectiveRelErr: number }) => {
  if (process.env.DREAMLAYER_GRAD_REPORT) console.log(`[grad] ${label}: ${r.relErrors.map((e) => e.toExponential(1)).join(' ')} objective ${r.objectiveRelErr.toExponential(1)}`);
};

let mobilenetCache: ModelProto | undefined;
const mobilenet = () => (mobilenetCache ??= readModelFile(sharedModel('classifier/mobilenet-v2-1.0_224.onnx')));

/** chelsea.png resized to w×h, as MobileNetV2 wants it: RGB planes, (px − 128)/128. */
async function photo(w: number, h: number): Promise<Float32Array> {
  const { data } = await sharp(sharedData('images/content/chelsea.png')).removeAlpha().resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const x = new Float32Array(3 * w * h);
  for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) x[c * w * h + p] = (data[p * 3 + c]! - 128) / 128;
  return x;
}

/** The MODEL_CONTRACT error `fn` throws. */
const contractError = (fn: () => unknown) => expectDreamLayerError(fn, 'MODEL_CONTRACT');

describe('dream step on the real MobileNetV2', () => {
  it('has the image input with free size and the objective and gradient outputs', () => {
    const dream = buildDreamStepModel(mobilenet(), { layers: [{ name: 't90' }] });
    expect(modelSignature(dream)).toEqual({
      inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 'H', 'W'] }],
      outputs: [{ name: 'objective', type: 'float32', shape: [] }, { name: 'gradient', type: 'float32', shape: [1, 3, 'H', 'W'] }],
    });
  });

  it('gradient at 96×96 agrees with finite differences (one inner layer, on a photo)', async () => {
    const x = await photo(96, 96);
    const r = await checkGradient(mobilenet(), { ...NETWORK_CHECK, alignment: [...NETWORK_CHECK.alignment], layers: [{ name: 't90' }], dims: [1, 3, 96, 96], x });
    report('MobileNetV2 t90 96×96', r);
    expect(r.objectiveRelErr).toBeLessThan(1e-5);
    expect(r.maxRelErr).toBeLessThan(TOL);
  });

  it('gradient at 96×80 with two weighted layers (a residual Add and a deeper ReLU6) agrees with finite differences', async () => {
    const x = await photo(80, 96);
    const r = await checkGradient(mobilenet(), { ...NETWORK_CHECK, alignment: [...NETWORK_CHECK.alignment], layers: [{ name: 't73_c', weight: 2 }, { name: 't113', weight: 0.5 }], dims: [1, 3, 96, 80], x });
    report('MobileNetV2 t73_c×2 + t113×0.5 96×80', r);
    expect(r.objectiveRelErr).toBeLessThan(1e-5);
    expect(r.maxRelErr).toBeLessThan(TOL);
  });

  it('is lean: every forward node once, one adjoint per Conv, activations reused (no recomputation)', () => {
    const forward = freeInputSpatialDims(truncateAt(mobilenet(), ['t142']));
    const dream = buildDreamStepModel(mobilenet(), { layers: [{ name: 't142' }] });
    const fwdOutputs = forward.graph!.node!.map((n) => n.output![0]!);
    const dreamOutputs = new Map<string, number>();
    for (const n of dream.graph!.node!) for (const o of n.output ?? []) dreamOutputs.set(o, (dreamOutputs.get(o) ?? 0) + 1);
    for (const o of fwdOutputs) expect(dreamOutputs.get(o)).toBe(1);
    // One adjoint per forward Conv: a Conv at stride 1; at stride s, one phase Conv per output phase (s², each
    // a quarter of the work) for grouped/depthwise weights, one stacked Conv for group 1. No ConvTranspose.
    const fwdConvs = forward.graph!.node!.filter((n) => n.opType === 'Conv');
    const attrOf = (n: (typeof fwdConvs)[number], name: string) => n.attribute?.find((a) => a.name === name);
    const adjoints = fwdConvs.reduce((sum, n) => {
      const s = Number(attrOf(n, 'strides')?.ints?.[0] ?? 1);
      const group = Number(attrOf(n, 'group')?.i ?? 1);
      return sum + (s > 1 && group > 1 ? s * s : 1);
    }, 0);
    const count = (ops: string[]) => dream.graph!.node!.filter((n) => ops.includes(n.opType!)).length;
    expect(count(['ConvTranspose'])).toBe(0);
    expect(count(['Conv'])).toBe(fwdConvs.length + adjoints);
    // Activation masks read the forward outputs (Clip results), never a recomputed tensor.
    const clips = new Set(forward.graph!.node!.filter((n) => n.opType === 'Clip').map((n) => n.output![0]!));
    const readers = dream.graph!.node!.filter((n) => n.name?.startsWith('grad/') && n.input!.some((i) => clips.has(i)));
    expect(readers.length).toBeGreaterThanOrEqual(clips.size);
  });

  it('refuses a layer behind Softmax, naming the operator and the node', () => {
    const e = contractError(() => buildDreamStepModel(mobilenet(), { layers: [{ name: 'output' }] }));
    expect(e.message).toMatch(/Softmax node/);
    expect(e.hint).toMatch(/Differentiable operators: .*Conv/);
  });
});

describe('dream step on the GoogLeNet-shaped network (Conv, Relu, MaxPool, LRN, Concat, AveragePool)', () => {
  const net = buildTinyGoogLeNet({ seed: 9 });

  it('raises the opset to 16 for the max-pooling gradient and keeps the free size', () => {
    const dream = buildDreamStepModel(net, { layers: [{ name: 'inception_3a/output' }] });
    expect(modelOpset(net)).toBe(12);
    expect(modelOpset(dream)).toBe(16);
    expect(modelSignature(dream).inputs[0]).toEqual({ name: 'data_0', type: 'float32', shape: [1, 3, 'H', 'W'] });
  });

  for (const [label, layers, dims] of [
    ['inception_3b/output', [{ name: 'inception_3b/output' }], [1, 3, 48, 64]],
    ['conv2/norm2 + inception_3a/output + pool5 (AveragePool)', [{ name: 'conv2/norm2', weight: 0.3 }, { name: 'inception_3a/output' }, { name: 'pool5', weight: 2 }], [1, 3, 45, 61]],
  ] as const) {
    it(`gradient agrees with finite differences: ${label} at ${dims[2]}×${dims[3]}`, async () => {
      const r = await checkGradient(net, { ...NETWORK_CHECK, alignment: [...NETWORK_CHECK.alignment], layers: [...layers], dims: [...dims], seed: 3 });
      report(`GoogLeNet ${label}`, r);
      expect(r.objectiveRelErr).toBeLessThan(1e-5);
      expect(r.maxRelErr).toBeLessThan(TOL);
    });
  }

  it('guided objective (best-matching guide features) agrees with finite differences', async () => {
    const layers = [{ name: 'inception_3a/output' }, { name: 'conv2/norm2', weight: 0.5 }];
    // Guide activations: the cut network run on another image of another size.
    const forward = freeInputSpatialDims(truncateAt(net, layers.map((l) => l.name)));
    const normal = gaussian(mulberry32(77));
    const guideImage = Float32Array.from({ length: 3 * 40 * 36 }, () => normal());
    const g = await (await session(forward)).run({ data_0: new ort.Tensor('float32', guideImage, [1, 3, 40, 36]) });
    const guides = layers.map((l) => ({ data: g[l.name]!.data as Float32Array, dims: [...g[l.name]!.dims] }));
    const r = await checkGradient(net, { ...NETWORK_CHECK, alignment: [...NETWORK_CHECK.alignment], layers, dims: [1, 3, 48, 56], guides });
    report('GoogLeNet guided', r);
    expect(modelSignature(r.dream).inputs.map((i) => i.name)).toEqual(['data_0', guideInputName(0), guideInputName(1)]);
    expect(r.objectiveRelErr).toBeLessThan(1e-5);
    expect(r.maxRelErr).toBeLessThan(TOL);
  });

  it('is lean: one adjoint per Conv, plus two channel-window Convs per LRN', () => {
    const layer = 'inception_3b/output';
    const forward = freeInputSpatialDims(truncateAt(net, [layer]));
    const dream = buildDreamStepModel(net, { layers: [{ name: layer }] });
    const count = (m: ModelProto, ops: string[]) => m.graph!.node!.filter((n) => ops.includes(n.opType!)).length;
    expect(count(dream, ['Conv', 'ConvTranspose'])).toBe(2 * count(forward, ['Conv']) + 2 * count(forward, ['LRN']));
    expect(count(dream, ['MaxPool'])).toBe(count(forward, ['MaxPool']));
    expect(count(dream, ['LRN'])).toBe(count(forward, ['LRN']));
  });
});

describe('max-pooling ties', () => {
  it('routes each output gradient to exactly one input (no double counting among equal values)', async () => {
    const g = new GraphBuilder('ties', { opset: 13 });
    const x = g.input('x', 'float32', [1, 2, 'H', 'W']);
    g.output(g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { outputs: ['y'] }), 'y');
    const model = g.build();
    const dream = buildDreamStepModel(model, { layers: [{ name: 'y' }] });
    // Few distinct values: most windows hold several maxima.
    const rnd = mulberry32(5);
    const H = 9, W = 11;
    const xs = Float32Array.from({ length: 2 * H * W }, () => Math.floor(rnd() * 3));
    const out = await (await session(dream)).run({ x: new ort.Tensor('float32', xs, [1, 2, H, W]) });
    const y = await (await session(freeInputSpatialDims(model))).run({ x: new ort.Tensor('float32', xs, [1, 2, H, W]) });
    const yv = y.y!.data as Float32Array;
    const grad = out.gradient!.data as Float32Array;
    // d mean(y²)/dy = 2y/n; the input gradient must carry exactly that total, on max positions only.
    const seedSum = yv.reduce((s, v) => s + (2 * v) / yv.length, 0);
    const gradSum = grad.reduce((s, v) => s + v, 0);
    expect(Math.abs(gradSum - seedSum)).toBeLessThan(1e-5 * Math.max(1, seedSum));
    // Only window maxima receive gradient, at most one input per output.
    const C = 2, Ho = y.y!.dims[2]!, Wo = y.y!.dims[3]!;
    const isWindowMax = new Uint8Array(xs.length);
    for (let c = 0; c < C; c++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
      const cells: number[] = [];
      for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) {
        const ii = 2 * i + a, jj = 2 * j + b;
        if (ii >= 0 && jj >= 0 && ii < H && jj < W) cells.push((c * H + ii) * W + jj);
      }
      const max = Math.max(...cells.map((k) => xs[k]!));
      for (const k of cells) if (xs[k] === max) isWindowMax[k] = 1;
    }
    let nonzero = 0;
    grad.forEach((v, i) => {
      if (v !== 0) {
        nonzero++;
        expect(isWindowMax[i]).toBe(1);
      }
    });
    expect(nonzero).toBeLessThanOrEqual(yv.length);
    // There were ties (so an equality mask would have given more gradient than the seed carries).
    expect(isWindowMax.reduce((a, v) => a + v, 0)).toBeGreaterThan(yv.length);
  });
});

describe('refusals', () => {
  it('refuses Sigmoid on the path, naming the op and node; the same Sigmoid off the path is fine', () => {
    const g = new GraphBuilder('sig', { opset: 13 });
    const x = g.input('x', 'float32', [1, 2, 'H', 'W']);
    const r = g.node('Relu', [x], {}, { outputs: ['r'] });
    const s = g.node('Sigmoid', [r], {}, { name: 'gate', outputs: ['s'] });
    const gain = g.node('Sigmoid', [g.constant([0.5, -1], [2, 1, 1])], {}, { name: 'constant_gate' }); // no dependence on x
    g.output(g.node('Mul', [s, r], {}, { outputs: ['y'] }), 'y');
    g.output(g.node('Mul', [r, gain], {}, { outputs: ['z'] }), 'z');
    const model = g.build();
    const e = contractError(() => buildDreamStepModel(model, { layers: [{ name: 'y' }] }));
    expect(e.message).toContain('Sigmoid node "gate"');
    expect(e.message).toContain('layer "y"');
    expect(() => buildDreamStepModel(model, { layers: [{ name: 'z' }] })).not.toThrow();
  });

  it('refuses a style network (InstanceNormalization on the path)', () => {
    const e = contractError(() => buildDreamStepModel(buildTinyStyleNet(), { layers: [{ name: 'output1' }] }));
    expect(e.message).toMatch(/InstanceNormalization node/);
  });

  it('refuses Conv weights that depend on the image, a layer that does not, and unknown layer names', () => {
    const g = new GraphBuilder('w', { opset: 13 });
    const x = g.input('x', 'float32', [1, 1, 'H', 'W']);
    const w = g.node('Reshape', [g.node('GlobalAveragePool', [x]), g.int64s([1, 1, 1, 1])]);
    g.output(g.node('Conv', [x, w], {}, { name: 'dynamic_conv', outputs: ['y'] }), 'y');
    g.output(g.node('Relu', [g.constant([1, 2])], {}, { outputs: ['c'] }), 'c');
    const model = g.build();
    expect(contractError(() => buildDreamStepModel(model, { layers: [{ name: 'y' }] })).message).toContain('Conv node "dynamic_conv"');
    expect(contractError(() => buildDreamStepModel(model, { layers: [{ name: 'c' }] })).message).toContain('does not depend on the image');
    expect(contractError(() => buildDreamStepModel(model, { layers: [{ name: 'nope' }] })).message).toContain('"nope"');
    expect(() => buildDreamStepModel(model, { layers: [] })).toThrow(DreamLayerError);
  });
});
