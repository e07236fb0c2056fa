/**
 * The classical fallback: Lanczos-3 enlargement by an integer factor, with
 * pixel CENTRES aligned (output pixel x samples the input at (x + ½)/s − ½),
 * the convention of the networks and of compositors. sharp/libvips upsizes
 * with a half-pixel offset (measured in the tests: its ×2 lands ½ px down and
 * right of the source), which would make a Lanczos layer slide against a
 * network-upscaled one, hence this small separable implementation.
 */
import type { PixelImage } from '../../core/image.ts';
import { is16 } from '../../core/image.ts';

const LOBES = 3;

function lanczos(x: number): number {
  if (x === 0) return 1;
  if (Math.abs(x) >= LOBES) return 0;
  const px = Math.PI * x;
  return (LOBES * Math.sin(px) * Math.sin(px / LOBES)) / (px * px);
}

/** Per output phase p (0..s−1): the input offsets k and normalised weights, around input pixel ⌊x/s⌋. */
export function lanczosPhases(scale: number): { offsets: number[]; weights: number[] }[] {
  const phases = [];
  for (let p = 0; p < scale; p++) {
    const d = (p + 0.5) / scale - 0.5; // sample position relative to input pixel ⌊x/s⌋
    const offsets: number[] = [];
    const weights: number[] = [];
    for (let k = Math.floor(d - LOBES) + 1; k <= Math.floor(d + LOBES); k++) {
      const w = lanczos(d - k);
      if (w !== 0) {
        offsets.push(k);
        weights.push(w);
      }
    }
    const sum = weights.reduce((a, b) => a + b, 0);
    phases.push({ offsets, weights: weights.map((w) => w / sum) });
  }
  return phases;
}

/** Enlarges by an integer `scale` with Lanczos-3 (edge pixels repeated); keeps channels and bit depth. */
export function lanczosUpscale<T extends PixelImage>(img: T, scale: number): T {
  const { width: w, height: h, channels: c } = img;
  const ow = w * scale;
  const oh = h * scale;
  const phases = lanczosPhases(scale);
  const src = img.data;
  // Horizontal pass into floats (h × ow), then vertical pass with rounding and clamping.
  const tmp = new Float32Array(h * ow * c);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      const i = Math.floor(x / scale);
      const { offsets, weights } = phases[x - i * scale];
      const d = (y * ow + x) * c;
      for (let t = 0; t < offsets.length; t++) {
        const sx = Math.min(w - 1, Math.max(0, i + offsets[t]));
        const s = (row + sx) * c;
        const wt = weights[t];
        for (let ch = 0; ch < c; ch++) tmp[d + ch] += src[s + ch] * wt;
      }
    }
  }
  const max = is16(img) ? 65535 : 255;
  const out = is16(img) ? new Uint16Array(ow * oh * c) : new Uint8Array(ow * oh * c);
  const acc = new Float64Array(ow * c);
  for (let y = 0; y < oh; y++) {
    const i = Math.floor(y / scale);
    const { offsets, weights } = phases[y - i * scale];
    acc.fill(0);
    for (let t = 0; t < offsets.length; t++) {
      const sy = Math.min(h - 1, Math.max(0, i + offsets[t]));
      const wt = weights[t];
      const base = sy * ow * c;
      for (let k = 0; k < ow * c; k++) acc[k] += tmp[base + k] * wt;
    }
    const d = y * ow * c;
    for (let k = 0; k < ow * c; k++) {
      const v = acc[k] + 0.5;
      out[d + k] = v <= 0 ? 0 : v >= max ? max : v;
    }
  }
  return { width: ow, height: oh, channels: c, data: out } as T;
}
