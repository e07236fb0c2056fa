/**
 * Built-in style effects that need no download: small ONNX graphs built in
 * code with the same tensor contract as the fast-neural-style models, so the
 * stylize effect runs them like any other style model.
 */
import { GraphBuilder } from './graph-builder.ts';
import type { ModelProto } from './proto.ts';

export interface ToonStyleOptions {
  /** Luminance levels after posterisation (default 6). */
  levels?: number;
  /** Spatial sigma of the smoothing blur, px (default 2). */
  smoothSigma?: number;
  /** Range sigma of the edge-preserving smoothing, in 0–1 colour units (default 0.1). */
  rangeSigma?: number;
  /** Smoothing passes (default 2). */
  smoothIterations?: number;
  /** Sobel magnitude (0–1 luminance units; a step of height h gives 4h) at which edges are half inked (default 0.35). */
  edgeThreshold?: number;
  /** Steepness of the soft edge threshold (default 20). */
  edgeSharpness?: number;
  /** How dark the ink is: 0 none, 1 black (default 0.85). */
  edgeStrength?: number;
}

/** The defaults of {@link buildToonStyle}. */
export const TOON_DEFAULTS: Required<ToonStyleOptions> = {
  levels: 6,
  smoothSigma: 2,
  rangeSigma: 0.1,
  smoothIterations: 2,
  edgeThreshold: 0.35,
  edgeSharpness: 20,
  edgeStrength: 0.85,
};

/** Rec. 601 luma weights. */
export const TOON_LUMA = [0.299, 0.587, 0.114] as const;

/** The normalised 1-D Gaussian of `sigma` with radius ceil(2.5·sigma). */
export function gaussianKernel(sigma: number): number[] {
  const r = Math.max(1, Math.ceil(2.5 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/**
 * A "toon / posterise" look as an ONNX graph with the fast-neural-style contract:
 * input `input1` [1,3,H,W] RGB px 0–255 (H, W free, at least 2·radius+1 = 11 px with the
 * default sigma), output `output1` [1,3,H,W] px 0–255. With u = input/255:
 *
 * 1. edge-preserving smoothing, `smoothIterations` times:
 *    b = Gauss_σs(u) (separable depthwise Conv, reflect borders), d = b − u,
 *    w = exp(−Σ_c d² / (2σr²)), u ← u + w·d  (flat areas take the blur, edges keep their step);
 * 2. luminance posterisation: Y = luma(u), Yq = (floor(levels·Y) + 0.5) / levels, c = u + (Yq − Y)
 *    (every channel shifted by the same amount, so hue and saturation stay);
 * 3. ink: g = |Sobel(Y)| (reflect borders, so the frame edge gets no line),
 *    e = sigmoid(edgeSharpness·(g − edgeThreshold));
 * 4. output = 255 · clip(c · (1 − edgeStrength·e), 0, 1).
 *
 * Ops: Pad(reflect), Conv (depthwise and 1×1), Sub, Add, Mul, Exp, Floor, Sqrt, Sigmoid, Clip — all on ORT's CPU provider.
 */
export function buildToonStyle(options: ToonStyleOptions = {}): ModelProto {
  const o = { ...TOON_DEFAULTS, ...options };
  const g = new GraphBuilder('builtin_toon', { opset: 17, producerName: 'dreamlayer builtin' });
  const x = g.input('input1', 'float32', [1, 3, 'H', 'W']);
  let u = g.node('Mul', [x, g.scalar(1 / 255)], {}, { name: 'to_unit' });

  const k = gaussianKernel(o.smoothSigma);
  const r = (k.length - 1) / 2;
  const kx = g.constant([...k, ...k, ...k], [3, 1, 1, k.length], 'blur_x');
  const ky = g.constant([...k, ...k, ...k], [3, 1, k.length, 1], 'blur_y');
  const blurPads = g.int64s([0, 0, r, r, 0, 0, r, r], 'blur_pads');
  // Σ_c d² scaled by −1/(2σr²) in one 1×1 Conv.
  const rangeW = g.constant(new Array(3).fill(-1 / (2 * o.rangeSigma * o.rangeSigma)), [1, 3, 1, 1], 'range_weight');
  for (let i = 0; i < o.smoothIterations; i++) {
    const p = g.node('Pad', [u, blurPads], { mode: 'reflect' }, { name: `smooth${i}/pad` });
    // Reflect-padding both axes first, then blurring each axis with no padding, equals a separable blur with reflect borders.
    const b = g.node('Conv', [g.node('Conv', [p, kx], { group: 3, kernel_shape: [1, k.length] }), ky], { group: 3, kernel_shape: [k.length, 1] }, { name: `smooth${i}/blur` });
    const d = g.node('Sub', [b, u]);
    const w = g.node('Exp', [g.node('Conv', [g.node('Mul', [d, d]), rangeW], { kernel_shape: [1, 1] })], {}, { name: `smooth${i}/range_weight` });
    u = g.node('Add', [u, g.node('Mul', [d, w])], {}, { name: `smooth${i}/out` });
  }

  const luma = g.node('Conv', [u, g.constant([...TOON_LUMA], [1, 3, 1, 1], 'luma_weight')], { kernel_shape: [1, 1] }, { name: 'luma' });
  const q = g.node('Floor', [g.node('Mul', [luma, g.scalar(o.levels)])], {}, { name: 'posterise/floor' });
  const yq = g.node('Mul', [g.node('Add', [q, g.scalar(0.5)]), g.scalar(1 / o.levels)]);
  const colour = g.node('Add', [u, g.node('Sub', [yq, luma])], {}, { name: 'posterise/out' });

  const sobel = g.constant([-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1], [2, 1, 3, 3], 'sobel');
  const lp = g.node('Pad', [luma, g.int64s([0, 0, 1, 1, 0, 0, 1, 1], 'sobel_pads')], { mode: 'reflect' });
  const grad = g.node('Conv', [lp, sobel], { kernel_shape: [3, 3] }, { name: 'edges/sobel' });
  const mag = g.node('Sqrt', [g.node('Conv', [g.node('Mul', [grad, grad]), g.constant([1, 1], [1, 2, 1, 1], 'sum2')], { kernel_shape: [1, 1] })]);
  const edge = g.node('Sigmoid', [g.node('Mul', [g.node('Sub', [mag, g.scalar(o.edgeThreshold)]), g.scalar(o.edgeSharpness)])], {}, { name: 'edges/soft' });
  const ink = g.node('Sub', [g.scalar(1), g.node('Mul', [edge, g.scalar(o.edgeStrength)])]);

  const out = g.node('Clip', [g.node('Mul', [colour, ink]), g.scalar(0), g.scalar(1)]);
  g.output(g.node('Mul', [out, g.scalar(255)]), 'output1', 'float32', [1, 3, 'H', 'W']);
  return g.build();
}
