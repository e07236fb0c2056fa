/**
 * Dense Inverse Search, step 3 (Kroeger et al. 2016, §2.3): variational refinement of the dense flow
 * by minimising, around the current estimate (u, v), for an increment (du, dv):
 *
 *   E = Σ δ·Ψ(c²/|∇I|²) + γ·Ψ(cx²/|∇Ix|² + cy²/|∇Iy|²) + α·Ψ(|∇(u+du)|² + |∇(v+dv)|²),   Ψ(s²) = √(s² + ε²)
 *
 * with the linearised brightness residual c = Iz + Ix·du + Iy·dv and gradient residuals cx, cy
 * (brightness and gradient constancy, each normalised by its gradient magnitude as in Zimmer et al.
 * 2011). Lagged-diffusivity fixed-point iterations freeze the robust weights; each inner linear
 * system is solved by a few red–black SOR sweeps. Derivatives are taken on the average of I0 and
 * the warped I1 (central differences).
 */
import type { Plane } from './gray-pyramid.ts';
import { NO_POOL, type Pool } from './buffer-pool.ts';

export interface RefineParams {
  /** Smoothness weight α. */
  alpha: number;
  /** Brightness-constancy weight δ. */
  delta: number;
  /** Gradient-constancy weight γ. */
  gamma: number;
  /** Fixed-point (outer) iterations; 0 disables the refinement. */
  iterations: number;
  /** SOR sweeps per fixed-point iteration. */
  sorIterations: number;
  /** SOR relaxation factor. */
  omega: number;
}

const ZETA2 = 0.1 * 0.1;
const EPS2 = 0.001 * 0.001;

/** Bilinear sample of `src` at (x + u, y + v) for every pixel, coordinates clamped to the image. */
export function warpClamped(src: Plane, u: Float32Array, v: Float32Array, out: Float32Array = new Float32Array(src.width * src.height)): Float32Array {
  const { width: w, height: h, data: s } = src;
  const xmax = w - 1, ymax = h - 1;
  const dx = w > 1 ? 1 : 0, dy = h > 1 ? w : 0;
  for (let y = 0, o = 0; y < h; y++) {
    for (let x = 0; x < w; x++, o++) {
      let mx = x + u[o], my = y + v[o];
      mx = mx < 0 ? 0 : mx > xmax ? xmax : mx;
      my = my < 0 ? 0 : my > ymax ? ymax : my;
      let x0 = mx | 0, y0 = my | 0;
      // On the last row/column step one back so the 2×2 footprint stays inside (weight of the far tap is 1).
      if (x0 === xmax && x0 > 0) x0--;
      if (y0 === ymax && y0 > 0) y0--;
      const fx = mx - x0, fy = my - y0;
      const p = y0 * w + x0;
      const top = s[p] + fx * (s[p + dx] - s[p]);
      const bot = s[p + dy] + fx * (s[p + dy + dx] - s[p + dy]);
      out[o] = top + fy * (bot - top);
    }
  }
  return out;
}

/** Centred differences (I(x+1) − I(x−1)) / 2 along x and y, replicated border. */
function centralDiff(s: Float32Array, w: number, h: number, gx: Float32Array | null, gy: Float32Array | null): void {
  for (let y = 0; y < h; y++) {
    const r = y * w;
    const up = (y > 0 ? y - 1 : 0) * w, dn = (y < h - 1 ? y + 1 : y) * w;
    if (gx) {
      gx[r] = 0.5 * (s[r + (w > 1 ? 1 : 0)] - s[r]);
      for (let x = 1; x < w - 1; x++) gx[r + x] = 0.5 * (s[r + x + 1] - s[r + x - 1]);
      if (w > 1) gx[r + w - 1] = 0.5 * (s[r + w - 1] - s[r + w - 2]);
    }
    if (gy) for (let x = 0; x < w; x++) gy[r + x] = 0.5 * (s[dn + x] - s[up + x]);
  }
}

/** Normalised constancy coefficients: each constraint row (a, b, c) divided by √(a² + b² + ζ²). */
interface DataCoefficients {
  bx: Float32Array; by: Float32Array; bz: Float32Array;
  gxx: Float32Array; gxy: Float32Array; gxz: Float32Array;
  gyx: Float32Array; gyy: Float32Array; gyz: Float32Array;
}

function dataCoefficients(i0: Plane, i1: Plane, u: Float32Array, v: Float32Array, pool: Pool, key: string): DataCoefficients {
  const { width: w, height: h } = i0;
  const n = w * h;
  const a0 = i0.data;
  const f = (name: string) => pool.f32(`${key}.${name}`, n);
  const warped = warpClamped(i1, u, v, f('warped'));
  const iz = f('iz');
  const avg = warped; // reused in place: avg[i] is read only after iz[i] is taken
  for (let i = 0; i < n; i++) {
    const b = warped[i];
    iz[i] = b - a0[i];
    avg[i] = 0.5 * (b + a0[i]);
  }
  const ix = f('ix'), iy = f('iy');
  centralDiff(avg, w, h, ix, iy);
  const ixz = f('ixz'), iyz = f('iyz');
  centralDiff(iz, w, h, ixz, iyz);
  const ixx = f('ixx'), ixy = f('ixy'), iyy = f('iyy');
  centralDiff(ix, w, h, ixx, ixy);
  centralDiff(iy, w, h, null, iyy);
  // Normalise in place (ix→bx, …): every array is read at index i only before it is written there.
  const gyx = f('gyx');
  for (let i = 0; i < n; i++) {
    const x = ix[i], y = iy[i];
    let s = 1 / Math.sqrt(x * x + y * y + ZETA2);
    ix[i] = x * s; iy[i] = y * s; iz[i] *= s;
    const xx = ixx[i], xy = ixy[i], yy = iyy[i];
    s = 1 / Math.sqrt(xx * xx + xy * xy + ZETA2);
    ixx[i] = xx * s; ixy[i] = xy * s;
    const s2 = 1 / Math.sqrt(yy * yy + xy * xy + ZETA2);
    gyx[i] = xy * s2; iyy[i] = yy * s2;
    iyz[i] *= s2; ixz[i] *= s;
  }
  return { bx: ix, by: iy, bz: iz, gxx: ixx, gxy: ixy, gxz: ixz, gyx, gyy: iyy, gyz: iyz };
}

interface System {
  i11: Float32Array; a12: Float32Array; i22: Float32Array; b1: Float32Array; b2: Float32Array;
  /** Edge weights to the right / below, padded like du/dv. */
  wh: Float32Array; wv: Float32Array;
}

/**
 * One fused pass: smoothness weight of each pixel's right/down edges from u + du, the data terms at
 * the current increment, and the fixed part of the smoothness folded into the right-hand side.
 * The diagonal is stored inverted for the SOR.
 */
function buildSystem(c: DataCoefficients, u: Float32Array, v: Float32Array, du: Float32Array, dv: Float32Array, w: number, h: number, off: number, p: RefineParams, s: System): void {
  const d2 = p.delta / 2, g2 = p.gamma / 2, al2 = p.alpha / 2;
  const { bx, by, bz, gxx, gxy, gxz, gyx, gyy, gyz } = c;
  const { i11, a12, i22, b1, b2, wh, wv } = s;
  for (let y = 0; y < h; y++) {
    const lastRow = y === h - 1;
    for (let x = 0, o = y * w; x < w; x++, o++) {
      const q = o + off;
      const dU = du[q], dV = dv[q];
      const uo = u[o], vo = v[o];
      // Smoothness weight of this pixel's forward edges.
      let ux = 0, vx = 0, uy = 0, vy = 0;
      const lastCol = x === w - 1;
      if (!lastCol) { ux = u[o + 1] + du[q + 1] - uo - dU; vx = v[o + 1] + dv[q + 1] - vo - dV; }
      if (!lastRow) { uy = u[o + w] + du[q + w] - uo - dU; vy = v[o + w] + dv[q + w] - vo - dV; }
      const ws = al2 / Math.sqrt(ux * ux + vx * vx + uy * uy + vy * vy + EPS2);
      const er = lastCol ? 0 : ws, ed = lastRow ? 0 : ws;
      wh[q] = er; wv[q] = ed;
      const el = wh[q - 1], eu = wv[q - w];
      // Brightness constancy.
      const nx = bx[o], ny = by[o], nz = bz[o];
      const cb = nz + nx * dU + ny * dV;
      const wb = d2 / Math.sqrt(cb * cb + EPS2);
      // Gradient constancy.
      const p1 = gxx[o], p2 = gxy[o], p3 = gxz[o], q1 = gyx[o], q2 = gyy[o], q3 = gyz[o];
      const cx = p3 + p1 * dU + p2 * dV, cy = q3 + q1 * dU + q2 * dV;
      const wg = g2 / Math.sqrt(cx * cx + cy * cy + EPS2);
      // Fixed part of the smoothness: Σ_edges w·(neighbour − centre) of (u, v).
      let su = 0, sv = 0;
      if (er) { su += er * (u[o + 1] - uo); sv += er * (v[o + 1] - vo); }
      if (el) { su += el * (u[o - 1] - uo); sv += el * (v[o - 1] - vo); }
      if (ed) { su += ed * (u[o + w] - uo); sv += ed * (v[o + w] - vo); }
      if (eu) { su += eu * (u[o - w] - uo); sv += eu * (v[o - w] - vo); }
      const sw = er + el + ed + eu;
      i11[o] = 1 / (wb * nx * nx + wg * (p1 * p1 + q1 * q1) + ZETA2 + sw);
      i22[o] = 1 / (wb * ny * ny + wg * (p2 * p2 + q2 * q2) + ZETA2 + sw);
      a12[o] = wb * nx * ny + wg * (p1 * p2 + q1 * q2);
      b1[o] = su - wb * nz * nx - wg * (p1 * p3 + q1 * q3);
      b2[o] = sv - wb * nz * ny - wg * (p2 * p3 + q2 * q3);
    }
  }
}

/** One colour of one row of a red–black SOR sweep (colour 0: pixels with (x + y) even). */
function relaxRow(s: System, du: Float32Array, dv: Float32Array, w: number, off: number, omega: number, y: number, color: number): void {
  const { i11, a12, i22, b1, b2, wh, wv } = s;
  for (let o = y * w + ((y + color) & 1), end = y * w + w; o < end; o += 2) {
    const q = o + off;
    const er = wh[q], el = wh[q - 1], ed = wv[q], eu = wv[q - w];
    const sigU = er * du[q + 1] + el * du[q - 1] + ed * du[q + w] + eu * du[q - w];
    const sigV = er * dv[q + 1] + el * dv[q - 1] + ed * dv[q + w] + eu * dv[q - w];
    const u0 = du[q], v0 = dv[q], c = a12[o];
    const un = u0 + omega * ((b1[o] + sigU - c * v0) * i11[o] - u0);
    du[q] = un;
    dv[q] = v0 + omega * ((b2[o] + sigV - c * un) * i22[o] - v0);
  }
}

/**
 * `sweeps` red–black SOR sweeps on the coupled 2×2 per-pixel systems, as a wavefront: sweep k runs
 * two rows behind sweep k−1 and each sweep does its black row one behind its red row. Every update
 * then sees exactly the values it would in plain sweep-after-sweep order, but all sweeps share one
 * pass through the cache instead of 2·sweeps passes over the whole image (the solver is memory-bound).
 */
function sorSweeps(s: System, du: Float32Array, dv: Float32Array, w: number, h: number, off: number, omega: number, sweeps: number): void {
  for (let r = 0, last = h + 2 * sweeps; r < last; r++) {
    for (let k = 0; k < sweeps; k++) {
      const red = r - 2 * k;
      if (red >= 0 && red < h) relaxRow(s, du, dv, w, off, omega, red, 0);
      const black = red - 1;
      if (black >= 0 && black < h) relaxRow(s, du, dv, w, off, omega, black, 1);
    }
  }
}

/** Refines (u, v) in place. */
export function variationalRefine(i0: Plane, i1: Plane, u: Float32Array, v: Float32Array, p: RefineParams, pool: Pool = NO_POOL, key = 'refine'): void {
  if (p.iterations <= 0) return;
  const { width: w, height: h } = i0;
  const n = w * h;
  const coef = dataCoefficients(i0, i1, u, v, pool, key);
  // Padded increments and edge weights: pixel o lives at o + off, so o ± 1 and o ± w stay in range
  // and the padding (always 0) acts as missing neighbours.
  const off = w + 1;
  const len = n + 2 * off;
  const f = (name: string, length: number, zero = false) => pool.f32(`${key}.${name}`, length, zero);
  const du = f('du', len, true), dv = f('dv', len, true);
  const sys: System = {
    i11: f('i11', n), a12: f('a12', n), i22: f('i22', n), b1: f('b1', n), b2: f('b2', n),
    // The padding of the edge weights must read 0 (missing neighbours).
    wh: f('wh', len, true), wv: f('wv', len, true),
  };
  for (let it = 0; it < p.iterations; it++) {
    buildSystem(coef, u, v, du, dv, w, h, off, p, sys);
    sorSweeps(sys, du, dv, w, h, off, p.omega, p.sorIterations);
  }
  for (let o = 0; o < n; o++) {
    u[o] += du[o + off];
    v[o] += dv[o + off];
  }
}
