/**
 * Every differentiable operator, on a small seeded graph: the dream-step
 * gradient (onnxruntime, float32) against central finite differences along 3
 * random directions.
 *
 * Tolerances (relative error of directional derivatives, see grad-check.ts):
 * - float64 reference (simple ops, step 1e-4): 1e-4. Measured ≤ 3e-6: what is left is
 *   the float32 rounding of the gradient graph.
 * - onnxruntime float32 forward (window ops, step 1e-2): 2e-3. Measured ≤ 4e-4: rounding
 *   of float32 activations over a 1e-2 step (≈1e-5) plus, with max-pooling, rare
 *   switches of the maximum inside ±step.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type AttrValue } from '../../../../daemon/src/onnx/graph-builder.ts';
import { SeededWeights } from '../../../../daemon/src/onnx/test-models.ts';
import type { ModelProto } from '../../../../daemon/src/onnx/proto.ts';
import { checkGradient } from './grad-check.ts';

const TOL = { float64: 1e-4, ort: 2e-3 };

type Build = (g: GraphBuilder, x: string, rnd: SeededWeights) => string;

/** A graph with image input x [1,C,H,W] (free H/W) and `build`'s result as the layer 'y'. */
function net(channels: number, build: Build, opset = 13): ModelProto {
  const g = new GraphBuilder('op', { opset });
  const rnd = new SeededWeights(g, 17);
  const x = g.input('x', 'float32', [1, channels, 'H', 'W']);
  const y = g.node('Identity', [build(g, x, rnd)], {}, { outputs: ['y'] });
  g.output(y, 'y');
  return g.build();
}

interface Case {
  op: string;
  label: string;
  model: () => ModelProto;
  sizes: number[][];
  reference: 'float64' | 'ort';
  scale?: number;
  /** Distinct, well separated input values (max-pooling: no switch of the maximum within ±step). */
  distinct?: boolean;
  /** Ops the dream-step graph must contain (proves the intended backward path was taken). */
  uses?: string[];
  /** Ops it must not contain. */
  avoids?: string[];
}

const conv = (cin: number, cout: number, k: number[], attrs: Record<string, AttrValue>, group = 1): Build => (g, x, rnd) =>
  g.node('Conv', [x, g.initializer('w', rnd.array((cout * cin * k[0]! * k[1]!) / group, 0.5), [cout, cin / group, ...k]), g.initializer('b', rnd.array(cout, 0.1), [cout])], { kernel_shape: k, group, ...attrs });

const ODD_EVEN = [[1, 4, 7, 9], [1, 4, 8, 10]];

const CASES: Case[] = [
  { op: 'Conv', label: '3×3, pads 1 (adjoint as a Conv)', model: () => net(4, conv(4, 6, [3, 3], { pads: [1, 1, 1, 1] })), sizes: ODD_EVEN, reference: 'ort', uses: ['Conv'], avoids: ['ConvTranspose'] },
  { op: 'Conv', label: 'depthwise 3×3, dilation 2, asymmetric pads (adjoint as a Conv)', model: () => net(4, conv(4, 4, [3, 3], { pads: [2, 1, 2, 2], dilations: [2, 2] }, 4)), sizes: ODD_EVEN, reference: 'ort', avoids: ['ConvTranspose'] },
  { op: 'Conv', label: 'grouped (group 2), 3×2 kernel, SAME_LOWER stride 1 (adjoint as a Conv)', model: () => net(4, conv(4, 6, [3, 2], { auto_pad: 'SAME_LOWER' }, 2)), sizes: ODD_EVEN, reference: 'ort', avoids: ['ConvTranspose'] },
  { op: 'Conv', label: '1×1 with pads 1 (pad beyond the kernel span: ConvTranspose)', model: () => net(4, conv(4, 6, [1, 1], { pads: [1, 0, 0, 1] })), sizes: ODD_EVEN, reference: 'ort', uses: ['ConvTranspose'] },
  { op: 'Conv', label: 'stride 2, asymmetric pads (phase Convs, interleaved)', model: () => net(4, conv(4, 6, [3, 3], { pads: [0, 1, 1, 0], strides: [2, 2] })), sizes: ODD_EVEN, reference: 'ort', uses: ['Split', 'Concat', 'Slice'], avoids: ['ConvTranspose'] },
  { op: 'Conv', label: 'depthwise (group = C), stride 2, SAME_UPPER (phase Convs)', model: () => net(4, conv(4, 4, [3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 4)), sizes: ODD_EVEN, reference: 'ort', uses: ['Max', 'Concat', 'Slice'], avoids: ['ConvTranspose'] },
  { op: 'Conv', label: '3×3, stride 3, pads 1 (nine phases)', model: () => net(4, conv(4, 6, [3, 3], { pads: [1, 1, 1, 1], strides: [3, 3] })), sizes: [[1, 4, 7, 9], [1, 4, 8, 11]], reference: 'ort', avoids: ['ConvTranspose'] },
  { op: 'Conv', label: 'grouped, 4×4 kernel, stride 2, SAME_LOWER', model: () => net(4, conv(4, 6, [4, 4], { auto_pad: 'SAME_LOWER', strides: [2, 2] }, 2)), sizes: ODD_EVEN, reference: 'ort' },
  { op: 'Conv', label: 'dilation 2, stride 2, pads 2', model: () => net(4, conv(4, 6, [3, 3], { dilations: [2, 2], strides: [2, 2], pads: [2, 1, 2, 2] })), sizes: ODD_EVEN, reference: 'ort' },
  { op: 'Conv', label: 'VALID, 2×3 kernel, strides 3×2 (unequal strides: ConvTranspose)', model: () => net(4, conv(4, 6, [2, 3], { auto_pad: 'VALID', strides: [3, 2] })), sizes: ODD_EVEN, reference: 'ort', uses: ['ConvTranspose', 'Slice'] },
  { op: 'Conv', label: '1×1, stride 2, no pads (ResNet shortcut: empty phases)', model: () => net(4, conv(4, 6, [1, 1], { strides: [2, 2] })), sizes: ODD_EVEN, reference: 'ort', avoids: ['ConvTranspose'] },
  { op: 'Conv', label: 'VALID, 2×2 kernel, stride 3 (cells past the last window)', model: () => net(4, conv(4, 6, [2, 2], { auto_pad: 'VALID', strides: [3, 3] })), sizes: [[1, 4, 10, 11], [1, 4, 9, 8]], reference: 'ort', avoids: ['ConvTranspose'] },
  { op: 'Conv', label: '1×1, stride 2, SAME_UPPER', model: () => net(4, conv(4, 6, [1, 1], { auto_pad: 'SAME_UPPER', strides: [2, 2] })), sizes: ODD_EVEN, reference: 'ort' },
  { op: 'Relu', label: 'after a constant shift', model: () => net(3, (g, x) => g.node('Relu', [g.node('Add', [x, g.scalar(0.2)])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Clip', label: 'min/max inputs (opset 13)', model: () => net(3, (g, x) => g.node('Clip', [x, g.scalar(-0.5), g.scalar(0.7)])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Clip', label: 'max input only', model: () => net(3, (g, x) => g.node('Clip', [x, '', g.scalar(0.3)])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Clip', label: 'min/max attributes (opset 10, raised to 13)', model: () => net(3, (g, x) => g.node('Clip', [x], { min: -0.5, max: 0.7 }), 10), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'LeakyRelu', label: 'alpha 0.2', model: () => net(3, (g, x) => g.node('LeakyRelu', [x], { alpha: 0.2 })), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'MaxPool', label: '3×3/2, pads [0,0,1,1] (GoogLeNet)', model: () => net(3, (g, x) => g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort', distinct: true },
  { op: 'MaxPool', label: '2×2/2, ceil_mode', model: () => net(3, (g, x) => g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })), sizes: [[1, 3, 7, 9]], reference: 'ort', distinct: true },
  { op: 'MaxPool', label: '3×3/1, pads 1 (overlapping windows)', model: () => net(3, (g, x) => g.node('MaxPool', [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })), sizes: [[1, 3, 6, 7]], reference: 'ort', distinct: true, uses: ['ScatterElements'] },
  { op: 'MaxPool', label: '3×3/2, SAME_UPPER', model: () => net(3, (g, x) => g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort', distinct: true },
  { op: 'MaxPool', label: '2×2, dilation 2', model: () => net(3, (g, x) => g.node('MaxPool', [x], { kernel_shape: [2, 2], dilations: [2, 2] })), sizes: [[1, 3, 7, 8]], reference: 'ort', distinct: true },
  { op: 'AveragePool', label: '3×3/1, pads 1, count_include_pad=0 (GoogLeNet pool5)', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })), sizes: [[1, 3, 6, 7]], reference: 'ort' },
  { op: 'AveragePool', label: '3×3/2, no pads', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2] })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'AveragePool', label: '3×3/2, pads 1, count_include_pad=0', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'AveragePool', label: '3×3/2, pads 1, count_include_pad=1', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'AveragePool', label: '3×3/2, pads [1,0,0,1], ceil_mode, count_include_pad=0', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1 })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort', uses: ['Range', 'Reciprocal'] },
  { op: 'AveragePool', label: '3×3/2, pads [1,0,0,1], ceil_mode, count_include_pad=1', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil_mode: 1, count_include_pad: 1 })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'AveragePool', label: '3×3/2, SAME_UPPER, count_include_pad=0', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'AveragePool', label: '4×4/2, SAME_LOWER, count_include_pad=1', model: () => net(3, (g, x) => g.node('AveragePool', [x], { kernel_shape: [4, 4], strides: [2, 2], auto_pad: 'SAME_LOWER', count_include_pad: 1 })), sizes: ODD_EVEN.map((d) => [1, 3, d[2]!, d[3]!]), reference: 'ort' },
  { op: 'GlobalAveragePool', label: 'x · GAP(x) (broadcast Mul)', model: () => net(3, (g, x) => g.node('Mul', [x, g.node('GlobalAveragePool', [x])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'LRN', label: 'size 5', model: () => net(7, (g, x) => g.node('LRN', [x], { size: 5, alpha: 0.5, beta: 0.75, bias: 1 })), sizes: [[1, 7, 4, 5]], reference: 'ort', scale: 2 },
  { op: 'LRN', label: 'size 3, bias 2 (ORT runs odd sizes only)', model: () => net(6, (g, x) => g.node('LRN', [x], { size: 3, alpha: 0.8, beta: 0.6, bias: 2 })), sizes: [[1, 6, 4, 5]], reference: 'ort', scale: 2 },
  { op: 'BatchNormalization', label: 'constant statistics', model: () => net(3, (g, x, r) => g.node('BatchNormalization', [x, g.constant(r.array(3, 0.5, 1)), g.constant(r.array(3, 0.3)), g.constant(r.array(3, 0.2)), g.constant(Array.from(r.array(3, 0.2, 1), Math.abs))], { epsilon: 1e-3 })), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'BatchNormalization', label: 'scale computed by a constant-only subgraph', model: () => net(3, (g, x, r) => g.node('BatchNormalization', [x, g.node('Mul', [g.constant(r.array(3, 0.5, 1)), g.scalar(1.5)]), g.constant(r.array(3, 0.3)), g.constant(r.array(3, 0.2)), g.node('Add', [g.constant([0.5, 1, 2]), g.scalar(0.1)])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Add', label: 'broadcast: lower rank, size-1 axes, run-time shapes', model: () => net(3, (g, x) => {
      const pooled = g.node('GlobalAveragePool', [x]);
      const lower = g.node('Reshape', [pooled, g.int64s([3, 1, 1])]); // rank 3 against rank 4
      const opaque = g.node('Reshape', [pooled, g.node('Shape', [pooled])]); // shape known only at run time
      return g.node('Add', [g.node('Add', [x, lower]), g.node('Mul', [opaque, g.scalar(2)])]);
    }), sizes: [[1, 3, 5, 6]], reference: 'float64', uses: ['NonZero', 'ReduceSum'] },
  { op: 'Sub', label: 'both operands active, one broadcast', model: () => net(3, (g, x) => g.node('Sub', [g.node('GlobalAveragePool', [x]), g.node('Mul', [x, g.constant([1, -2, 0.5], [3, 1, 1])])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Mul', label: 'x·x, constant broadcast [C,1,1], scalar', model: () => net(3, (g, x) => g.node('Mul', [g.node('Mul', [x, x]), g.node('Mul', [g.constant([1, -2, 0.5], [3, 1, 1]), g.scalar(0.5)])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Div', label: 'x / (1 + x²)', model: () => net(3, (g, x) => g.node('Div', [x, g.node('Add', [g.node('Mul', [x, x]), g.scalar(1)])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Concat', label: 'channels (static sizes)', model: () => net(3, (g, x) => g.node('Concat', [g.node('Relu', [x]), g.node('Mul', [x, g.scalar(-1.5)]), x], { axis: 1 })), sizes: [[1, 3, 5, 6]], reference: 'float64', uses: ['Split'] },
  { op: 'Concat', label: 'height (run-time sizes), with a constant part', model: () => net(2, (g, x) => g.node('Concat', [x, g.node('Relu', [x])], { axis: 2 })), sizes: [[1, 2, 5, 6]], reference: 'float64', uses: ['Slice'] },
  { op: 'Split', label: 'channels [1,2], both parts used', model: () => net(3, (g, x) => { const [a, b] = g.nodeN('Split', [x, g.int64s([1, 2])], 2, { axis: 1 }); return g.node('Mul', [b!, a!]); }), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Split', label: 'one part unused (zero gradient there)', model: () => net(3, (g, x) => g.nodeN('Split', [x, g.int64s([2, 1])], 2, { axis: 1 })[1]!), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Pad', label: 'constant 0.5, with a crop (negative pads)', model: () => net(3, (g, x) => g.node('Pad', [x, g.int64s([0, 0, 2, -1, 0, 0, -1, 3]), g.scalar(0.5)], { mode: 'constant' })), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Pad', label: 'reflect, unequal pads, odd size', model: () => net(3, (g, x) => g.node('Pad', [x, g.int64s([0, 0, 2, 1, 0, 0, 1, 3])], { mode: 'reflect' })), sizes: [[1, 3, 5, 7]], reference: 'float64', uses: ['Slice', 'Concat'] },
  { op: 'Pad', label: 'reflect, borders overlapping on a small image', model: () => net(2, (g, x) => g.node('Pad', [x, g.int64s([0, 0, 2, 2, 0, 0, 2, 2])], { mode: 'reflect' })), sizes: [[1, 2, 3, 3]], reference: 'float64' },
  { op: 'Reshape', label: '[0,0,-1] then a per-channel scale', model: () => net(3, (g, x) => g.node('Mul', [g.node('Reshape', [x, g.int64s([0, 0, -1])]), g.constant([1, -2, 0.5], [3, 1])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Flatten', label: 'axis 1', model: () => net(3, (g, x) => g.node('Relu', [g.node('Flatten', [x], { axis: 1 })])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Identity', label: 'chained with Dropout (opset 13)', model: () => net(3, (g, x) => g.node('Dropout', [g.node('Identity', [x])])), sizes: [[1, 3, 5, 6]], reference: 'float64' },
  { op: 'Dropout', label: 'opset 10 with a ratio attribute (becomes Identity)', model: () => net(3, (g, x) => g.node('Relu', [g.node('Dropout', [x], { ratio: 0.3 })]), 10), sizes: [[1, 3, 5, 6]], reference: 'float64' },
];

describe('gradients of each operator agree with finite differences', () => {
  for (const c of CASES) {
    for (const dims of c.sizes) {
      it(`${c.op}: ${c.label} at ${dims.slice(2).join('×')}`, async () => {
        const r = await checkGradient(c.model(), { layers: [{ name: 'y', weight: 1.5 }], dims, reference: c.reference, scale: c.scale, distinct: c.distinct });
        if (process.env.DREAMLAYER_GRAD_REPORT) console.log(`[grad] ${c.reference} ${c.op} ${c.label} ${dims.join('x')}: ${r.relErrors.map((e) => e.toExponential(1)).join(' ')} objective ${r.objectiveRelErr.toExponential(1)}`);
        expect(r.objectiveRelErr).toBeLessThan(1e-5);
        expect(r.maxRelErr).toBeLessThan(TOL[c.reference]);
        const ops = new Set(r.dream.graph!.node!.map((n) => n.opType));
        for (const op of c.uses ?? []) expect(ops).toContain(op);
        for (const op of c.avoids ?? []) expect(ops).not.toContain(op);
        // The gradient is not trivially zero.
        expect(r.gradient.some((v) => Math.abs(v) > 1e-6)).toBe(true);
      });
    }
  }
});
