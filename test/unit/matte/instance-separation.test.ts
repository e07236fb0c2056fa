import { describe, expect, it } from 'vitest';
import { labelRegions } from '../../../daemon/src/effects/matte/connected-regions.ts';
import { numberCandidates, regionCandidates } from '../../../daemon/src/effects/matte/region-candidates.ts';
import { chooseSubject, colourSignature, parseSelection, signatureSimilarity } from '../../../daemon/src/effects/matte/select-subject.ts';
import { createPlane, type Plane } from '../../../daemon/src/effects/matte/matte-types.ts';
import { parseClasses } from '../../../daemon/src/effects/matte/class-names.ts';
import { discAlpha, paintFrame } from './synthetic.ts';

function discs(w: number, h: number, list: [number, number, number][]): Plane {
  const p = createPlane(w, h);
  for (const [cx, cy, r] of list) {
    const a = discAlpha(w, h, { cx, cy, r, rgb: [0, 0, 0] });
    for (let i = 0; i < a.length; i++) p.data[i] = Math.max(p.data[i], a[i]);
  }
  return p;
}

describe('connected regions', () => {
  it('labels 8-connected regions with exact areas and boxes, against a flood fill', () => {
    const w = 40, h = 30;
    const p = createPlane(w, h);
    // A U shape (one region joined at the bottom), a diagonal chain (8-connected), and a lone pixel.
    for (let y = 2; y < 12; y++) p.data[y * w + 3] = p.data[y * w + 9] = 1;
    for (let x = 3; x <= 9; x++) p.data[11 * w + x] = 1;
    for (let k = 0; k < 8; k++) p.data[(15 + k) * w + 20 + k] = 1;
    p.data[28 * w + 38] = 1;
    const r = labelRegions(p, 0.5);
    expect(r.regions.length).toBe(3);
    const areas = r.regions.map((x) => x.area).sort((a, b) => a - b);
    expect(areas).toEqual([1, 8, 25]); // 2 columns of 10 + the 5 bottom pixels between them
    const u = r.regions.find((x) => x.area === 25)!;
    expect(u.box).toEqual({ x0: 3, y0: 2, x1: 10, y1: 12 });
    // Every pixel of one region has the same label, and different regions differ.
    expect(r.labels[2 * w + 3]).toBe(r.labels[2 * w + 9]);
    expect(r.labels[15 * w + 20]).toBe(r.labels[22 * w + 27]);
    expect(r.labels[15 * w + 20]).not.toBe(r.labels[2 * w + 3]);
  });

  it('drops regions below the minimum area', () => {
    const p = discs(50, 40, [[10, 10, 6], [40, 30, 1]]);
    const r = labelRegions(p, 0.5, 20);
    expect(r.regions.length).toBe(1);
  });
});

describe('instance separation and selection', () => {
  const W = 120, H = 80;
  const map = discs(W, H, [[30, 40, 15], [85, 35, 20], [100, 70, 6]]);

  it('splits one class map into one candidate per region, each with its soft edge', () => {
    const cands = numberCandidates(regionCandidates(map, { classId: 1, label: 'person' }));
    expect(cands.map((c) => c.id)).toEqual([1, 2, 3]);
    // Largest first; each mask holds only its own disc.
    const big = cands[0];
    expect(big.box.x0).toBeGreaterThan(60);
    expect(big.mask.data[35 * W + 85]).toBeCloseTo(1, 5);
    expect(big.mask.data[40 * W + 30]).toBe(0);
    // Soft edge values are kept (partial coverage at the rim).
    const rim = Array.from(big.mask.data).filter((v) => v > 0.05 && v < 0.95).length;
    expect(rim).toBeGreaterThan(20);
  });

  it('chooses by point (the region under it), by box (best overlap, clipped), by number, or all', () => {
    const cands = numberCandidates(regionCandidates(map, { classId: 1, label: 'person' }));
    const byPoint = chooseSubject(cands, parseSelection({ point: '30,40', box: '', instance: 0 }, null, 1, 1, W, H), W, H)!;
    expect(byPoint.candidates[0].box.x1).toBeLessThan(50);
    // A point just outside a disc picks the nearest one.
    const near = chooseSubject(cands, parseSelection({ point: '47,40', box: '', instance: 0 }, null, 1, 1, W, H), W, H)!;
    expect(near.candidates[0].box.x1).toBeLessThan(50);
    const byBox = chooseSubject(cands, parseSelection({ point: '', box: '62,12,108,58', instance: 0 }, null, 1, 1, W, H), W, H)!;
    expect(byBox.candidates[0].box.x0).toBeGreaterThan(60);
    expect(byBox.mask.data[70 * W + 100]).toBe(0);
    const byNumber = chooseSubject(cands, parseSelection({ point: '', box: '', instance: 3 }, null, 1, 1, W, H), W, H)!;
    expect(byNumber.candidates[0].area).toBeLessThan(200);
    const all = chooseSubject(cands, parseSelection({ point: '', box: '', instance: 0 }, null, 1, 1, W, H), W, H)!;
    expect(all.candidates.length).toBe(3);
    expect(all.mask.data[40 * W + 30]).toBeGreaterThan(0.99);
    expect(all.mask.data[35 * W + 85]).toBeGreaterThan(0.99);
  });

  it('scales source-pixel points to the processing size and rejects bad selections', () => {
    const sel = parseSelection({ point: '60,80', box: '', instance: 0 }, null, 0.5, 0.5, W, H);
    expect(sel.point).toEqual({ x: 30, y: 40 });
    expect(() => parseSelection({ point: '12', box: '', instance: 0 }, null, 1, 1, W, H)).toThrow(/--point/);
    expect(() => parseSelection({ point: '500,10', box: '', instance: 0 }, null, 1, 1, W, H)).toThrow(/outside/);
    const cands = numberCandidates(regionCandidates(map, { classId: 1, label: 'person' }));
    let err: unknown;
    try {
      chooseSubject(cands, parseSelection({ point: '', box: '', instance: 9 }, null, 1, 1, W, H), W, H);
    } catch (e) {
      err = e;
    }
    expect((err as { code: string }).code).toBe('PARAM_INVALID');
    expect((err as { hint: string }).hint).toMatch(/--list/);
  });

  it('parses class names of each family, with synonyms, and names the valid ones on error', () => {
    expect(parseClasses('person,car', 'instance')).toEqual([1, 3]);
    expect(parseClasses('person, motorcycle', 'semantic')).toEqual([15, 14]);
    expect(parseClasses('', 'semantic')).toBeNull();
    expect(() => parseClasses('unicorn', 'instance')).toThrow(/not a class[\s\S]*/);
  });

  it('tells subjects apart by colour signature', () => {
    const img = paintFrame(W, H, [{ cx: 30, cy: 40, r: 15, rgb: [220, 30, 30] }, { cx: 85, cy: 35, r: 20, rgb: [150, 40, 200] }]);
    const a = discs(W, H, [[30, 40, 12]]);
    const b = discs(W, H, [[85, 35, 16]]);
    const a2 = discs(W, H, [[31, 41, 11]]);
    const sa = colourSignature(img, a), sb = colourSignature(img, b), sa2 = colourSignature(img, a2);
    expect(signatureSimilarity(sa, sa2)).toBeGreaterThan(0.9);
    expect(signatureSimilarity(sa, sb)).toBeLessThan(0.3);
  });
});
