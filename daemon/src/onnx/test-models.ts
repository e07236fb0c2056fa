/**
 * Small ONNX networks with deterministic pseudo-random weights, shaped like the
 * real models in ../shared/models and honouring the same tensor contracts, so
 * that effects and tools can be tested without downloads. Same seed, same
 * bytes.
 */
import { GraphBuilder } from './graph-builder.ts';
import type { ModelProto } from './proto.ts';

/** mulberry32: a tiny, fast, seeded PRNG returning floats in [0, 1) (one implementation, in core/). */
export { seededRandom as mulberry32 } from '../core/seeded-random.ts';
import { seededRandom as mulberry32 } from '../core/seeded-random.ts';

/** Standard normal samples from a uniform PRNG (Box–Muller). */
export function gaussian(rng: () => number): () => number {
  return () => {
    const u = Math.max(rng(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
}

/** Weights of a seeded network: He-scaled convolution kernels and small biases. */
export class SeededWeights {
  readonly normal: () => number;
  constructor(readonly g: GraphBuilder, seed: number) {
    this.normal = gaussian(mulberry32(seed));
  }

  /** `count` normal samples times `std`. */
  array(count: number, std: number, mean = 0): Float32Array {
    return Float32Array.from({ length: count }, () => mean + std * this.normal());
  }

  /** A Conv weight [cout, cin/group, k, k] with He scaling times `gain`, and a bias (std `biasStd`). */
  conv(name: string, cout: number, cinPerGroup: number, k: number, gain = 1, biasStd = 0.05): [string, string] {
    const std = gain * Math.sqrt(2 / (cinPerGroup * k * k));
    const w = this.g.initializer(`${name}.weight`, this.array(cout * cinPerGroup * k * k, std), [cout, cinPerGroup, k, k]);
    const b = this.g.initializer(`${name}.bias`, this.array(cout, biasStd), [cout]);
    return [w, b];
  }
}

export interface TinyStyleNetOptions {
  seed?: number;
  /** Channels of the first layer (the real TransformerNet has 32). */
  channels?: number;
  /** Residual blocks (the real one has 5). */
  residualBlocks?: number;
}

/**
 * A TransformerNet-shaped style network (Johnson et al.): reflection Pad + Conv 9×9 +
 * InstanceNormalization + Relu, strided 3×3 convs down ×4, residual blocks, nearest
 * Resize ×2 twice back up, Conv 9×9 out. Contract of ../shared/models/style/*.onnx:
 * input `input1` [1,3,H,W] RGB px 0–255 (H, W multiples of 4), output `output1`
 * [1,3,H,W] px (roughly centred on 128; clamp to 0–255).
 */
export function buildTinyStyleNet(opts: TinyStyleNetOptions = {}): ModelProto {
  const c = opts.channels ?? 8;
  const g = new GraphBuilder('tiny_style_net', { opset: 17 });
  const rnd = new SeededWeights(g, opts.seed ?? 1);
  let layer = 0;
  const convLayer = (x: string, cin: number, cout: number, k: number, stride = 1, gain = 1): string => {
    const name = `l${++layer}`;
    const p = Math.floor(k / 2);
    const padded = g.node('Pad', [x, g.int64s([0, 0, p, p, 0, 0, p, p], `${name}.pads`)], { mode: 'reflect' });
    const [w, b] = rnd.conv(name, cout, cin, k, gain);
    return g.node('Conv', [padded, w, b], { kernel_shape: [k, k], strides: [stride, stride] }, { name: `${name}.conv` });
  };
  const norm = (x: string, ch: number, relu: boolean): string => {
    const name = `l${layer}.in`;
    const gamma = g.initializer(`${name}.scale`, rnd.array(ch, 0.1, 1), [ch]);
    const beta = g.initializer(`${name}.bias`, rnd.array(ch, 0.1), [ch]);
    const y = g.node('InstanceNormalization', [x, gamma, beta], { epsilon: 1e-5 }, { name });
    return relu ? g.node('Relu', [y]) : y;
  };
  const x = g.input('input1', 'float32', [1, 3, 'H', 'W']);
  let h = norm(convLayer(x, 3, c, 9), c, true);
  h = norm(convLayer(h, c, 2 * c, 3, 2), 2 * c, true);
  h = norm(convLayer(h, 2 * c, 4 * c, 3, 2), 4 * c, true);
  for (let r = 0; r < (opts.residualBlocks ?? 1); r++) {
    const inner = norm(convLayer(h, 4 * c, 4 * c, 3), 4 * c, true);
    h = g.node('Add', [norm(convLayer(inner, 4 * c, 4 * c, 3), 4 * c, false), h]);
  }
  const up = (t: string) =>
    g.node('Resize', [t, '', g.constant([1, 1, 2, 2], [4], 'scales')], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  h = norm(convLayer(up(h), 4 * c, 2 * c, 3), 2 * c, true);
  h = norm(convLayer(up(h), 2 * c, c, 3), c, true);
  // Post-Relu instance-normed activations have E[x²] ≈ 0.5: this gain gives an output std of ≈ 60 px around 128.
  const name = `l${++layer}`;
  const padded = g.node('Pad', [h, g.int64s([0, 0, 4, 4, 0, 0, 4, 4], `${name}.pads`)], { mode: 'reflect' });
  const w = g.initializer(`${name}.weight`, rnd.array(3 * c * 81, 60 / Math.sqrt(81 * c * 0.5)), [3, c, 9, 9]);
  const b = g.initializer(`${name}.bias`, Float32Array.of(128, 128, 128), [3]);
  g.output(g.node('Conv', [padded, w, b], { kernel_shape: [9, 9] }), 'output1', 'float32', [1, 3, 'H', 'W']);
  return g.build();
}

export interface TinyDepthNetOptions {
  seed?: number;
  channels?: number;
}

/**
 * A small encoder–decoder with the contract of ../shared/models/depth
 * (TCMonoDepth): input `input` [1,3,192,320] RGB px 0–255 (the graph divides by
 * 255), output `output` [1,1,192,320] relative inverse depth in (0, 1.3).
 */
export function buildTinyDepthNet(opts: TinyDepthNetOptions = {}): ModelProto {
  const c = opts.channels ?? 8;
  const g = new GraphBuilder('tiny_depth_net', { opset: 17 });
  const rnd = new SeededWeights(g, opts.seed ?? 2);
  const conv = (x: string, name: string, cin: number, cout: number, stride: number, relu = true) => {
    const [w, b] = rnd.conv(name, cout, cin, 3);
    const y = g.node('Conv', [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] }, { name });
    return relu ? g.node('Relu', [y]) : y;
  };
  const x = g.input('input', 'float32', [1, 3, 192, 320]);
  const unit = g.node('Div', [x, g.scalar(255)]);
  const e1 = conv(unit, 'enc1', 3, c, 2);
  const e2 = conv(e1, 'enc2', c, 2 * c, 2);
  const m = conv(e2, 'mid', 2 * c, 2 * c, 1);
  const up = g.node('Resize', [m, '', g.constant([1, 1, 4, 4], [4], 'scales')], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  const logits = conv(up, 'head', 2 * c, 1, 1, false);
  const y = g.node('Mul', [g.node('Sigmoid', [logits]), g.scalar(1.3)]);
  g.output(y, 'output', 'float32', [1, 1, 192, 320]);
  return g.build();
}

export interface TinySuperResOptions {
  seed?: number;
  /** Upscale factor (2 or 4 like the real models). */
  scale?: number;
  channels?: number;
}

/**
 * A Real-ESRGAN-compact-shaped upscaler: Conv + Relu, Conv to 3·s² channels,
 * DepthToSpace, plus the nearest-upscaled input (so the output is close to a
 * nearest upscale with a small learned residual). Contract of
 * ../shared/models/superres/realesr-*: input `input` [1,3,H,W] RGB 0–1, any size;
 * output `output` [1,3,s·H,s·W] (clamp to 0–1).
 */
export function buildTinySuperRes(opts: TinySuperResOptions = {}): ModelProto {
  const s = opts.scale ?? 2;
  const c = opts.channels ?? 8;
  const g = new GraphBuilder(`tiny_superres_x${s}`, { opset: 17 });
  const rnd = new SeededWeights(g, opts.seed ?? 3);
  const x = g.input('input', 'float32', [1, 3, 'H', 'W']);
  const [w1, b1] = rnd.conv('body', c, 3, 3);
  const h = g.node('Relu', [g.node('Conv', [x, w1, b1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
  const [w2, b2] = rnd.conv('tail', 3 * s * s, c, 3, 0.05, 0.01);
  const r = g.node('Conv', [h, w2, b2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const detail = g.node('DepthToSpace', [r], { blocksize: s, mode: 'CRD' });
  const base = g.node('Resize', [x, '', g.constant([1, 1, s, s], [4], 'scales')], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  g.output(g.node('Add', [base, detail]), 'output', 'float32', [1, 3, 'OH', 'OW']);
  return g.build();
}

export interface TinyGoogLeNetOptions {
  seed?: number;
  /** Channel multiplier (1 gives conv1 8 channels; BVLC GoogLeNet is 8×). */
  width?: number;
}

/**
 * A GoogLeNet-shaped classifier trunk (the classic DeepDream network) with
 * pseudo-random weights: conv1 7×7/2 + Relu, MaxPool 3×3/2 (asymmetric pads as in
 * the ONNX Model Zoo export), LRN, conv2 1×1 reduce + 3×3, LRN, MaxPool, two
 * inception blocks (1×1 | 1×1→3×3 | 1×1→5×5 | MaxPool 3×3/1→1×1, Concat), and
 * an AveragePool. Input `data_0` [1,3,H,W] (any size ≥ 32); tensors are named as
 * in BVLC GoogLeNet (`conv2/norm2`, `inception_3a/output`, `inception_3b/output`, `pool5`).
 */
export function buildTinyGoogLeNet(opts: TinyGoogLeNetOptions = {}): ModelProto {
  const k = opts.width ?? 1;
  const g = new GraphBuilder('tiny_googlenet', { opset: 12 });
  const rnd = new SeededWeights(g, opts.seed ?? 4);
  const channels = new Map<string, number>();
  const convRelu = (x: string, name: string, relu: string, cout: number, size: number, stride = 1) => {
    const [w, b] = rnd.conv(name, cout, channels.get(x)!, size);
    const p = Math.floor(size / 2);
    const y = g.node('Conv', [x, w, b], { kernel_shape: [size, size], strides: [stride, stride], pads: [p, p, p, p] }, { name, outputs: [name] });
    const r = g.node('Relu', [y], {}, { name: relu, outputs: [relu] });
    channels.set(r, cout);
    return r;
  };
  const lrn = (x: string, name: string) => {
    const y = g.node('LRN', [x], { size: 5, alpha: 1e-4, beta: 0.75, bias: 1 }, { name, outputs: [name] });
    channels.set(y, channels.get(x)!);
    return y;
  };
  const maxPool = (x: string, name: string, pads: number[]) => {
    const y = g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads }, { name, outputs: [name] });
    channels.set(y, channels.get(x)!);
    return y;
  };
  const inception = (x: string, name: string, c1: number, c3r: number, c3: number, c5r: number, c5: number, cp: number) => {
    const b1 = convRelu(x, `${name}/1x1`, `${name}/relu_1x1`, c1 * k, 1);
    const b3 = convRelu(convRelu(x, `${name}/3x3_reduce`, `${name}/relu_3x3_reduce`, c3r * k, 1), `${name}/3x3`, `${name}/relu_3x3`, c3 * k, 3);
    const b5 = convRelu(convRelu(x, `${name}/5x5_reduce`, `${name}/relu_5x5_reduce`, c5r * k, 1), `${name}/5x5`, `${name}/relu_5x5`, c5 * k, 5);
    const pool = g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, { name: `${name}/pool`, outputs: [`${name}/pool`] });
    channels.set(pool, channels.get(x)!);
    const bp = convRelu(pool, `${name}/pool_proj`, `${name}/relu_pool_proj`, cp * k, 1);
    const out = g.node('Concat', [b1, b3, b5, bp], { axis: 1 }, { name: `${name}/output`, outputs: [`${name}/output`] });
    channels.set(out, (c1 + c3 + c5 + cp) * k);
    return out;
  };
  const x = g.input('data_0', 'float32', [1, 3, 'H', 'W']);
  channels.set(x, 3);
  let h = convRelu(x, 'conv1/7x7_s2', 'conv1/relu_7x7', 8 * k, 7, 2);
  h = lrn(maxPool(h, 'pool1/3x3_s2', [0, 0, 1, 1]), 'pool1/norm1');
  h = convRelu(h, 'conv2/3x3_reduce', 'conv2/relu_3x3_reduce', 8 * k, 1);
  h = lrn(convRelu(h, 'conv2/3x3', 'conv2/relu_3x3', 24 * k, 3), 'conv2/norm2');
  h = maxPool(h, 'pool2/3x3_s2', [0, 0, 1, 1]);
  h = inception(h, 'inception_3a', 8, 12, 16, 2, 4, 4);
  h = inception(h, 'inception_3b', 16, 16, 24, 4, 12, 8);
  const pooled = g.node('AveragePool', [h], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 }, { name: 'pool5', outputs: ['pool5'] });
  g.output(pooled, 'pool5');
  return g.build();
}
