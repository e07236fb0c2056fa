import { describe, expect, it } from 'vitest';
import { consistencyTrust, matchResidual } from '../../../daemon/src/flow/dis/consistency-trust.ts';
import { luminance255 } from '../../../daemon/src/flow/dis/gray-pyramid.ts';
import { fillUntrusted } from '../../../daemon/src/flow/dis/fill-untrusted.ts';
import { render, rng, textureFn } from './helpers.ts';

/** A field from a function of the pixel position. */
function field(w: number, h: number, fn: (x: number, y: number) => [number, number]): { u: Float32Array; v: Float32Array } {
  const u = new Float32Array(w * h), v = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) [u[y * w + x], v[y * w + x]] = fn(x, y);
  return { u, v };
}

describe('forward–backward trust', () => {
  it('trusts an exact inverse pair, distrusts a contradicted region and motion leaving the frame', () => {
    const w = 60, h = 40;
    // F: a zoom about the centre (x ↦ c + 1.1 (x − c)); B: its exact inverse, as a field on the second frame.
    const c = [29.5, 19.5];
    const F = field(w, h, (x, y) => [0.1 * (x - c[0]), 0.1 * (y - c[1])]);
    const B = field(w, h, (x, y) => [(x - c[0]) / 1.1 + c[0] - x, (y - c[1]) / 1.1 + c[1] - y]);
    // Spoil B where the forward vectors of the block x ∈ [20, 30), y ∈ [10, 20) land.
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const sx = (x - c[0]) / 1.1 + c[0], sy = (y - c[1]) / 1.1 + c[1];
      if (sx >= 19 && sx < 31 && sy >= 9 && sy < 21) { B.u[y * w + x] = 5; B.v[y * w + x] = -3; }
    }
    const t = consistencyTrust(F.u, F.v, B.u, B.v, w, h, 0.5);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const tx = x + F.u[y * w + x], ty = y + F.v[y * w + x];
      const out = tx < 0 || ty < 0 || tx > w - 1 || ty > h - 1;
      const spoiled = x >= 20 && x < 30 && y >= 10 && y < 20;
      const clear = !out && !(x >= 18 && x < 32 && y >= 8 && y < 22); // away from the spoiled block's blurred edge
      if (out || spoiled) expect(t[y * w + x], `(${x}, ${y})`).toBe(0);
      else if (clear) expect(t[y * w + x], `(${x}, ${y})`).toBe(1);
    }
  });

  it('scales its test with the motion (Ruder et al.: 1% of |F|² + |B|², plus tol²)', () => {
    const w = 40, h = 10, n = w * h;
    const mk = (a: number) => ({ u: new Float32Array(n).fill(a), v: new Float32Array(n) });
    const F = mk(10), B = mk(-10.9); // mismatch 0.9 px: 0.81 ≤ 0.01·(100 + 118.8) + 0 = 2.19
    let t = consistencyTrust(F.u, F.v, B.u, B.v, w, h, 0);
    expect(t[5 * w + 5]).toBe(1);
    const B2 = mk(-11.6); // 1.6² = 2.56 > 0.01·(100 + 134.6) = 2.35
    t = consistencyTrust(F.u, F.v, B2.u, B2.v, w, h, 0);
    expect(t[5 * w + 5]).toBe(0);
    t = consistencyTrust(F.u, F.v, B2.u, B2.v, w, h, 1); // + 1 px² tolerance
    expect(t[5 * w + 5]).toBe(1);
  });
});

describe('photometric arbitration of the check', () => {
  it('measures match residuals, and lets a contradiction count only where the backward vector matches', () => {
    const w = 64, h = 48, fn = textureFn(7, 1, 14);
    // b(x) = a(x − (2, 1)): the true forward flow is (2, 1), the true backward flow (−2, −1).
    const a = luminance255(render(fn, w, h, 1)), b = luminance255(render(fn, w, h, 1, -2, -1));
    const n = w * h, c = (q: number) => new Float32Array(n).fill(q);
    const rf = matchResidual(a, b, c(2), c(1), 2), bad = matchResidual(a, b, c(-3), c(4), 2);
    const inner = 20 * w + 30;
    expect(rf[inner]).toBeLessThan(1e-3 * 255); // bilinear at integer offsets: exact inside the frame
    expect(bad[inner]).toBeGreaterThan(10 * rf[inner] + 5);
    // A backward field that is right on the left half and wrong (and badly matching) on the right half.
    const bu = c(-2), bv = c(-1);
    for (let y = 0; y < h; y++) for (let x = 32; x < w; x++) { bu[y * w + x] = 6; bv[y * w + x] = -5; }
    const rb = matchResidual(b, a, bu, bv, 2);
    const plain = consistencyTrust(c(2), c(1), bu, bv, w, h, 1);
    const arbitrated = consistencyTrust(c(2), c(1), bu, bv, w, h, 1, undefined, { forward: rf, backward: rb, factor: 2, margin: 2 });
    const at = (x: number, y: number) => y * w + x;
    expect(plain[at(10, 20)]).toBe(1);
    expect(plain[at(45, 20)]).toBe(0); // contradicted by the wrong backward vector…
    expect(arbitrated[at(45, 20)]).toBe(1); // …which matches far worse than the forward one: overruled
    expect(arbitrated[at(10, 20)]).toBe(1);
    expect(arbitrated[at(w - 1, 20)]).toBe(0); // leaving the frame stays untrusted
  });
});

describe('push–pull fill of untrusted vectors', () => {
  it('keeps trusted vectors, reproduces a constant field exactly and a smooth one closely', () => {
    const w = 97, h = 61; // odd sizes: the reduction has unpaired rows and columns
    const r = rng(3);
    const trust = Float32Array.from({ length: w * h }, () => (r() < 0.3 ? 1 : 0));
    // Plus one big hole with no trusted vector at all.
    for (let y = 20; y < 45; y++) for (let x = 30; x < 70; x++) trust[y * w + x] = 0;
    const constant = field(w, h, () => [3.25, -1.5]);
    const c = { u: constant.u.map((q, i) => (trust[i] ? q : 1e3)), v: constant.v.map((q, i) => (trust[i] ? q : -1e3)) };
    fillUntrusted(c.u, c.v, trust, w, h);
    for (let i = 0; i < w * h; i++) { expect(c.u[i]).toBeCloseTo(3.25, 4); expect(c.v[i]).toBeCloseTo(-1.5, 4); }

    const smooth = (x: number, y: number): [number, number] => [4 * Math.sin(x / 30), 3 * Math.cos(y / 25)];
    const s = field(w, h, (x, y) => (trust[y * w + x] ? smooth(x, y) : [50, 50]));
    fillUntrusted(s.u, s.v, trust, w, h);
    let holeErr = 0, holeN = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const o = y * w + x, [gu, gv] = smooth(x, y);
      if (trust[o]) { expect(s.u[o]).toBe(Math.fround(gu)); expect(s.v[o]).toBe(Math.fround(gv)); continue; }
      const e = Math.hypot(s.u[o] - gu, s.v[o] - gv);
      expect(e, `(${x}, ${y})`).toBeLessThan(2); // field range ±4: the hole is interpolated, not left at 50
      holeErr += e; holeN++;
    }
    expect(holeErr / holeN).toBeLessThan(0.6);
  });

  it('blends partial trust and leaves a field without trusted vectors unchanged', () => {
    const w = 8, h = 4;
    const u = new Float32Array(w * h).fill(2), v = new Float32Array(w * h);
    const t = new Float32Array(w * h).fill(1);
    u[0] = 10; t[0] = 0.25;
    fillUntrusted(u, v, t, w, h);
    // A quarter of its own value, three quarters of its 2×2 block's trust-weighted mean (its own quarter included).
    expect(u[0]).toBeCloseTo(0.25 * 10 + 0.75 * ((0.25 * 10 + 3 * 2) / 3.25), 5);
    expect(u[1]).toBe(2);
    const z = new Float32Array(w * h).fill(7);
    fillUntrusted(z, z.slice(), new Float32Array(w * h), w, h);
    expect(Array.from(z).every((q) => q === 7)).toBe(true);
  });
});
