import { describe, expect, it } from 'vitest';
import { ort } from '../../../daemon/src/runtime/ort.ts';
import { encodeModel, modelSignature, readModelFile, type ModelProto } from '../../../daemon/src/onnx/proto.ts';
import { buildTinyDepthNet, buildTinyGoogLeNet, buildTinyStyleNet, buildTinySuperRes, mulberry32 } from '../../../daemon/src/onnx/test-models.ts';
import { sharedModel } from '../../helpers/shared-path.ts';

async function run(model: ModelProto, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  return s.run(feeds);
}

/** A smooth image with an edge, px 0–255. */
function image(h: number, w: number, scale = 255): Float32Array {
  const a = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    a[(c * h + y) * w + x] = scale * (x > w / 2 ? 0.8 : 0.2 + 0.1 * c) * (0.5 + 0.5 * Math.sin(y / 3));
  }
  return a;
}

const stats = (d: Float32Array) => {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of d) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return { min, max, mean: sum / d.length };
};

describe('mulberry32', () => {
  it('is deterministic per seed and roughly uniform', () => {
    const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(c()).not.toBe(xs[0]);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('tiny test networks', () => {
  it('buildTinyStyleNet has the fast-neural-style contract of the shared style models and runs at several sizes', async () => {
    const m = buildTinyStyleNet({ seed: 7 });
    const real = modelSignature(readModelFile(sharedModel('style/candy.onnx')));
    const sig = modelSignature(m);
    expect(sig.inputs).toEqual(real.inputs);
    expect(sig.outputs.map((o) => [o.name, o.type, o.shape.length])).toEqual(real.outputs.map((o) => [o.name, o.type, o.shape.length]));
    for (const [h, w] of [[32, 48], [20, 36]] as const) {
      const out = (await run(m, { input1: new ort.Tensor('float32', image(h, w), [1, 3, h, w]) })).output1!;
      expect(out.dims).toEqual([1, 3, h, w]);
      const s = stats(out.data as Float32Array);
      expect(s.max - s.min).toBeGreaterThan(50); // a px-range image, not a constant
      expect(Math.abs(s.mean - 128)).toBeLessThan(80);
    }
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    for (const op of ['Pad', 'Conv', 'InstanceNormalization', 'Relu', 'Add', 'Resize']) expect(ops).toContain(op);
  });

  it('is deterministic: same seed same bytes, other seed other weights', () => {
    expect(Buffer.from(encodeModel(buildTinyStyleNet({ seed: 1 }))).equals(Buffer.from(encodeModel(buildTinyStyleNet({ seed: 1 }))))).toBe(true);
    expect(Buffer.from(encodeModel(buildTinyStyleNet({ seed: 1 }))).equals(Buffer.from(encodeModel(buildTinyStyleNet({ seed: 2 }))))).toBe(false);
  });

  it('buildTinyDepthNet has the TCMonoDepth contract ([1,3,192,320] px in, [1,1,192,320] in (0,1.3) out)', async () => {
    const m = buildTinyDepthNet();
    expect(modelSignature(m)).toEqual(modelSignature(readModelFile(sharedModel('depth/tcmonodepth-small_192x320.onnx'))));
    const out = (await run(m, { input: new ort.Tensor('float32', image(192, 320), [1, 3, 192, 320]) })).output!;
    expect(out.dims).toEqual([1, 1, 192, 320]);
    const s = stats(out.data as Float32Array);
    expect(s.min).toBeGreaterThan(0);
    expect(s.max).toBeLessThan(1.3);
    expect(s.max - s.min).toBeGreaterThan(1e-3);
  });

  it('buildTinySuperRes upscales RGB 0–1 by the scale, close to a nearest upscale', async () => {
    for (const scale of [2, 4]) {
      const m = buildTinySuperRes({ scale });
      const sig = modelSignature(m);
      expect(sig.inputs).toEqual([{ name: 'input', type: 'float32', shape: [1, 3, 'H', 'W'] }]);
      expect(sig.outputs[0]!.name).toBe('output');
      const h = 10, w = 14;
      const x = image(h, w, 1);
      const out = (await run(m, { input: new ort.Tensor('float32', x, [1, 3, h, w]) })).output!;
      expect(out.dims).toEqual([1, 3, h * scale, w * scale]);
      const d = out.data as Float32Array;
      let maxDiff = 0;
      for (let c = 0; c < 3; c++) for (let y = 0; y < h * scale; y++) for (let xx = 0; xx < w * scale; xx++) {
        const near = x[(c * h + Math.floor(y / scale)) * w + Math.floor(xx / scale)]!;
        maxDiff = Math.max(maxDiff, Math.abs(d[(c * h * scale + y) * w * scale + xx]! - near));
      }
      expect(maxDiff).toBeGreaterThan(1e-4); // the residual is there
      expect(maxDiff).toBeLessThan(0.3); // and small
    }
  });

  it('buildTinyGoogLeNet has the GoogLeNet op set and runs at free sizes', async () => {
    const m = buildTinyGoogLeNet();
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    for (const op of ['Conv', 'Relu', 'MaxPool', 'LRN', 'Concat', 'AveragePool']) expect(ops).toContain(op);
    const out = (await run(m, { data_0: new ort.Tensor('float32', image(64, 80, 1), [1, 3, 64, 80]) })).pool5!;
    expect(out.dims).toEqual([1, 60, 8, 10]); // 16 + 24 + 12 + 8 channels of inception_3b
  });
});
