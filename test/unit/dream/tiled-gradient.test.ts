/**
 * A tiled gradient equals the untiled one away from tile edges: tiles start on
 * the layers' stride grid and each tile's gradient is scaled by its area share,
 * so where the receptive field stays inside one tile the values agree to float
 * rounding. Real MobileNetV2 at block 2's expansion (stride 2, receptive field
 * 7 px, so 2 × 7 px from an edge suffices), on a real picture, with a jitter
 * roll that moves the tile edges.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelGradient, type DreamNetwork } from '../../../daemon/src/effects/dream/dream-gradient.ts';
import { loadClassifier, openDreamOn, type OpenedDream } from '../../../daemon/src/effects/dream/dream-network.ts';
import { gradientTiles } from '../../../daemon/src/effects/dream/gradient-tiles.ts';
import { image8ToPlanes, rollPlanes } from '../../../daemon/src/effects/dream/planar-ops.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { readImage, resizeImage } from '../../../daemon/src/io/image-file.ts';
import type { PlanarImage } from '../../../daemon/src/runtime/tiling.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

const W = 160;
const H = 96;
const EDGE = 16;
let opened: OpenedDream;
let img: PlanarImage;

beforeAll(async () => {
  const c = await loadClassifier(sharedModel('classifier/mobilenet-v2-1.0_224.onnx'));
  opened = await openDreamOn(c, { layers: 't62', device: 'cpu' });
  const src = (await readImage(sharedData(path.join('images', 'content', 'chelsea.png')), { bits: 8, channels: 3 })) as Image8;
  img = image8ToPlanes(await resizeImage(src, W, H));
});

afterAll(async () => {
  await opened?.dispose();
});

/** Pixels (in image coordinates) where one tile has full weight and its inner edges are at least EDGE away, for a roll (dx, dy). */
function interiorMask(net: DreamNetwork, dx: number, dy: number): Uint8Array {
  const inRolled = new Uint8Array(W * H);
  for (const t of gradientTiles(H, W, net.tile, net.overlap, net.align)) {
    for (let y = 0; y < t.height; y++) {
      for (let x = 0; x < t.width; x++) {
        if (t.wx[x]! * t.wy[y]! !== 1) continue;
        const far = (t.x === 0 || x >= EDGE) && (t.x + t.width === W || t.width - 1 - x >= EDGE) && (t.y === 0 || y >= EDGE) && (t.y + t.height === H || t.height - 1 - y >= EDGE);
        if (far) inRolled[(t.y + y) * W + t.x + x] = 1;
      }
    }
  }
  // Rolled position of image pixel (x, y) is (x + dx, y + dy) modulo the size.
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) mask[y * W + x] = inRolled[((y + dy + H) % H) * W + ((x + dx + W) % W)]!;
  return mask;
}

function maxDiff(a: Float32Array, b: Float32Array, mask: Uint8Array): { diff: number; scale: number; count: number } {
  let diff = 0;
  let scale = 0;
  let count = 0;
  const n = W * H;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    count++;
    for (let c = 0; c < 3; c++) {
      diff = Math.max(diff, Math.abs(a[c * n + i]! - b[c * n + i]!));
      scale = Math.max(scale, Math.abs(b[c * n + i]!));
    }
  }
  return { diff, scale, count };
}

describe('tiled dream gradient', () => {
  it('equals the untiled gradient away from tile edges (with a jitter roll), and differs near them when the overlap is thin', async () => {
    const whole: DreamNetwork = { ...opened.net, tile: 1024 };
    for (const overlap of [32, 4]) {
      const tiled: DreamNetwork = { ...opened.net, tile: 64, overlap };
      expect(tiled.align).toBe(2);
      for (const [dx, dy] of [[0, 0], [7, -5]] as const) {
        const a = await pixelGradient(tiled, img, dx, dy);
        const b = await pixelGradient(whole, img, dx, dy);
        expect(a.tiles).toBeGreaterThan(4);
        expect(b.tiles).toBe(1);
        const mask = interiorMask(tiled, dx, dy);
        const inside = maxDiff(a.gradient, b.gradient, mask);
        expect(inside.count).toBeGreaterThan(W * H * 0.25);
        expect(inside.diff / inside.scale).toBeLessThan(1e-4);
        // Objective: a weighted mean of the tiles' objectives, near the whole image's (tile borders see padding).
        expect(Math.abs(a.objective - b.objective) / b.objective).toBeLessThan(0.1);
        const all = maxDiff(a.gradient, b.gradient, new Uint8Array(W * H).fill(1));
        if (overlap === 32) {
          // The cross-fade ignores the outer quarter of the overlap (8 px), beyond this layer's reach: no seam anywhere.
          expect(all.diff / all.scale).toBeLessThan(1e-4);
        } else {
          // A 1-px margin is inside the receptive field: the cut shows near the edges (so the test can fail).
          expect(all.diff / all.scale).toBeGreaterThan(1e-2);
        }
      }
    }
  });

  it('with a roll, is the gradient of the rolled picture rolled back', async () => {
    const whole: DreamNetwork = { ...opened.net, tile: 1024 };
    const a = await pixelGradient(whole, img, 7, -5);
    const b = await pixelGradient(whole, rollPlanes(img, 7, -5), 0, 0);
    expect(a.gradient).toEqual(rollPlanes({ ...img, data: b.gradient }, -7, 5).data);
    expect(a.objective).toBe(b.objective);
  });

  it('detects a one-pixel shift of the grid (the tolerance is tight enough to matter)', async () => {
    const whole: DreamNetwork = { ...opened.net, tile: 1024 };
    const tiled: DreamNetwork = { ...opened.net, tile: 64, overlap: 32 };
    const a = await pixelGradient(tiled, img, 0, 0);
    const b = await pixelGradient(whole, img, 1, 0);
    const inside = maxDiff(a.gradient, b.gradient, interiorMask(tiled, 0, 0));
    expect(inside.diff / inside.scale).toBeGreaterThan(1e-2);
  });
});
