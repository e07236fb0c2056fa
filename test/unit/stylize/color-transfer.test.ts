import { describe, expect, it } from 'vitest';
import { matchHistogram, preserveLuminance, ycbcrStats } from '../../../daemon/src/effects/stylize/color-transfer.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';

function image(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Image8 {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { width: w, height: h, channels: 3, data };
}

/** float64 reference of BT.709 luma/chroma. */
function ycc(r: number, g: number, b: number): [number, number, number] {
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return [y, (b - y) / 1.8556, (r - y) / 1.5748];
}

describe('colour controls', () => {
  // a source with a warm palette, a stylized frame with a blue cast and strong texture
  const source = image(40, 30, (x, y) => [150 + x, 100 + y, 110]);
  const styled = image(40, 30, (x, y) => [40 + ((x * 7) % 50), 60 + ((y * 11) % 40), 200 - ((x + y) % 30)]);

  it('luminance mode: luma from the style, chroma from the source', () => {
    const out = preserveLuminance(styled, source);
    let maxY = 0;
    let maxC = 0;
    for (let i = 0; i < 40 * 30; i++) {
      const o = ycc(out.data[3 * i], out.data[3 * i + 1], out.data[3 * i + 2]);
      const s = ycc(styled.data[3 * i], styled.data[3 * i + 1], styled.data[3 * i + 2]);
      const src = ycc(source.data[3 * i], source.data[3 * i + 1], source.data[3 * i + 2]);
      maxY = Math.max(maxY, Math.abs(o[0] - s[0]));
      // chroma may clip where luma+chroma leaves 0..255; this palette stays inside
      maxC = Math.max(maxC, Math.abs(o[1] - src[1]), Math.abs(o[2] - src[2]));
    }
    expect(maxY).toBeLessThan(1);
    expect(maxC).toBeLessThan(1);
  });

  it("histogram mode: chroma statistics follow the source, luma keeps the style's contrast", () => {
    const out = matchHistogram(styled, source);
    const so = ycbcrStats(out);
    const ss = ycbcrStats(source);
    const st = ycbcrStats(styled);
    expect(so.mean[0]).toBeCloseTo(ss.mean[0], 0);
    expect(so.mean[1]).toBeCloseTo(ss.mean[1], 0);
    expect(so.mean[2]).toBeCloseTo(ss.mean[2], 0);
    expect(so.std[1]).toBeCloseTo(ss.std[1], 0);
    expect(so.std[0]).toBeCloseTo(st.std[0], 0);
  });
});
