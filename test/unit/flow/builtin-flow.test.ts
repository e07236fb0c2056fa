import { describe, expect, it } from 'vitest';
import { BuiltinFlowEstimator, computeBuiltinFlow } from '../../../daemon/src/flow/builtin-flow.ts';
import { endPointError } from '../../../daemon/src/flow/flow-metrics.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';
import { render, textureFn } from './helpers.ts';
import { loadSintel } from './sintel.ts';

describe('built-in DIS flow', () => {
  it('recovers an analytic rotation + zoom + shift of a smooth texture', () => {
    const W = 256, H = 192, fn = textureFn(13, 3, 14);
    // a(x) = T(x), b(x) = T(M⁻¹(x − c) + c − t): a point x of A sits at M(x − c) + c + t in B.
    const th = 0.03, s = 1.02, t = [4.3, -2.7], c = [W / 2, H / 2];
    const m = [s * Math.cos(th), -s * Math.sin(th), s * Math.sin(th), s * Math.cos(th)];
    const det = m[0] * m[3] - m[1] * m[2];
    const inv = [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det];
    const b = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const px = x - c[0] - t[0], py = y - c[1] - t[1];
      const sx = inv[0] * px + inv[1] * py + c[0], sy = inv[2] * px + inv[3] * py + c[1];
      for (let k = 0; k < 3; k++) b.data[(y * W + x) * 3 + k] = fn(sx, sy, k);
    }
    const a = render(fn, W, H, 3);
    const gt: FlowField = { width: W, height: H, u: new Float32Array(W * H), v: new Float32Array(W * H) };
    const interior = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const o = y * W + x;
      gt.u[o] = m[0] * (x - c[0]) + m[1] * (y - c[1]) + c[0] + t[0] - x;
      gt.v[o] = m[2] * (x - c[0]) + m[3] * (y - c[1]) + c[1] + t[1] - y;
      interior[o] = x >= 16 && y >= 16 && x < W - 16 && y < H - 16 ? 1 : 0;
    }
    for (const preset of ['fast', 'medium', 'accurate'] as const) {
      const f = computeBuiltinFlow(a, b, { preset });
      expect(endPointError(f, gt, interior).epe, preset).toBeLessThan(preset === 'fast' ? 0.15 : 0.08);
    }
  });

  it('meets its accuracy on Sintel alley_1 (small motion), clean and final', async () => {
    for (const pass of ['clean', 'final'] as const) {
      const s = await loadSintel('alley_1', pass);
      const f = await new BuiltinFlowEstimator().estimate(s.a, s.b);
      const all = endPointError(f, s.gt, s.valid).epe, noc = endPointError(f, s.gt, s.noc).epe;
      // Measured 0.296 / 0.271 (without the forward–backward check 0.310 / 0.284); the target is OpenCV 4.6 DIS medium's 0.34 / 0.33.
      expect(all, pass).toBeLessThan(pass === 'clean' ? 0.34 : 0.33);
      expect(noc, pass).toBeLessThan(all);
    }
  });

  it('follows the large motion of Sintel market_5 (up to 133 px), better with the forward–backward check', async () => {
    // Measured 14.5 (clean) / 12.5 (final); without the check 22.7 / 13.8 (on the clean pass a shadow
    // sweeps over a repetitive tiled floor and the local search locks onto wrong matches); zero flow
    // scores 32. OpenCV 4.6 DIS medium: 21.3 / 16.5; the target is 16.
    let gain = 0;
    for (const pass of ['clean', 'final'] as const) {
      const s = await loadSintel('market_5', pass);
      const checked = endPointError(computeBuiltinFlow(s.a, s.b, { preset: 'medium' }), s.gt, s.valid).epe;
      const oneWay = endPointError(computeBuiltinFlow(s.a, s.b, { preset: 'medium', params: { consistency: null } }), s.gt, s.valid).epe;
      expect(checked, pass).toBeLessThan(16);
      expect(checked, pass).toBeLessThan(oneWay);
      gain += oneWay - checked;
    }
    expect(gain).toBeGreaterThan(5);
  });

  it('refuses frames of different sizes and honours an aborted signal', async () => {
    const a = render(textureFn(1), 32, 24, 3), b = render(textureFn(1), 33, 24, 3);
    expect(() => computeBuiltinFlow(a, b)).toThrow(expect.objectContaining({ code: 'PARAM_INVALID' }));
    const ac = new AbortController();
    ac.abort();
    await expect(new BuiltinFlowEstimator().estimate(a, a, ac.signal)).rejects.toThrow();
  });

  it('handles tiny and single-channel frames', () => {
    for (const [w, h] of [[5, 4], [16, 9], [1, 1]]) {
      const a = render(textureFn(2, 1), w, h, 1), b = render(textureFn(2, 1), w, h, 1, 0.5, 0);
      const f = computeBuiltinFlow(a, b);
      expect(f.width).toBe(w);
      for (let i = 0; i < w * h; i++) expect(Number.isFinite(f.u[i]) && Number.isFinite(f.v[i])).toBe(true);
    }
  });
});
