import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { runTiled, tileStarts, type PlanarImage } from '../../../daemon/src/runtime/tiling.ts';

/** Seeded PRNG so the network and the image are the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three 3×3 convs with ReLU and a ×2 DepthToSpace: receptive radius 3 input px. */
function buildNet(): Uint8Array {
  const r = rng(7);
  const g = new GraphBuilder('tile-net', { opset: 17 });
  let x = g.input('input', 'float32', [1, 3, 'H', 'W']);
  const chans = [3, 8, 8, 12];
  for (let i = 0; i < 3; i++) {
    const w = new Float32Array(chans[i + 1] * chans[i] * 9).map(() => (r() - 0.5) * 0.5);
    const b = new Float32Array(chans[i + 1]).map(() => (r() - 0.5) * 0.1);
    x = g.node('Conv', [x, g.initializer(`w${i}`, w, [chans[i + 1], chans[i], 3, 3]), g.initializer(`b${i}`, b, [chans[i + 1]])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    if (i < 2) x = g.node('Relu', [x]);
  }
  x = g.node('DepthToSpace', [x], { blocksize: 2 });
  g.output(x, 'output', 'float32', [1, 3, 'OH', 'OW']);
  return g.encode();
}

describe('runTiled', () => {
  it('spreads tiles evenly and covers the image', () => {
    expect(tileStarts(100, 128, 16)).toEqual([0]);
    const s = tileStarts(300, 128, 32);
    expect(s[0]).toBe(0);
    expect(s.at(-1)).toBe(300 - 128);
    for (let i = 1; i < s.length; i++) expect(s[i - 1] + 128 - s[i]).toBeGreaterThanOrEqual(32);
  });

  it('equals an untiled run within 1/255 everywhere (overlap > 2× receptive radius), super-resolution scale 2', async () => {
    const session = await createModelSession(buildNet(), 'tile-net', { device: 'cpu' });
    const h = 90;
    const w = 150;
    const r = rng(3);
    const input: PlanarImage = { data: new Float32Array(3 * h * w).map(() => r()), channels: 3, height: h, width: w };
    const run = async (t: PlanarImage): Promise<PlanarImage> => {
      const out = await session.run({ input: { data: t.data, dims: [1, 3, t.height, t.width] } });
      const [, c, oh, ow] = out.output.dims;
      return { data: out.output.data as Float32Array, channels: c, height: oh, width: ow };
    };
    const full = await run(input);
    let calls = 0;
    const tiled = await runTiled(input, { tile: 48, overlap: 16, scale: 2 }, (t) => {
      calls++;
      return run(t);
    });
    expect(calls).toBeGreaterThan(4);
    expect(tiled.width).toBe(full.width);
    expect(tiled.height).toBe(full.height);
    let maxDiff = 0;
    for (let i = 0; i < full.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(full.data[i] - tiled.data[i]));
    expect(maxDiff).toBeLessThan(1 / 255);

    // Too little overlap shows seams: the check above can fail.
    const seamy = await runTiled(input, { tile: 48, overlap: 2, scale: 2 }, run);
    let seamDiff = 0;
    for (let i = 0; i < full.data.length; i++) seamDiff = Math.max(seamDiff, Math.abs(full.data[i] - seamy.data[i]));
    expect(seamDiff).toBeGreaterThan(1 / 255);
  });
});
