import { describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { decodeModel } from '../../../daemon/src/onnx/proto.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { superResGraphStats } from '../../../daemon/src/effects/upscale/superres-graph.ts';
import { openSuperResModel } from '../../../daemon/src/effects/upscale/superres-model.ts';
import { cropToPlanar, planAxis, tileForBudget, upscaleTiled } from '../../../daemon/src/effects/upscale/tiled-upscale.ts';
import { passesFor, planUpscale } from '../../../daemon/src/effects/upscale/upscale-effect.ts';

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `depth` 3×3 convs (zero padding) with ReLU, then DepthToSpace ×2: receptive radius = depth input px. */
function buildDeepNet(depth: number, width = 6): Uint8Array {
  const r = rng(11);
  const g = new GraphBuilder('deep-sr', { opset: 17 });
  let x = g.input('input', 'float32', [1, 3, 'H', 'W']);
  let cin = 3;
  for (let i = 0; i < depth; i++) {
    const cout = i === depth - 1 ? 12 : width;
    const w = new Float32Array(cout * cin * 9).map(() => (r() - 0.5) * (1.2 / Math.sqrt(cin)));
    const b = new Float32Array(cout).map(() => (r() - 0.5) * 0.1);
    x = g.node('Conv', [x, g.initializer(`w${i}`, w, [cout, cin, 3, 3]), g.initializer(`b${i}`, b, [cout])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    if (i < depth - 1) x = g.node('Relu', [x]);
    cin = cout;
  }
  x = g.node('DepthToSpace', [x], { blocksize: 2 });
  g.output(x, 'output', 'float32', [1, 3, 'OH', 'OW']);
  return g.encode();
}

function randomImage(w: number, h: number, seed: number): Image8 {
  const r = rng(seed);
  // Smooth-ish content plus noise, so every tile has structure that reaches across its borders.
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.round(127 + 80 * Math.sin(x / (5 + c) + y / 7) + 40 * (r() - 0.5));
  return { width: w, height: h, channels: 3, data };
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('tile plan', () => {
  it('splits an axis into evenly sized cores that cover it exactly, tiles within the limit', () => {
    for (const [size, tile, ctx] of [[100, 128, 18], [1280, 128, 18], [720, 128, 18], [97, 40, 5], [300, 64, 0]]) {
      const spans = planAxis(size, { tile, context: ctx });
      expect(spans[0].start).toBe(0);
      expect(spans.at(-1)!.end).toBe(size);
      for (let i = 1; i < spans.length; i++) expect(spans[i].start).toBe(spans[i - 1].end);
      const cores = spans.map((s) => s.end - s.start);
      expect(Math.max(...cores) - Math.min(...cores)).toBeLessThanOrEqual(1);
      for (const s of spans) {
        expect(s.to - s.from).toBeLessThanOrEqual(Math.max(tile, size <= tile ? size : 0));
        expect(s.from).toBe(Math.max(0, s.start - (spans.length > 1 ? ctx : 0)));
        expect(s.to).toBe(Math.min(size, s.end + (spans.length > 1 ? ctx : 0)));
      }
    }
    // 1280 px, 128 px tiles, 18 px context: 92 px cores → 14 tiles.
    expect(planAxis(1280, { tile: 128, context: 18 })).toHaveLength(14);
  });

  it('refuses a tile that leaves no core after its context', () => {
    expect(() => planAxis(500, { tile: 36, context: 18 })).toThrow(/nothing to keep/);
  });

  it('derives the tile edge from the memory budget', () => {
    expect(tileForBudget(1024 ** 3, 1888, 18)).toBe(Math.floor(Math.sqrt(1024 ** 3 / 1888))); // 754 px for Real-ESRGAN compact at 1 GiB
    expect(tileForBudget(256 * 1024 ** 2, 1888, 18)).toBeLessThan(tileForBudget(1024 ** 3, 1888, 18));
    expect(tileForBudget(1, 1888, 18)).toBe(2 * 18 + 16); // never smaller than the context needs
  });

  it('crops interleaved 8-bit, 16-bit and grey images to planar RGB 0–1', () => {
    const img8: Image8 = { width: 3, height: 2, channels: 3, data: Uint8Array.from({ length: 18 }, (_, i) => i * 10) };
    const p = cropToPlanar(img8, 1, 0, 3, 2);
    expect(p.width).toBe(2);
    expect(p.height).toBe(2);
    // pixel (1,0) = [30,40,50], (2,0) = [60,70,80], (1,1) = [120,130,140], (2,1) = [150,160,170]
    expect(Array.from(p.data, (v) => Math.round(v * 255))).toEqual([30, 60, 120, 150, 40, 70, 130, 160, 50, 80, 140, 170]);
    const grey16 = { width: 2, height: 1, channels: 1 as const, data: Uint16Array.from([0, 65535]) };
    expect(Array.from(cropToPlanar(grey16, 0, 0, 2, 1).data)).toEqual([0, 1, 0, 1, 0, 1]);
  });
});

describe('seamless tiling (a 10-layer net built in code)', () => {
  const bytes = buildDeepNet(10);

  it('reads the receptive radius and width from the graph', () => {
    const stats = superResGraphStats(decodeModel(bytes));
    expect(stats).toEqual({ receptiveRadius: 10, maxChannels: 12, spatialOps: 10 });
  });

  it('tiled = untiled with the graph-derived context; with less context there are seams', async () => {
    const session = await createModelSession(bytes, 'deep-sr', { device: 'cpu' });
    const net = await openSuperResModel(session, superResGraphStats(decodeModel(bytes)));
    expect(net).toMatchObject({ kind: 'direct', scale: 2, pad: 0, context: 10 });
    const img = randomImage(150, 90, 5);
    const full = await upscaleTiled(img, { tile: 1000, context: 0, scale: 2 }, (t) => net.run(t));
    let tiles = 0;
    const tiled = await upscaleTiled(img, { tile: 40, context: net.context, scale: 2 }, (t) => net.run(t), (_, n) => (tiles = n));
    expect(tiles).toBeGreaterThanOrEqual(12);
    expect(tiled.width).toBe(300);
    expect(tiled.height).toBe(180);
    expect(maxDiff(tiled.data, full.data)).toBeLessThanOrEqual(1);
    // The control: without context the tile borders show (beyond the tolerance above).
    const seamy = await upscaleTiled(img, { tile: 40, context: 0, scale: 2 }, (t) => net.run(t));
    expect(maxDiff(seamy.data, full.data)).toBeGreaterThan(1);
  });
});

describe('scale plan', () => {
  it('runs a ×2 network twice for ×4, refuses ×2 from a ×4 network', () => {
    expect(passesFor(2, 2, 'm')).toBe(1);
    expect(passesFor(4, 2, 'm')).toBe(2);
    expect(passesFor(4, 4, 'm')).toBe(1);
    expect(() => passesFor(2, 4, 'realesr-animevideov3-x4')).toThrow(/enlarges ×4/);
  });

  it('an explicit tile and context win over the budget and the graph', () => {
    const net = { scale: 2, context: 18, bytesPerPixel: 1888 };
    expect(planUpscale(net, { scale: 2, tile: 0, overlap: 0, memoryMb: 1024 }, 'm')).toEqual({ tile: 754, context: 18, passes: 1 });
    expect(planUpscale(net, { scale: 4, tile: 128, overlap: 24, memoryMb: 1024 }, 'm')).toEqual({ tile: 128, context: 24, passes: 2 });
  });
});
