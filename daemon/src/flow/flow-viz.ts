/**
 * The Middlebury flow colour coding (Baker et al., "A Database and Evaluation Methodology for
 * Optical Flow", IJCV 2011): hue gives the direction, saturation the magnitude relative to the
 * largest motion. The colour wheel has 55 entries: 15 red→yellow, 6 yellow→green, 4 green→cyan,
 * 11 cyan→blue, 13 blue→magenta, 6 magenta→red. Right (+u) is red, down (+v) is yellowish green,
 * left is cyan/blue, up is violet; zero motion is white.
 */
import type { Image8 } from '../core/image.ts';
import type { FlowField } from './types.ts';
import { FLO_UNKNOWN_THRESHOLD } from './flo-file.ts';

const RY = 15, YG = 6, GC = 4, CB = 11, BM = 13, MR = 6;
/** Number of colours on the wheel (55). */
export const WHEEL_SIZE = RY + YG + GC + CB + BM + MR;

/** The colour wheel, [WHEEL_SIZE][r, g, b] in 0..255. */
export function colorWheel(): number[][] {
  const wheel: number[][] = [];
  for (let i = 0; i < RY; i++) wheel.push([255, Math.floor((255 * i) / RY), 0]);
  for (let i = 0; i < YG; i++) wheel.push([255 - Math.floor((255 * i) / YG), 255, 0]);
  for (let i = 0; i < GC; i++) wheel.push([0, 255, Math.floor((255 * i) / GC)]);
  for (let i = 0; i < CB; i++) wheel.push([0, 255 - Math.floor((255 * i) / CB), 255]);
  for (let i = 0; i < BM; i++) wheel.push([Math.floor((255 * i) / BM), 0, 255]);
  for (let i = 0; i < MR; i++) wheel.push([255, 0, 255 - Math.floor((255 * i) / MR)]);
  return wheel;
}

const WHEEL = colorWheel();

/**
 * Colour of one normalised vector (|(fx, fy)| ≤ 1 for in-range motion), as in the reference
 * `computeColor`: hue from atan2(−fy, −fx), interpolated between wheel entries, desaturated
 * towards white for short vectors, darkened beyond the range. Writes r, g, b into `out` at `o`.
 */
export function flowColor(fx: number, fy: number, out: Uint8Array, o: number): void {
  const rad = Math.sqrt(fx * fx + fy * fy);
  const a = Math.atan2(-fy, -fx) / Math.PI; // −1..1
  const fk = ((a + 1) / 2) * (WHEEL_SIZE - 1);
  const k0 = Math.floor(fk);
  const k1 = k0 + 1 === WHEEL_SIZE ? 0 : k0 + 1;
  const f = fk - k0;
  for (let c = 0; c < 3; c++) {
    let col = ((1 - f) * WHEEL[k0][c] + f * WHEEL[k1][c]) / 255;
    if (rad <= 1) col = 1 - rad * (1 - col);
    else col *= 0.75;
    out[o + c] = Math.floor(255 * col);
  }
}

export interface FlowVizOptions {
  /** Magnitude that maps to full saturation; default: the largest magnitude in the field (at least 1e-6). */
  maxMagnitude?: number;
}

/** Colour-codes a flow field (unknown vectors, > 1e9, become black). */
export function flowToColor(flow: FlowField, opts: FlowVizOptions = {}): Image8 {
  const { width, height, u, v } = flow;
  const n = width * height;
  let maxRad = opts.maxMagnitude ?? 0;
  if (opts.maxMagnitude === undefined) {
    for (let i = 0; i < n; i++) {
      if (!known(u[i], v[i])) continue;
      const r = Math.sqrt(u[i] * u[i] + v[i] * v[i]);
      if (r > maxRad) maxRad = r;
    }
  }
  const scale = 1 / Math.max(maxRad, 1e-6);
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    if (!known(u[i], v[i])) continue;
    flowColor(u[i] * scale, v[i] * scale, data, 3 * i);
  }
  return { width, height, channels: 3, data };
}

function known(a: number, b: number): boolean {
  return Math.abs(a) < FLO_UNKNOWN_THRESHOLD && Math.abs(b) < FLO_UNKNOWN_THRESHOLD;
}
