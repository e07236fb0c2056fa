import { describe, expect, it } from 'vitest';
import { ort } from '../../../daemon/src/runtime/ort.ts';
import { attr, GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { decodeModel, encodeModel, modelSignature } from '../../../daemon/src/onnx/proto.ts';
import { tensorToNumbers } from '../../../daemon/src/onnx/tensor-data.ts';

describe('GraphBuilder', () => {
  it('builds a Conv graph that ORT runs with free H/W, matching a float64 convolution', async () => {
    const g = new GraphBuilder('conv', { opset: 17 });
    const x = g.input('input', 'float32', [1, 2, 'H', 'W']);
    const wData = Float32Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => Math.sin(i + 1));
    const w = g.initializer('w', wData, [3, 2, 3, 3]);
    const b = g.initializer('b', Float32Array.of(0.5, -1, 2), [3]);
    const y = g.node('Conv', [x, w, b], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    g.output(y, 'output', 'float32', [1, 3, 'H', 'W']);
    const model = g.build();
    expect(modelSignature(model)).toEqual({
      inputs: [{ name: 'input', type: 'float32', shape: [1, 2, 'H', 'W'] }],
      outputs: [{ name: 'output', type: 'float32', shape: [1, 3, 'H', 'W'] }],
    });
    const session = await ort.InferenceSession.create(g.encode());
    const H = 4, W = 5;
    const xs = Float32Array.from({ length: 2 * H * W }, (_, i) => Math.cos(i * 0.7));
    const out = (await session.run({ input: new ort.Tensor('float32', xs, [1, 2, H, W]) })).output!;
    expect(out.dims).toEqual([1, 3, H, W]);
    // float64 reference
    const ref = new Float64Array(3 * H * W);
    for (let o = 0; o < 3; o++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
      let s = [0.5, -1, 2][o]!;
      for (let c = 0; c < 2; c++) for (let ki = 0; ki < 3; ki++) for (let kj = 0; kj < 3; kj++) {
        const ii = i + ki - 1, jj = j + kj - 1;
        if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
        s += wData[((o * 2 + c) * 3 + ki) * 3 + kj]! * xs[(c * H + ii) * W + jj]!;
      }
      ref[(o * H + i) * W + j] = s;
    }
    const data = out.data as Float32Array;
    for (let k = 0; k < ref.length; k++) expect(Math.abs(data[k]! - ref[k]!)).toBeLessThan(1e-5);
  });

  it('makes names unique and types attributes (ints, floats, int, float, string, tensor)', () => {
    const g = new GraphBuilder('attrs');
    const x = g.input('x', 'float32', [1, 4]);
    const a = g.node('LeakyRelu', [x], { alpha: 1 }); // float by name even though whole
    const b = g.node('LeakyRelu', [a], { alpha: 0.25 }, { outputs: ['x'] }); // name clash: renamed
    expect(b).not.toBe('x');
    const c = g.node('Constant', [], { value_float: attr.float(2) });
    const d = g.node('Foo', [b, c], { ints: [1, 2], floats: [1.5, 2], int: 3, str: 'reflect', t: attr.tensor({ name: 't', dims: [1], dataType: 1, floatData: [3] }), forced: attr.ints([]) });
    g.output(d, 'y');
    const m = decodeModel(encodeModel(g.build()));
    const nodes = m.graph!.node!;
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
    const outs = nodes.flatMap((n) => n.output);
    expect(new Set(outs).size).toBe(outs.length);
    const T = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };
    expect(nodes[0]!.attribute![0]!.type).toBe(T.FLOAT);
    expect(nodes[0]!.attribute![0]!.f).toBe(1);
    expect(nodes[2]!.attribute![0]!.type).toBe(T.FLOAT);
    const foo = Object.fromEntries(nodes[3]!.attribute!.map((a) => [a.name, a]));
    expect(foo.ints!.type).toBe(T.INTS);
    expect(foo.floats!.type).toBe(T.FLOATS);
    expect(foo.int!.type).toBe(T.INT);
    expect(foo.str!.type).toBe(T.STRING);
    expect(Buffer.from(foo.str!.s!).toString()).toBe('reflect');
    expect(foo.t!.type).toBe(T.TENSOR);
    expect(foo.forced!.type).toBe(T.INTS);
    // output() renamed the Foo output to 'y' in place
    expect(nodes[3]!.output).toEqual(['y']);
  });

  it('stores float32 and int64 initializers that round-trip', () => {
    const g = new GraphBuilder('inits');
    const f = g.initializer('f', Float32Array.of(1.5, -2), [2]);
    const i = g.int64s([-1, 3, 9007199254740991]);
    const m = decodeModel(encodeModel((g.node('Identity', [f]), g.build())));
    const byName = Object.fromEntries(m.graph!.initializer!.map((t) => [t.name, t]));
    expect(tensorToNumbers(byName[f]!)).toEqual([1.5, -2]);
    expect(tensorToNumbers(byName[i]!)).toEqual([-1, 3, 9007199254740991]);
    expect(byName[i]!.dataType).toBe(7);
  });

  it('an input or initializer marked as output goes through an Identity', async () => {
    const g = new GraphBuilder('id');
    const x = g.input('x', 'float32', [2]);
    g.output(x, 'y', 'float32', [2]);
    const s = await ort.InferenceSession.create(g.encode());
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2), [2]) });
    expect(Array.from(r.y!.data as Float32Array)).toEqual([1, 2]);
  });

  it('fromModel appends to a copy and leaves the source model unchanged', () => {
    const g = new GraphBuilder('src');
    const x = g.input('x', 'float32', [2]);
    g.output(g.node('Relu', [x]), 'r');
    const src = g.build();
    const before = encodeModel(src);
    const g2 = GraphBuilder.fromModel(src);
    g2.output(g2.node('Neg', ['r']), 'n');
    expect(g2.build().graph!.node!.length).toBe(2);
    expect(Buffer.from(encodeModel(src)).equals(Buffer.from(before))).toBe(true);
  });
});
