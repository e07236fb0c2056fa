import { afterAll, describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { depthPlaneOf, resolveDepthContract, type DepthContract } from '../../../daemon/src/effects/depth/depth-contract.ts';
import { networkInputSize, runDepthNetwork } from '../../../daemon/src/effects/depth/depth-network.ts';
import type { Catalog } from '../../../daemon/src/models/catalog.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { createModelSession, type ModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';

const sessions: ModelSession[] = [];

/** A network that returns input channel `c` (NCHW, or NHWC transposed first), any size. */
async function channelNet(c: number, layout: 'NCHW' | 'NHWC'): Promise<ModelSession> {
  const g = new GraphBuilder(`channel${c}_${layout}`);
  let x = g.input('pixel_values', 'float32', layout === 'NCHW' ? [1, 3, 'H', 'W'] : [1, 'H', 'W', 3]);
  if (layout === 'NHWC') x = g.node('Transpose', [x], { perm: [0, 3, 1, 2] });
  const w = g.initializer('w', Float32Array.from([0, 1, 2], (k) => (k === c ? 1 : 0)), [1, 3, 1, 1]);
  g.output(g.node('Squeeze', [g.node('Conv', [x, w], { kernel_shape: [1, 1] }), g.int64s([1])]), 'predicted_depth', 'float32', [1, 'H', 'W']);
  const s = await createModelSession(g.encode(), `channel${c}_${layout}`, { device: 'cpu' });
  sessions.push(s);
  return s;
}

/** A catalog holding one Depth Anything V2-like contract (ImageNet mean/std on 0–1, any size, multiple of 14). */
function catalogWith(id: string, input: Record<string, unknown>): Catalog {
  return {
    version: 1,
    models: [{ id, task: 'depth', contract: { inputs: [{ role: 'image', name: 'pixel_values', ...input }], outputs: [{ name: 'predicted_depth', meaning: 'relative inverse depth' }] } }],
  } as unknown as Catalog;
}

const DA_INPUT = { layout: 'NCHW', colour: 'RGB', range: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], size: 'dynamic', multipleOf: 14 };

function testImage(w: number, h: number): Image8 {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      data[i] = (x * 255) / (w - 1);
      data[i + 1] = (y * 255) / (h - 1);
      data[i + 2] = ((x + y) * 7) % 256;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** Independent reference: source channel `src` resized to the network size, then (v/255 − mean)/std. */
function expectedPlane(img: Image8, src: number, size: { width: number; height: number }, mean: number, std: number): Float32Array {
  const plane = Float32Array.from({ length: img.width * img.height }, (_, i) => img.data[3 * i + src]);
  return resizePlanes(plane, 1, img.height, img.width, size.height, size.width, 'bilinear').map((v) => (v / 255 - mean) / std);
}

afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe('generic pre-processing from the catalog contract', () => {
  it('Depth Anything V2: aspect kept, multiple of 14, ImageNet mean/std', async () => {
    const session = await channelNet(0, 'NCHW');
    const record = { id: 'depth-anything-v2-small', path: 'x.onnx', sha256: '0'.repeat(64) };
    const contract = resolveDepthContract(session, record, { catalog: catalogWith(record.id, DA_INPUT) });
    expect(contract).toMatchObject({ input: 'pixel_values', output: 'predicted_depth', size: 'dynamic', multipleOf: 14, origin: record.id });
    const img = testImage(100, 60);
    const size = networkInputSize(contract, 100, 60);
    expect(size).toEqual({ width: 518, height: 308 }); // 518 = 37·14 long side; 60·5.18 = 310.8 → 22·14
    const plane = await runDepthNetwork(session, contract, img);
    expect([plane.width, plane.height]).toEqual([518, 308]);
    const ref = expectedPlane(img, 0, size, 0.485, 0.229);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(plane.data[i] - ref[i]));
    expect(worst).toBeLessThan(1e-4);
    expect(networkInputSize(contract, 100, 60, 280)).toEqual({ width: 280, height: 168 });
  });

  it('BGR colour order puts blue first, with the first mean/std', async () => {
    const session = await channelNet(0, 'NCHW');
    const record = { id: 'bgr-net', path: 'x.onnx', sha256: '1'.repeat(64) };
    const contract = resolveDepthContract(session, record, { catalog: catalogWith(record.id, { ...DA_INPUT, colour: 'BGR' }) });
    const img = testImage(56, 28);
    const plane = await runDepthNetwork(session, contract, img, 56);
    const ref = expectedPlane(img, 2, { width: 56, height: 28 }, 0.485, 0.229);
    for (let i = 0; i < ref.length; i += 37) expect(plane.data[i]).toBeCloseTo(ref[i], 4);
  });

  it('NHWC layout is fed channels-last with the same values', async () => {
    const session = await channelNet(1, 'NHWC');
    const record = { id: 'nhwc-net', path: 'x.onnx', sha256: '2'.repeat(64) };
    const contract = resolveDepthContract(session, record, { catalog: catalogWith(record.id, { ...DA_INPUT, layout: 'NHWC' }) });
    expect(contract.layout).toBe('NHWC');
    const img = testImage(70, 42);
    const plane = await runDepthNetwork(session, contract, img, 70);
    const ref = expectedPlane(img, 1, { width: 70, height: 42 }, 0.456, 0.224);
    for (let i = 0; i < ref.length; i += 29) expect(plane.data[i]).toBeCloseTo(ref[i], 4);
  });

  it('a file the catalog does not know gets RGB 0–255 and the graph size, and the log says so', async () => {
    const session = await channelNet(0, 'NCHW');
    const lines: string[] = [];
    const contract = resolveDepthContract(session, { id: '/tmp/mine.onnx', path: '/tmp/mine.onnx', sha256: '3'.repeat(64) }, { catalog: { version: 1, models: [] } as unknown as Catalog, log: (l) => lines.push(l) });
    expect(contract).toMatchObject({ range: 'px', colour: 'RGB', layout: 'NCHW', size: 'dynamic', multipleOf: 32, origin: 'graph' });
    expect(lines.join('\n')).toMatch(/not in the model catalog/);
    const plane = await runDepthNetwork(session, contract, testImage(64, 32), 64);
    expect(plane.data[63]).toBeCloseTo(255, 3); // the red ramp's right end, px units
  });
});

describe('depth output tensors', () => {
  it('accepts [N,1,H,W], [N,H,W,1], [N,H,W] and [H,W]; refuses the rest with MODEL_CONTRACT', () => {
    const data = new Float32Array(12);
    for (const dims of [[1, 1, 3, 4], [1, 3, 4, 1], [1, 3, 4], [3, 4]]) expect(depthPlaneOf('m', { data, dims })).toMatchObject({ width: 4, height: 3 });
    for (const dims of [[1, 12], [1, 3, 2, 2], [12]]) expect(() => depthPlaneOf('m', { data, dims })).toThrow(expect.objectContaining({ code: 'MODEL_CONTRACT' }));
  });

  it('refuses a graph with two image inputs', async () => {
    const g = new GraphBuilder('two_inputs');
    const a = g.input('a', 'float32', [1, 3, 8, 8]);
    const b = g.input('b', 'float32', [1, 3, 8, 8]);
    g.output(g.node('ReduceMean', [g.node('Add', [a, b])], { axes: [1], keepdims: 1 }), 'out', 'float32', [1, 1, 8, 8]);
    const session = await createModelSession(g.encode(), 'two_inputs', { device: 'cpu' });
    sessions.push(session);
    expect(() => resolveDepthContract(session, { id: 'x', path: 'x', sha256: '4'.repeat(64) }, { catalog: { version: 1, models: [] } as unknown as Catalog })).toThrow(
      expect.objectContaining({ code: 'MODEL_CONTRACT', message: expect.stringMatching(/2 inputs/) }),
    );
  });

  it('a contract for a fixed-size catalog model keeps its size', () => {
    const c: DepthContract = { input: 'input', output: 'output', layout: 'NCHW', colour: 'RGB', range: 'px', size: [192, 320], multipleOf: 1, origin: 'tcmonodepth-small' };
    expect(networkInputSize(c, 1920, 1080, 999)).toEqual({ width: 320, height: 192 });
  });
});
