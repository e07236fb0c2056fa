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

/** For each output coordinate along an axis of `size` input pixels: its taps' (clamped) input indices and weights, `taps` per coordinate. */
function axisTable(size: number, scale: number): { index: Int32Array; weight: Float32Array; taps: number } {
  const phases = lanczosPhases(scale);
  const taps = Math.max(...phases.map((p) => p.offsets.length));
  const n = size * scale;
  const index = new Int32Array(n * taps);
  const weight = new Float32Array(n * taps); // unused taps keep weight 0 (and index 0)
  for (let o = 0; o < n; o++) {
    const i = Math.floor(o / scale);
    const { offsets, weights } = phases[o - i * scale];
    for (let t = 0; t < offsets.length; t++) {
      index[o * taps + t] = Math.min(size - 1, Math.max(0, i + offsets[t]));
      weight[o * taps + t] = weights[t];
    }
  }
  return { index, weight, taps };
}

/** Enlarges by an integer `scale` with Lanczos-3 (edge pixels repeated); keeps channels and bit depth. */
export function lanczosUpscale<T extends PixelImage>(img: T, scale: number): T {
  const { width: w, height: h, channels: c } = img;
  const ow = w * scale;
  const oh = h * scale;
  const src = img.data;
  // Vertical pass first, into floats (oh × w), then horizontal with rounding and clamping; index and
  // weight tables are computed once per axis, so the inner loops are plain multiply-adds.
  const v = axisTable(h, scale);
  const tmp = new Float32Array(oh * w * c);
  const rowLen = w * c;
  for (let y = 0; y < oh; y++) {
    const d = y * rowLen;
    for (let t = 0; t < v.taps; t++) {
      const wt = v.weight[y * v.taps + t];
      if (wt === 0) continue;
      const s = v.index[y * v.taps + t] * rowLen;
      for (let k = 0; k < rowLen; k++) tmp[d + k] += src[s + k] * wt;
    }
  }
  const hz = axisTable(w, scale);
  const max = is16(img) ? 65535 : 255;
  const out = is16(img) ? new Uint16Array(ow * oh * c) : new Uint8Array(ow * oh * c);
  const T = hz.taps;
  // Interior columns read their taps from consecutive pixels: offsets of tap 0 per phase, and the weights.
  const phases = lanczosPhases(scale);
  const fast = T === 6 && phases.every((p) => p.offsets.length === 6);
  const lo = fast ? Math.max(...phases.map((p) => -p.offsets[0])) : 0; // first input index whose taps need no clamping
  const hi = fast ? w - 1 - Math.max(...phases.map((p) => p.offsets[5])) : -1;
  for (let y = 0; y < oh; y++) {
    const row = y * rowLen;
    let d = y * ow * c;
    for (let x = 0; x < ow; x++, d += c) {
      const i = (x / scale) | 0;
      if (fast && i >= lo && i <= hi) {
        const ph = phases[x - i * scale];
        const wt = ph.weights;
        const w0 = wt[0], w1 = wt[1], w2 = wt[2], w3 = wt[3], w4 = wt[4], w5 = wt[5];
        let b = row + (i + ph.offsets[0]) * c;
        for (let ch = 0; ch < c; ch++, b++) {
          const acc = 0.5 + tmp[b] * w0 + tmp[b + c] * w1 + tmp[b + 2 * c] * w2 + tmp[b + 3 * c] * w3 + tmp[b + 4 * c] * w4 + tmp[b + 5 * c] * w5;
          out[d + ch] = acc <= 0 ? 0 : acc >= max ? max : acc;
        }
        continue;
      }
      const tb = x * T;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0.5;
        for (let t = 0; t < T; t++) acc += tmp[row + hz.index[tb + t] * c + ch] * hz.weight[tb + t];
        out[d + ch] = acc <= 0 ? 0 : acc >= max ? max : acc;
      }
    }
  }
  return { width: ow, height: oh, channels: c, data: out } as T;
}
