import { describe, expect, it } from 'vitest';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';

/** float64 reference: antialiased triangle filter, same definition, written plainly. */
function refResize1d(src: number[], n: number): number[] {
  const scale = src.length / n;
  const support = Math.max(1, scale);
  const out: number[] = [];
  for (let o = 0; o < n; o++) {
    const c = (o + 0.5) * scale;
    let acc = 0;
    let sum = 0;
    for (let i = 0; i < src.length; i++) {
      const x = Math.abs(i + 0.5 - c) / support;
      const w = x < 1 ? 1 - x : 0;
      acc += w * src[i];
      sum += w;
    }
    out.push(acc / sum);
  }
  return out;
}

describe('resizePlanes', () => {
  it('matches a float64 separable reference when enlarging and shrinking', () => {
    const h = 7;
    const w = 11;
    const src = new Float32Array(h * w).map((_, i) => Math.sin(i * 0.37) * 100);
    for (const [nh, nw] of [[14, 23], [3, 4], [7, 5]]) {
      const got = resizePlanes(src, 1, h, w, nh, nw);
      // reference: rows then columns
      const rows: number[][] = [];
      for (let y = 0; y < h; y++) rows.push(refResize1d(Array.from(src.subarray(y * w, y * w + w)), nw));
      for (let x = 0; x < nw; x++) {
        const col = refResize1d(rows.map((r) => r[x]), nh);
        for (let y = 0; y < nh; y++) expect(got[y * nw + x]).toBeCloseTo(col[y], 3);
      }
    }
  });

  it('keeps a constant image constant and leaves same-size input unchanged', () => {
    const src = new Float32Array(3 * 20 * 30).fill(0.25);
    const up = resizePlanes(src, 3, 20, 30, 45, 61, 'bicubic');
    for (const v of up) expect(v).toBeCloseTo(0.25, 5);
    const same = resizePlanes(src, 3, 20, 30, 20, 30);
    expect(same).toEqual(src);
  });
});
