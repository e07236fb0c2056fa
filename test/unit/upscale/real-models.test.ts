/**
 * The real super-resolution networks from ../shared/models/superres on a real
 * frame (Big Buck Bunny, 1280×720): seams, and waifu2x's input convention.
 * Crops keep the test in seconds; the full-frame figure is in docs/upscale.md.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { loadModel } from '../../../daemon/src/effects/load-model.ts';
import { readModelFile } from '../../../daemon/src/onnx/proto.ts';
import type { PlanarImage } from '../../../daemon/src/runtime/tiling.ts';
import { superResGraphStats } from '../../../daemon/src/effects/upscale/superres-graph.ts';
import { openSuperResModel, type SuperResModel } from '../../../daemon/src/effects/upscale/superres-model.ts';
import { upscaleTiled } from '../../../daemon/src/effects/upscale/tiled-upscale.ts';
import { nearestUpscale, replicatePad, waifu2xInput } from '../../../daemon/src/effects/upscale/waifu2x-input.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';
import { boxHalve, crop, shiftedMad } from './image-helpers.ts';

const BBB = sharedData('video/bbb-opening_1280x720_24fps.mp4');
let frame: Image8;

beforeAll(async () => {
  const info = await probeMedia(BBB);
  for await (const f of decodeFrames(info, { first: 120, last: 120 })) frame = f.image;
});

async function open(file: string): Promise<SuperResModel> {
  const path = sharedModel(`superres/${file}`);
  const { session } = await loadModel(path, 'superres', { device: 'cpu' });
  return openSuperResModel(session, superResGraphStats(readModelFile(path)));
}

function diffStats(a: Uint8Array, b: Uint8Array): { max: number; count: number } {
  let max = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    if (d) count++;
  }
  return { max, count };
}

describe('Real-ESRGAN animevideov3', () => {
  it('is read as a direct network: ×2 / ×4, receptive radius 18 (18 3×3 convs), 64 channels', async () => {
    const x2 = await open('realesr-animevideov3-x2.onnx');
    const x4 = await open('realesr-animevideov3-x4.onnx');
    expect(x2).toMatchObject({ kind: 'direct', scale: 2, context: 18 });
    expect(x4).toMatchObject({ kind: 'direct', scale: 4, context: 18 });
    expect(superResGraphStats(readModelFile(sharedModel('superres/realesr-animevideov3-x2.onnx')))).toMatchObject({ receptiveRadius: 18, maxChannels: 64 });
  });

  it('x2 in 128 px tiles equals the untiled result within 1/255 on a real frame; without context it shows seams', async () => {
    const net = await open('realesr-animevideov3-x2.onnx');
    const img = crop(frame, 760, 300, 150, 150);
    const full = await upscaleTiled(img, { tile: 4096, context: 0, scale: 2 }, (t) => net.run(t));
    let tiles = 0;
    const tiled = await upscaleTiled(img, { tile: 128, context: net.context, scale: 2 }, (t) => net.run(t), (_, n) => (tiles = n));
    expect(tiles).toBe(4); // 2×2 cores of 75 px, each read with 18 px of context on its inner sides
    const d = diffStats(tiled.data, full.data);
    expect(d.max).toBeLessThanOrEqual(1);
    expect(d.count).toBeLessThan(full.data.length / 1000); // float summation order only
    const seamy = await upscaleTiled(img, { tile: 128, context: 0, scale: 2 }, (t) => net.run(t));
    expect(diffStats(seamy.data, full.data).max).toBeGreaterThan(1);
  }, 120_000);
});

describe('waifu2x vgg_7 input convention', () => {
  const planar = (w: number, h: number, values: number[]): PlanarImage => ({ data: Float32Array.from(values), channels: values.length / (w * h), width: w, height: h });

  it('nearest ×2: each input pixel becomes a 2×2 block', () => {
    const out = nearestUpscale(planar(2, 2, [1, 2, 3, 4]));
    expect(out.width).toBe(4);
    expect(Array.from(out.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('edge padding repeats the border pixels', () => {
    const out = replicatePad(planar(3, 2, [1, 2, 3, 4, 5, 6]), 2);
    expect([out.width, out.height]).toEqual([7, 6]);
    const rows = Array.from({ length: 6 }, (_, y) => Array.from(out.data.subarray(y * 7, y * 7 + 7)));
    expect(rows).toEqual([
      [1, 1, 1, 2, 3, 3, 3],
      [1, 1, 1, 2, 3, 3, 3],
      [1, 1, 1, 2, 3, 3, 3],
      [4, 4, 4, 5, 6, 6, 6],
      [4, 4, 4, 5, 6, 6, 6],
      [4, 4, 4, 5, 6, 6, 6],
    ]);
  });

  it('the network input is nearest ×2 then 7 px of edge padding (checked against the formula, all channels)', () => {
    const w = 5;
    const h = 3;
    const img = planar(w, h, Array.from({ length: 3 * w * h }, (_, i) => i / 100));
    const out = waifu2xInput(img, 7);
    expect([out.width, out.height]).toEqual([2 * w + 14, 2 * h + 14]);
    const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
    for (let c = 0; c < 3; c++) {
      for (let Y = 0; Y < out.height; Y++) {
        for (let X = 0; X < out.width; X++) {
          const sx = Math.floor(clamp(X - 7, 2 * w - 1) / 2);
          const sy = Math.floor(clamp(Y - 7, 2 * h - 1) / 2);
          expect(out.data[c * out.width * out.height + Y * out.width + X]).toBe(img.data[c * w * h + sy * w + sx]);
        }
      }
    }
  });

  it('the real network, fed this way, restores a ×2-reduced real frame, aligned (best unshifted, symmetric)', async () => {
    const net = await open('waifu2x-vgg7-scale2x.onnx');
    expect(net).toMatchObject({ kind: 'pre-enlarged', scale: 2, pad: 7, context: 4 });
    // Ground truth: a 192×128 piece of the frame; the input: its 2×2 box average (pixel centres stay where they were).
    const truth = crop(frame, 760, 300, 192, 128);
    const small = boxHalve(truth);
    const out = await upscaleTiled(small, { tile: 4096, context: 0, scale: 2 }, (t) => net.run(t));
    expect([out.width, out.height]).toEqual([192, 128]);
    const aligned = shiftedMad(out, truth, 0, 0);
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) expect(shiftedMad(out, truth, dx, dy)).toBeGreaterThan(aligned * 2);
    expect(aligned).toBeLessThan(2); // within 2/255 on average of the original (one pixel off gives about 3)
  }, 60_000);

  it('tiled = untiled (context 4 input px covers the 7 enlarged px of reach); without context it differs', async () => {
    const net = await open('waifu2x-vgg7-scale2x.onnx');
    const img = crop(frame, 760, 300, 160, 96);
    const full = await upscaleTiled(img, { tile: 4096, context: 0, scale: 2 }, (t) => net.run(t));
    const tiled = await upscaleTiled(img, { tile: 64, context: net.context, scale: 2 }, (t) => net.run(t));
    expect(diffStats(tiled.data, full.data).max).toBeLessThanOrEqual(1);
    const seamy = await upscaleTiled(img, { tile: 64, context: 0, scale: 2 }, (t) => net.run(t));
    expect(diffStats(seamy.data, full.data).count).toBeGreaterThan(0);
  }, 60_000);
});
