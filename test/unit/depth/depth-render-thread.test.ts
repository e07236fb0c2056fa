import { describe, expect, it } from 'vitest';
import type { Image16, Image8 } from '../../../daemon/src/core/image.ts';
import { DepthRenderer } from '../../../daemon/src/effects/depth/depth-renderer.ts';
import { LocalDepthRenderer, WorkerDepthRenderer, type DepthFrameRenderer } from '../../../daemon/src/effects/depth/depth-render-thread.ts';
import { DEFAULT_TEMPORAL } from '../../../daemon/src/effects/depth/temporal-depth-filter.ts';

const W = 80;
const H = 48;
const GRID = { width: 40, height: 24 };
const FLOW = { preset: 'fast' as const, params: { finestScale: 0 } };

/** A textured frame with a bright square moving 2 px per frame, and a network-like depth with a nearer square. */
function frame(k: number): { img: Image8; raw: Float32Array } {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inSq = x >= 10 + 2 * k && x < 26 + 2 * k && y >= 12 && y < 28;
      const v = inSq ? 200 + 30 * Math.sin(x / 2) : 80 + 40 * Math.sin(x / 3.1) * Math.cos(y / 2.3);
      const i = 3 * (y * W + x);
      data[i] = v;
      data[i + 1] = v * 0.9;
      data[i + 2] = v * 0.8;
    }
  }
  const raw = new Float32Array(GRID.width * GRID.height);
  for (let y = 0; y < GRID.height; y++) for (let x = 0; x < GRID.width; x++) raw[y * GRID.width + x] = (2 * x >= 10 + 2 * k && 2 * x < 26 + 2 * k && 2 * y >= 12 && 2 * y < 28 ? 0.9 : 0.3 + x / 200) + 0.01 * Math.sin(k * 7 + x);
  return { img: { width: W, height: H, channels: 3, data }, raw };
}

async function run(r: DepthFrameRenderer, frames: number[]): Promise<Image16[]> {
  const out: Image16[] = [];
  for (const k of frames) {
    const f = frame(k);
    out.push((await r.render(f.img, Promise.resolve({ ...GRID, data: f.raw }), () => ({ lo: 0.2, hi: 1 }))) as Image16);
  }
  return out;
}

describe('depth renderer on a worker thread', () => {
  it('gives byte-identical frames to the main-thread renderer, temporal state and resume included', async () => {
    const opts = DepthRenderer.defaults({ width: W, height: H, grid: GRID, temporal: { strength: 0.8, ...DEFAULT_TEMPORAL } });
    const local = await run(new LocalDepthRenderer(opts, FLOW), [0, 1, 2, 3]);
    const worker = await WorkerDepthRenderer.start(opts, FLOW);
    try {
      expect(worker.where).toBe('worker thread');
      const remote = await run(worker, [0, 1, 2, 3]);
      for (let k = 0; k < 4; k++) {
        expect(remote[k].data).toBeInstanceOf(Uint16Array);
        expect(Buffer.from(remote[k].data.buffer).equals(Buffer.from(local[k].data.buffer))).toBe(true);
      }
      // The temporal filter did something (frames differ from an unsmoothed render).
      const plain = await run(new LocalDepthRenderer(DepthRenderer.defaults({ width: W, height: H, grid: GRID }), null), [3]);
      expect(Buffer.from(plain[0].data.buffer).equals(Buffer.from(local[3].data.buffer))).toBe(false);
      // Resume on the worker from frame 2's source and output: frame 3 comes out the same.
      await worker.restore(frame(2).img, local[2]);
      const again = await run(worker, [3]);
      expect(Buffer.from(again[0].data.buffer).equals(Buffer.from(local[3].data.buffer))).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('a worker kept from an earlier job starts afresh with the new job\'s options', async () => {
    const first = await WorkerDepthRenderer.start(DepthRenderer.defaults({ width: W, height: H, grid: GRID, temporal: { strength: 0.8, ...DEFAULT_TEMPORAL } }), FLOW);
    await run(first, [0, 1]);
    await first.close(); // kept idle
    const opts = DepthRenderer.defaults({ width: W, height: H, grid: GRID, invert: true, bits: 8 });
    const second = await WorkerDepthRenderer.start(opts, null);
    try {
      const got = await run(second, [1]);
      const want = await run(new LocalDepthRenderer(opts, null), [1]);
      expect(got[0].data).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got[0].data.buffer).equals(Buffer.from(want[0].data.buffer))).toBe(true);
    } finally {
      await second.close();
    }
  });
});
