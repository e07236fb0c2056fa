/**
 * warpTrust's options as temporal stylize uses them, on synthetic scenes with
 * known flow: defaults = consistency mask × photometric check (an independent
 * float64 reference); `inconsistentTrust` keeps a share of trust where only the
 * forward–backward test objects and the sources match, never where the motion
 * leaves the frame or the sources differ; `photometricRadius` lets a lone noisy
 * pixel pass while a real mismatch still fails.
 */
import { describe, expect, it } from 'vitest';
import { warpTrust } from '../../../daemon/src/flow/warp-trust.ts';
import { confidenceMask } from '../../../daemon/src/flow/occlusion.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';

const W = 48;
const H = 32;

function flow(f: (x: number, y: number) => [number, number]): FlowField {
  const u = new Float32Array(W * H), v = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) [u[y * W + x], v[y * W + x]] = f(x, y);
  return { width: W, height: H, u, v };
}

function image(f: (x: number, y: number) => number): Image8 {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(f(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { width: W, height: H, channels: 3, data };
}

/** A smooth ramp, so bilinear sampling of a shifted copy matches exactly. */
const ramp = (x: number, y: number) => 40 + 3 * x + 2 * y;
const opts = { threshold: 0.04, ramp: 0.08 };

describe('warp trust options', () => {
  it('defaults: consistency mask times the photometric check', () => {
    // The scene moves 2 px right; the backward flow points 2 px left. A 6×6 block of the
    // forward flow is wrong (inconsistent) and a 4×4 block of the current source is changed.
    const forward = flow((x, y) => (x >= 10 && x < 16 && y >= 10 && y < 16 ? [6, 0] : [2, 0]));
    const backward = flow(() => [-2, 0]);
    const prev = image(ramp);
    const cur = image((x, y) => (x >= 30 && x < 34 && y >= 20 && y < 24 ? 250 : ramp(x - 2, y)));
    const trust = warpTrust(forward, backward, prev, cur, opts);
    const conf = confidenceMask(forward, backward).confidence;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        // float64 reference: the previous source sampled at x − 2 (clamped at the edge), compared with the current one.
        const sx = Math.min(W - 1, Math.max(0, x - 2));
        const d = Math.abs(ramp(sx, y) - cur.data[3 * i]) / 255;
        const photo = d <= 0.04 ? 1 : d >= 0.12 ? 0 : 1 - (d - 0.04) / 0.08;
        expect(trust[i]).toBeCloseTo(conf[i] * photo, 5);
      }
    }
    // The changed block is untrusted; so are the pixels that entered on the left.
    expect(trust[21 * W + 31]).toBe(0);
    expect(trust[5 * W + 0]).toBe(0);
  });

  it('inconsistentTrust: a share where only the forward–backward test objects', () => {
    // Forward flow wrong in a block (inconsistent), sources agree everywhere except one block.
    const forward = flow((x, y) => (x >= 10 && x < 22 && y >= 8 && y < 20 ? [7, 3] : [2, 0]));
    const backward = flow(() => [-2, 0]);
    const prev = image(ramp);
    const cur = image((x, y) => (x >= 16 && x < 20 && y >= 12 && y < 16 ? 250 : ramp(x - 2, y)));
    const mask = confidenceMask(forward, backward, { motionBoundaries: false, erode: 1, blur: 1 });
    const trust = warpTrust(forward, backward, prev, cur, { ...opts, consistency: { motionBoundaries: false, erode: 1, blur: 1 }, inconsistentTrust: 0.5 });
    const inside = 12 * W + 13; // inconsistent (the forward flow sampled there is wrong), sources match
    expect(mask.disoccluded[inside]).toBe(1);
    expect(trust[inside]).toBeCloseTo(0.5, 5);
    expect(trust[13 * W + 17]).toBe(0); // inconsistent and the sources differ
    expect(trust[25 * W + 30]).toBeCloseTo(1, 5); // consistent, sources match
    for (let y = 0; y < H; y++) expect(trust[y * W]).toBe(0); // entered the frame: never trusted
  });

  it('photometricRadius: a lone noisy pixel passes, a mismatched block does not', () => {
    const zero = flow(() => [0, 0]);
    const prev = image(ramp);
    const cur = image((x, y) => (x === 20 && y === 10 ? ramp(x, y) + 40 : x >= 30 && x < 36 && y >= 20 && y < 26 ? ramp(x, y) + 40 : ramp(x, y)));
    const single = warpTrust(zero, zero, prev, cur, opts);
    const boxed = warpTrust(zero, zero, prev, cur, { ...opts, photometricRadius: 1 });
    expect(single[10 * W + 20]).toBe(0);
    // 40/255/9 ≈ 0.017 ≤ threshold: trusted once averaged over 3×3.
    expect(boxed[10 * W + 20]).toBeCloseTo(1, 5);
    expect(boxed[22 * W + 32]).toBe(0);
  });
});
