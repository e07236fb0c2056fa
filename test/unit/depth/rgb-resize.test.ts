import { describe, expect, it } from 'vitest';
import { depthToImage } from '../../../daemon/src/effects/depth/depth-image.ts';
import { applyCoefficients, applyToGreyCodes, luminance01 } from '../../../daemon/src/effects/depth/guided-upsample.ts';
import { lumaToPlane, resizeChannelToPlane, resizeRgb8ToPlanes, resizeRgb8ToPlanesAndLuma } from '../../../daemon/src/effects/depth/rgb-resize.ts';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';

function rgb(w: number, h: number, seed: number): Uint8Array {
  let s = seed;
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    d[i] = (((i / 3) % w) * 3 + (s >>> 27)) & 255;
  }
  return d;
}

/** Reference: planes first (float64 arithmetic in resizePlanes' float32 buffers), then the separable resize. */
function planesOf(d: Uint8Array, w: number, h: number): Float32Array {
  const n = w * h;
  const p = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) p[c * n + i] = d[3 * i + c];
  return p;
}

describe('depth resizes straight from interleaved bytes', () => {
  const W = 97;
  const H = 61;
  const data = rgb(W, H, 3);

  it('RGB planes and working-grid luminance match the plane-by-plane resize of runtime/resize.ts', () => {
    const ref = resizePlanes(planesOf(data, W, H), 3, H, W, 27, 40, 'bilinear');
    const got = resizeRgb8ToPlanes(data, W, H, 3, 40, 27);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-3);
    const lumRef = resizePlanes(luminance01(data, W, H, 3), 1, H, W, 27, 43, 'bilinear');
    const lum = lumaToPlane(data, W, H, 3, 43, 27);
    for (let i = 0; i < lumRef.length; i++) expect(Math.abs(lum[i] - lumRef[i])).toBeLessThan(1e-5);
    const codes = Uint16Array.from({ length: W * H }, (_, i) => (i * 977) % 65536);
    const chRef = resizePlanes(Float32Array.from(codes, (v) => v / 65535), 1, H, W, 27, 43, 'bilinear');
    const ch = resizeChannelToPlane(codes, W, H, 1, 43, 27, 1 / 65535);
    for (let i = 0; i < chRef.length; i++) expect(Math.abs(ch[i] - chRef[i])).toBeLessThan(1e-5);
  });

  it('the shared pass gives exactly the network planes and the luminance of the separate functions', () => {
    const { planes, luma } = resizeRgb8ToPlanesAndLuma(data, W, H, 3, 40, 27, 43);
    expect(Buffer.from(planes.buffer).equals(Buffer.from(resizeRgb8ToPlanes(data, W, H, 3, 40, 27).buffer))).toBe(true);
    expect(Buffer.from(luma.buffer).equals(Buffer.from(lumaToPlane(data, W, H, 3, 43, 27).buffer))).toBe(true);
  });

  it('the fused full-resolution pass equals applyCoefficients on the luminance then depthToImage (±1 code)', () => {
    const w = 31;
    const h = 19;
    let s = 9;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const a = Float32Array.from({ length: w * h }, () => 2 * rnd() - 1);
    const b = Float32Array.from({ length: w * h }, () => 1.2 * rnd() - 0.1);
    const lum = luminance01(data, W, H, 3);
    for (const invert of [false, true]) {
      for (const bits of [16, 8] as const) {
        const ref = depthToImage(applyCoefficients(a, b, w, h, lum, W, H), W, H, bits, invert).data;
        const got = applyToGreyCodes(a, b, w, h, data, 3, W, H, bits, invert);
        expect(got).toBeInstanceOf(bits === 16 ? Uint16Array : Uint8Array);
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        expect(worst).toBeLessThanOrEqual(1);
        // a = null: bilinear B alone
        const bil = depthToImage(resizePlanes(b, 1, h, w, H, W, 'bilinear'), W, H, bits, invert).data;
        const gotB = applyToGreyCodes(null, b, w, h, data, 3, W, H, bits, invert);
        worst = 0;
        for (let i = 0; i < bil.length; i++) worst = Math.max(worst, Math.abs(gotB[i] - bil[i]));
        expect(worst).toBeLessThanOrEqual(1);
      }
    }
  });
});
