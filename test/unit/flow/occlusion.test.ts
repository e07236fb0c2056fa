import { describe, expect, it } from 'vitest';
import { confidenceMask } from '../../../daemon/src/flow/occlusion.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import { estimatePair, type FlowField } from '../../../daemon/src/flow/types.ts';
import { constantFlow, textureFn } from './helpers.ts';
import type { FloatImage } from '../../../daemon/src/core/image.ts';

const W = 96, H = 64;
const SIDE = 20, X0 = 30, Y0 = 22, D = 6; // square at (30, 22) in A, at (36, 22) in B

const inSquare = (x: number, y: number, left: number) => x >= left && x < left + SIDE && y >= Y0 && y < Y0 + SIDE;

/** Exact flows of a square moving right by D over a static background. */
function exactFlows(): { forward: FlowField; backward: FlowField } {
  const forward = constantFlow(W, H, 0, 0), backward = constantFlow(W, H, 0, 0);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    if (inSquare(x, y, X0)) forward.u[y * W + x] = D;
    if (inSquare(x, y, X0 + D)) backward.u[y * W + x] = -D;
  }
  return { forward, backward };
}

/** Textured background with a differently textured square at `left`. */
function scene(left: number): FloatImage {
  const bg = textureFn(21, 3, 10), fg = textureFn(99, 3, 10);
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
    data[(y * W + x) * 3 + c] = inSquare(x, y, left) ? 0.8 * fg(x - left, y, c) + 0.1 : bg(x, y, c);
  }
  return { width: W, height: H, channels: 3, data };
}

describe('confidenceMask (Ruder et al. consistency, on B’s grid)', () => {
  it('flags exactly the trailing edge as disoccluded and the square’s outline as motion boundary', () => {
    const { forward, backward } = exactFlows();
    const m = confidenceMask(forward, backward);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const o = y * W + x;
      // Uncovered background: where the square was in A and no longer is in B.
      const trailing = x >= X0 && x < X0 + D && y >= Y0 && y < Y0 + SIDE;
      expect(m.disoccluded[o], `disoccluded at ${x},${y}`).toBe(trailing ? 1 : 0);
      // Forward differences of ŵ jump on the column left of the square, its last column, the row above and its last row.
      const L = X0 + D, R = X0 + D + SIDE - 1, T = Y0, B = Y0 + SIDE - 1;
      const boundary = ((x === L - 1 || x === R) && y >= T && y <= B) || ((y === T - 1 || y === B) && x >= L && x <= R);
      expect(m.motionBoundary[o], `boundary at ${x},${y}`).toBe(boundary ? 1 : 0);
      expect(m.outside[o]).toBe(0);
      expect(m.trusted[o]).toBe(trailing || boundary ? 0 : 1);
      if (!m.trusted[o]) expect(m.confidence[o]).toBe(0);
    }
  });

  it('softens the mask: 1 far from untrusted pixels, between 0 and 1 next to them', () => {
    const { forward, backward } = exactFlows();
    const m = confidenceMask(forward, backward, { erode: 2, blur: 2 });
    expect(m.confidence[5 * W + 5]).toBe(1); // far away
    expect(m.confidence[(Y0 + 10) * W + X0 + D + 10]).toBe(1); // inside the square, 9 px from its outline
    // Two pixels left of the uncovered strip: within the eroded band, 0 < c < 1 only after the blur.
    let partial = 0;
    for (let i = 0; i < W * H; i++) {
      expect(m.confidence[i]).toBeGreaterThanOrEqual(0);
      expect(m.confidence[i]).toBeLessThanOrEqual(1);
      if (m.confidence[i] > 0 && m.confidence[i] < 1) partial++;
    }
    expect(partial).toBeGreaterThan(0);
    const noSoft = confidenceMask(forward, backward, { erode: 0, blur: 0 });
    for (let i = 0; i < W * H; i++) expect(noSoft.confidence[i]).toBe(noSoft.trusted[i]);
  });

  it('distrusts pixels whose motion leaves the frame', () => {
    // Whole frame moves right by 3: in B, columns 0..2 came from outside A.
    const m = confidenceMask(constantFlow(W, H, 3, 0), constantFlow(W, H, -3, 0));
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      expect(m.outside[y * W + x]).toBe(x < 3 ? 1 : 0);
      expect(m.disoccluded[y * W + x]).toBe(0);
      expect(m.motionBoundary[y * W + x]).toBe(0);
    }
  });

  it('finds the trailing edge with flows from the built-in estimator, and nothing far from the square', async () => {
    const a = scene(X0), b = scene(X0 + D);
    const { forward, backward } = await estimatePair(new BuiltinFlowEstimator({ preset: 'medium' }), a, b);
    // Sanity: the estimator sees the square move and the background stand still.
    expect(backward.u[(Y0 + 10) * W + X0 + D + 10]).toBeCloseTo(-D, 0);
    expect(Math.abs(backward.u[5 * W + 80])).toBeLessThan(0.3);
    const m = confidenceMask(forward, backward);
    let strip = 0, stripBad = 0, far = 0, farBad = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const o = y * W + x;
      if (x >= X0 + 1 && x < X0 + D - 1 && y >= Y0 + 2 && y < Y0 + SIDE - 2) {
        strip++;
        stripBad += m.trusted[o] ? 0 : 1;
      }
      const dist = Math.max(X0 - x, x - (X0 + D + SIDE - 1), Y0 - y, y - (Y0 + SIDE - 1));
      if (dist > 8) {
        far++;
        farBad += m.trusted[o] ? 0 : 1;
      }
    }
    expect(stripBad / strip).toBeGreaterThan(0.8);
    expect(farBad / far).toBeLessThan(0.02);
  });
});
