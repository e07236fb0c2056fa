import { beforeAll, describe, expect, it } from 'vitest';
import type { Image8, Image16 } from '../../../daemon/src/core/image.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { resizeImage } from '../../../daemon/src/io/image-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { lanczosPhases, lanczosUpscale } from '../../../daemon/src/effects/upscale/lanczos-upscale.ts';
import { sharedData } from '../../helpers/shared-path.ts';
import { boxHalve, crop, shiftedMad } from './image-helpers.ts';

/** Float64 reference: 2-D Lanczos-3 at centre-aligned positions, straight from the definition (clamped edges). */
function reference(img: Image8, s: number): Float64Array {
  const L = (x: number) => (x === 0 ? 1 : Math.abs(x) >= 3 ? 0 : (3 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3)) / (Math.PI * Math.PI * x * x));
  const { width: w, height: h, channels: c } = img;
  const out = new Float64Array(w * s * h * s * c);
  for (let Y = 0; Y < h * s; Y++) for (let X = 0; X < w * s; X++) {
    const u = (X + 0.5) / s - 0.5;
    const v = (Y + 0.5) / s - 0.5;
    for (let ch = 0; ch < c; ch++) {
      let acc = 0;
      let wsum = 0;
      for (let j = Math.floor(v) - 3; j <= Math.floor(v) + 4; j++) for (let i = Math.floor(u) - 3; i <= Math.floor(u) + 4; i++) {
        const wt = L(u - i) * L(v - j);
        if (wt === 0) continue;
        acc += wt * img.data[(Math.min(h - 1, Math.max(0, j)) * w + Math.min(w - 1, Math.max(0, i))) * c + ch];
        wsum += wt;
      }
      out[(Y * w * s + X) * c + ch] = acc / wsum;
    }
  }
  return out;
}

let frame: Image8;
beforeAll(async () => {
  const info = await probeMedia(sharedData('video/bbb-opening_1280x720_24fps.mp4'));
  for await (const f of decodeFrames(info, { first: 120, last: 120, width: 640, height: 360 })) frame = f.image;
});

describe('centre-aligned Lanczos-3', () => {
  it('phase weights sum to 1 and mirror each other', () => {
    for (const s of [2, 3, 4]) {
      const ph = lanczosPhases(s);
      for (const p of ph) expect(p.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      // Phase p at +d and phase s-1-p at -d are mirror images.
      for (let p = 0; p < s; p++) {
        const a = ph[p];
        const b = ph[s - 1 - p];
        a.offsets.forEach((k, t) => expect(b.weights[b.offsets.indexOf(-k)]).toBeCloseTo(a.weights[t], 12));
      }
    }
  });

  it('matches the float64 2-D definition within rounding (×2, ×3, ×4), on a real crop', () => {
    const img = crop(frame, 380, 150, 24, 18);
    for (const s of [2, 3, 4]) {
      const out = lanczosUpscale(img, s);
      expect([out.width, out.height, out.channels]).toEqual([24 * s, 18 * s, 3]);
      const ref = reference(img, s);
      let max = 0;
      for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(out.data[i] - Math.min(255, Math.max(0, ref[i]))));
      expect(max).toBeLessThanOrEqual(1);
    }
  });

  it('keeps flat areas flat, 16-bit depth and grey channels', () => {
    const flat: Image16 = { width: 5, height: 4, channels: 1, data: new Uint16Array(20).fill(40000) };
    const out = lanczosUpscale(flat, 2);
    expect(out.data).toBeInstanceOf(Uint16Array);
    expect(out.channels).toBe(1);
    expect(new Set(out.data)).toEqual(new Set([40000]));
  });

  it('puts pixel centres where they belong (best unshifted on a ×2-reduced real frame); sharp/libvips is ½ px off', async () => {
    const truth = crop(frame, 380, 150, 192, 128);
    const small = boxHalve(truth);
    const ours = lanczosUpscale(small, 2);
    const aligned = shiftedMad(ours, truth, 0, 0);
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) expect(shiftedMad(ours, truth, dx, dy)).toBeGreaterThan(aligned * 1.5);
    // Why this exists instead of resizeImage(…, 'lanczos3'): libvips' ×2 matches the truth better one pixel up or left.
    const vips = await resizeImage(small, 192, 128, 'lanczos3');
    expect(Math.min(shiftedMad(vips, truth, 0, -1), shiftedMad(vips, truth, -1, 0))).toBeLessThan(shiftedMad(vips, truth, 0, 0));
    expect(aligned).toBeLessThan(shiftedMad(vips, truth, 0, 0));
  });
});
