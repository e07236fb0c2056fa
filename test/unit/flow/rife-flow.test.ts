import { describe, expect, it, afterAll } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { OnnxFlowEstimator, RifeFlowEstimator } from '../../../daemon/src/flow/rife-flow.ts';
import { createFlowEstimator } from '../../../daemon/src/flow/create-flow-estimator.ts';
import { endPointError } from '../../../daemon/src/flow/flow-metrics.ts';
import { clearSessionCache } from '../../../daemon/src/runtime/session-cache.ts';
import type { FloatImage } from '../../../daemon/src/core/image.ts';
import { median, render, textureFn } from './helpers.ts';
import { loadSintel } from './sintel.ts';
import { sharedModel } from '../../helpers/shared-path.ts';

const RIFE = sharedModel('flow/rife-v4.6.onnx');
const tmp = fs.mkdtemp(path.join(os.tmpdir(), 'dl-onnxflow-'));
afterAll(async () => {
  await clearSessionCache();
  await fs.rm(await tmp, { recursive: true, force: true });
});

/**
 * A flow "model" with the contract's shape: img0, img1 [1,3,H,W] → flow [1,2,H,W] with
 * u = 8·R(img0), v = −4·G(img1): lets the test check channel order, padding and cropping exactly.
 */
async function toyFlowModel(): Promise<string> {
  const g = new GraphBuilder('toy-flow', { opset: 13 });
  const a = g.input('img0', 'float32', [1, 3, 'H', 'W']);
  const b = g.input('img1', 'float32', [1, 3, 'H', 'W']);
  const u = g.node('Conv', [a, g.initializer('wu', [8, 0, 0], [1, 3, 1, 1])]);
  const v = g.node('Conv', [b, g.initializer('wv', [0, -4, 0], [1, 3, 1, 1])]);
  g.output(g.node('Concat', [u, v], { axis: 1 }), 'flow', 'float32', [1, 2, 'H', 'W']);
  const file = path.join(await tmp, 'toy-flow.onnx');
  await fs.writeFile(file, g.encode());
  return file;
}

/** R and G ramps: R = x/W, G = y/H, B = 0.5. */
function ramps(W: number, H: number): FloatImage {
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([x / W, y / H, 0.5], (y * W + x) * 3);
  return { width: W, height: H, channels: 3, data };
}

describe('ONNX flow estimators', () => {
  it('feeds RGB planes, pads to the multiple and crops the flow back (toy model)', async () => {
    const W = 45, H = 37; // padded to 64×64
    const img = ramps(W, H);
    const est = new OnnxFlowEstimator(await toyFlowModel(), { device: 'cpu', multiple: 32 });
    const f = await est.estimate(img, img);
    expect([f.width, f.height]).toEqual([W, H]);
    for (let y = 0; y < H; y += 5) for (let x = 0; x < W; x += 4) {
      expect(f.u[y * W + x]).toBeCloseTo((8 * x) / W, 5);
      expect(f.v[y * W + x]).toBeCloseTo((-4 * y) / H, 5);
    }
  });

  it('runs at a reduced size and scales the vectors back', async () => {
    const W = 64, H = 48;
    const est = new OnnxFlowEstimator(await toyFlowModel(), { device: 'cpu', multiple: 8, maxSide: 32 });
    // Constant colour → constant flow at the working size (8·0.25, −4·0.5), then ×2 for the full grid.
    const flat: FloatImage = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3).map((_, i) => [0.25, 0.5, 0][i % 3]) };
    const f = await est.estimate(flat, flat);
    expect([f.width, f.height]).toEqual([W, H]);
    expect(f.u[100]).toBeCloseTo(2 * 2, 5);
    expect(f.v[100]).toBeCloseTo(2 * -2, 5);
  });

  it('accepts a user FILE through createFlowEstimator after the contract check', async () => {
    const est = await createFlowEstimator(await toyFlowModel());
    expect(est).toBeInstanceOf(OnnxFlowEstimator);
    await expect(createFlowEstimator('builtin:slow')).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    expect((await createFlowEstimator('builtin:fast')).name).toBe('builtin:fast');
  });

  it('RIFE v4.6: recovers a sub-pixel translation with the backward-warping sign', async () => {
    const W = 160, H = 96, fn = textureFn(17, 3, 14);
    // a(x) = T(x), b(x) = T(x − s): a(x) = b(x + s), so the flow a→b is +s.
    const s = [3.5, -2];
    const a = render(fn, W, H, 3), b = render(fn, W, H, 3, -s[0], -s[1]);
    const f = await new RifeFlowEstimator(RIFE, { device: 'cpu' }).estimate(a, b);
    const inner = (i: number) => { const x = i % W, y = Math.floor(i / W); return x > 12 && x < W - 12 && y > 12 && y < H - 12; };
    expect(median(f.u, inner)).toBeCloseTo(s[0], 0);
    expect(median(f.v, inner)).toBeCloseTo(s[1], 0);
  });

  it('RIFE v4.6 on Sintel alley_1 at 512 px', async () => {
    const p = await loadSintel('alley_1', 'clean');
    const f = await new RifeFlowEstimator(RIFE, { device: 'cpu', maxSide: 512 }).estimate(p.a, p.b);
    expect([f.width, f.height]).toEqual([1024, 436]);
    // Measured 1.30 at 512 px (0.85 at full size); zero flow scores 3.0.
    expect(endPointError(f, p.gt, p.valid).epe).toBeLessThan(1.8);
  });
});
