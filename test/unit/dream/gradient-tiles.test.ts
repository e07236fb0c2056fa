/** Layout of the dream's gradient tiles: aligned starts, full cover, weights summing to 1, budget sizing. */
import { describe, expect, it } from 'vitest';
import { axisSpans, gradientTiles, tileForBudget } from '../../../daemon/src/effects/dream/gradient-tiles.ts';

describe('gradient tiles', () => {
  it('start at multiples of the stride, cover the axis, and overlap by at least the requested amount', () => {
    for (const [size, tile, overlap, align] of [[1000, 256, 64, 32], [517, 128, 32, 16], [300, 128, 16, 8], [129, 128, 32, 32], [64, 128, 32, 32], [1920, 512, 64, 32]] as const) {
      const spans = axisSpans(size, tile, overlap, align);
      expect(spans[0]!.start).toBe(0);
      const last = spans.at(-1)!;
      expect(last.start + last.length).toBe(size);
      for (let i = 0; i < spans.length; i++) {
        const s = spans[i]!;
        expect(s.start % align).toBe(0);
        if (i < spans.length - 1) expect(s.length).toBe(tile);
        else expect(s.length).toBeLessThan(Math.max(tile, size) + align);
        if (i > 0) {
          const p = spans[i - 1]!;
          expect(s.start).toBeGreaterThan(p.start);
          expect(p.start + p.length - s.start).toBeGreaterThanOrEqual(overlap);
        }
      }
    }
  });

  it('have weights that sum to exactly 1 at every pixel, with no tile contributing on its outer quarter-overlap', () => {
    const h = 300;
    const w = 517;
    const tiles = gradientTiles(h, w, 128, 32, 16);
    expect(tiles.length).toBeGreaterThan(6);
    const sum = new Float64Array(h * w);
    for (const t of tiles) {
      for (let y = 0; y < t.height; y++) for (let x = 0; x < t.width; x++) sum[(t.y + y) * w + t.x + x] += t.wx[x]! * t.wy[y]!;
      // Inner edges: the outermost pixels of a tile that borders another carry no weight (cut receptive fields).
      if (t.x > 0) expect(t.wx[0]).toBe(0);
      if (t.x + t.width < w) expect(t.wx[t.width - 1]).toBe(0);
      if (t.y > 0) expect(t.wy[0]).toBe(0);
      if (t.x === 0) expect(t.wx[0]).toBe(1);
    }
    let worst = 0;
    for (const v of sum) worst = Math.max(worst, Math.abs(v - 1));
    expect(worst).toBeLessThan(1e-6);
  });

  it('one tile when the frame fits', () => {
    const t = gradientTiles(100, 90, 128, 32, 16);
    expect(t).toHaveLength(1);
    expect([t[0]!.x, t[0]!.y, t[0]!.width, t[0]!.height]).toEqual([0, 0, 90, 100]);
    expect([...t[0]!.wx].every((v) => v === 1)).toBe(true);
  });

  it('size the tile to the memory budget, as a multiple of the stride', () => {
    const { tile, overlap } = tileForBudget(1024 * 2 ** 20, 3000, 32);
    expect(tile % 32).toBe(0);
    expect(tile * tile * 3000).toBeLessThanOrEqual(1024 * 2 ** 20);
    expect((tile + 32) * (tile + 32) * 3000).toBeGreaterThan(1024 * 2 ** 20);
    expect(overlap % 32).toBe(0);
    expect(overlap).toBeGreaterThanOrEqual(64);
    expect(overlap).toBeLessThanOrEqual(tile / 2);
    // A tiny budget still gives a usable tile (4 strides); an explicit tile wins over the budget.
    expect(tileForBudget(1, 3000, 32).tile).toBe(128);
    expect(tileForBudget(1024 * 2 ** 20, 3000, 16, 200).tile).toBe(192);
  });
});
