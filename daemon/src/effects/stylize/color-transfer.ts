/**
 * Colour controls for stylize. Some styles push the whole palette (one artist
 * wrote that a style "threw the colour balance off a cliff"); these keep the
 * source's colours while taking the style's light and texture.
 *
 * - luminance: the stylized frame's luma (BT.709) with the source's chroma.
 * - histogram: the stylized frame's colours shifted and scaled per channel in a
 *   decorrelated opponent space (Reinhard et al. 2001, in linear-free lαβ-like
 *   YCbCr) so its mean and spread match the source's.
 * All functions take interleaved 8-bit RGB and return a new image.
 */
import type { Image8 } from '../../core/image.ts';

const KR = 0.2126;
const KB = 0.0722;
const KG = 1 - KR - KB;

function clamp8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Y from `styled`, Cb/Cr from `source` (both RGB, same size). */
export function preserveLuminance(styled: Image8, source: Image8): Image8 {
  const n = styled.width * styled.height;
  const out = new Uint8Array(3 * n);
  const a = styled.data;
  const b = source.data;
  const ca = styled.channels;
  const cb = source.channels;
  for (let i = 0; i < n; i++) {
    const ia = i * ca;
    const ib = i * cb;
    const y = KR * a[ia] + KG * a[ia + 1] + KB * a[ia + 2];
    const ys = KR * b[ib] + KG * b[ib + 1] + KB * b[ib + 2];
    // keep source chroma: add the luma difference to every channel (same as swapping Y in YCbCr)
    const d = y - ys;
    out[3 * i] = clamp8(b[ib] + d);
    out[3 * i + 1] = clamp8(b[ib + 1] + d);
    out[3 * i + 2] = clamp8(b[ib + 2] + d);
  }
  return { width: styled.width, height: styled.height, channels: 3, data: out };
}

/** Per-channel mean and standard deviation in YCbCr (BT.709). */
export function ycbcrStats(img: Image8): { mean: [number, number, number]; std: [number, number, number] } {
  const n = img.width * img.height;
  const s = [0, 0, 0];
  const s2 = [0, 0, 0];
  const d = img.data;
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    const r = d[i * c];
    const g = d[i * c + 1];
    const b = d[i * c + 2];
    const y = KR * r + KG * g + KB * b;
    const cb = (b - y) / (2 * (1 - KB));
    const cr = (r - y) / (2 * (1 - KR));
    s[0] += y; s[1] += cb; s[2] += cr;
    s2[0] += y * y; s2[1] += cb * cb; s2[2] += cr * cr;
  }
  const mean = s.map((v) => v / n) as [number, number, number];
  const std = s2.map((v, k) => Math.sqrt(Math.max(0, v / n - mean[k] * mean[k]))) as [number, number, number];
  return { mean, std };
}

/**
 * Matches the colour statistics of `styled` to `source`: chroma mean and spread
 * follow the source; luma keeps the style's contrast but takes the source's
 * mean brightness, so texture survives and the palette is the source's.
 */
export function matchHistogram(styled: Image8, source: Image8): Image8 {
  const st = ycbcrStats(styled);
  const sr = ycbcrStats(source);
  const gain = [1, sr.std[1] / Math.max(st.std[1], 1e-3), sr.std[2] / Math.max(st.std[2], 1e-3)];
  const n = styled.width * styled.height;
  const out = new Uint8Array(3 * n);
  const d = styled.data;
  const c = styled.channels;
  for (let i = 0; i < n; i++) {
    const r = d[i * c];
    const g = d[i * c + 1];
    const b = d[i * c + 2];
    const y0 = KR * r + KG * g + KB * b;
    const y = y0 - st.mean[0] + sr.mean[0];
    const cb = ((b - y0) / (2 * (1 - KB)) - st.mean[1]) * gain[1] + sr.mean[1];
    const cr = ((r - y0) / (2 * (1 - KR)) - st.mean[2]) * gain[2] + sr.mean[2];
    const rr = y + 2 * (1 - KR) * cr;
    const bb = y + 2 * (1 - KB) * cb;
    const gg = (y - KR * rr - KB * bb) / KG;
    out[3 * i] = clamp8(rr);
    out[3 * i + 1] = clamp8(gg);
    out[3 * i + 2] = clamp8(bb);
  }
  return { width: styled.width, height: styled.height, channels: 3, data: out };
}
