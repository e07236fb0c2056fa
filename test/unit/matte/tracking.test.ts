import { describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import { MatteTracker } from '../../../daemon/src/effects/matte/matte-tracker.ts';
import type { Plane } from '../../../daemon/src/effects/matte/matte-types.ts';
import { segmenterFromSession } from '../../../daemon/src/effects/matte/open-segmenter.ts';
import { maskIou } from '../../../daemon/src/effects/matte/plane-ops.ts';
import { boundaryBand } from '../../../daemon/src/effects/matte/vos-metrics.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { buildRedPersonModel, discAlpha, paintFrame, type Disc } from './synthetic.ts';

const W = 128, H = 80;

async function redModel() {
  return segmenterFromSession(await createModelSession(buildRedPersonModel(), 'red-person', { device: 'cpu' }), 'person');
}

/** Runs the tracker over frames like the effect does (state = the 8-bit output). */
async function track(frames: Image8[], tracker: MatteTracker): Promise<Plane[]> {
  const q = (p: Plane): Plane => ({ ...p, data: Float32Array.from(p.data, (v) => Math.round(v * 255) / 255) });
  const first = await tracker.first(frames[0]);
  const out = [q(first.alpha)];
  for (let k = 1; k < frames.length; k++) out.push(q(await tracker.next(frames[k], frames[k - 1], out[k - 1], first.reference)));
  return out;
}

const plane = (d: Disc): Plane => ({ width: W, height: H, data: discAlpha(W, H, d) });
const meanIn = (p: Plane, m: Plane) => {
  let s = 0, n = 0;
  for (let i = 0; i < p.data.length; i++) if (m.data[i] >= 0.5) {
    s += p.data[i];
    n++;
  }
  return n ? s / n : 0;
};

describe('tracking the chosen subject', () => {
  it('keeps the subject through a full occlusion and re-acquires it, not the look-alike', async () => {
    const seg = await redModel();
    const bar = { x0: 50, y0: 0, x1: 86, y1: H };
    const distractor: Disc = { cx: 110, cy: 16, r: 8, rgb: [170, 20, 60] };
    const subject = (k: number): Disc => ({ cx: 24 + 3 * k, cy: 40, r: 12, rgb: [230, 40, 40] });
    const n = 27;
    // The subject passes behind the bar (fully hidden for cx 62..74, i.e. frames 13–16), then comes out whole.
    const frames = Array.from({ length: n }, (_, k) => paintFrame(W, H, [subject(k), distractor], [bar]));
    const tracker = new MatteTracker({
      segmenter: seg,
      flow: new BuiltinFlowEstimator({ preset: 'medium' }),
      selection: { classIds: null, point: { x: 24, y: 40 }, box: null, instance: null },
      temporal: 0.5,
      grow: 0,
      feather: 0,
    });
    const out = await track(frames, tracker);
    // The visible part of the subject (the bar is in front).
    const visible = (k: number): Plane => {
      const p = plane(subject(k));
      for (let y = 0; y < H; y++) for (let x = bar.x0; x < bar.x1; x++) p.data[y * W + x] = 0;
      return p;
    };
    // Before and while it goes behind the bar: the visible subject, never the distractor.
    for (const k of [4, 8]) {
      expect(maskIou(out[k], visible(k))).toBeGreaterThan(0.8);
      expect(meanIn(out[k], plane(distractor))).toBeLessThan(0.05);
    }
    // Fully hidden: no matte on the bar.
    for (const k of [14, 15]) expect(Math.max(...out[k].data)).toBeLessThan(0.5);
    // Out again: the same subject, and still not the distractor.
    expect(maskIou(out[22], visible(22))).toBeGreaterThan(0.8);
    expect(maskIou(out[n - 1], plane(subject(n - 1)))).toBeGreaterThan(0.8);
    expect(meanIn(out[n - 1], plane(distractor))).toBeLessThan(0.05);
  });

  it('follows fast motion without lagging, even with strong temporal smoothing', async () => {
    const seg = await redModel();
    const disc = (k: number): Disc => ({ cx: 20 + 6 * k, cy: 38 + 1.5 * k, r: 13, rgb: [230, 40, 40] });
    const frames = Array.from({ length: 12 }, (_, k) => paintFrame(W, H, [disc(k)]));
    const tracker = new MatteTracker({
      segmenter: seg,
      flow: new BuiltinFlowEstimator({ preset: 'medium' }),
      selection: { classIds: null, point: { x: 20, y: 38 }, box: null, instance: null },
      temporal: 0.8,
      grow: 0,
      feather: 0,
    });
    const out = await track(frames, tracker);
    for (const k of [6, 11]) {
      const a = out[k];
      let sx = 0, sw = 0;
      for (let i = 0; i < a.data.length; i++) {
        sx += (i % W + 0.5) * a.data[i];
        sw += a.data[i];
      }
      expect(Math.abs(sx / sw - disc(k).cx)).toBeLessThan(1);
      expect(maskIou(a, plane(disc(k)))).toBeGreaterThan(0.9);
    }
  });
});

describe('temporal smoothing', () => {
  it('removes edge shimmer on a noisy static shot', async () => {
    const seg = await redModel();
    const d: Disc = { cx: 64, cy: 40, r: 18, rgb: [200, 70, 60] };
    const frames = Array.from({ length: 8 }, (_, k) => paintFrame(W, H, [d], [], 100 + k, 14));
    const band = boundaryBand(discAlpha(W, H, d).map((v) => (v >= 0.5 ? 1 : 0)), W, H, 3);
    const shimmer = (out: Plane[]) => {
      let s = 0, n = 0;
      for (let k = 2; k < out.length; k++) {
        for (let i = 0; i < band.length; i++) if (band[i]) {
          s += Math.abs(out[k].data[i] - out[k - 1].data[i]);
          n++;
        }
      }
      return s / n;
    };
    const run = (temporal: number) =>
      track(frames, new MatteTracker({ segmenter: seg, flow: new BuiltinFlowEstimator({ preset: 'medium' }), selection: { classIds: null, point: { x: 64, y: 40 }, box: null, instance: null }, temporal, grow: 0, feather: 0 }));
    const plain = await run(0);
    const smooth = await run(0.7);
    expect(shimmer(plain)).toBeGreaterThan(0.01);
    expect(shimmer(smooth)).toBeLessThan(0.6 * shimmer(plain));
    // Smoothing does not change where the edge is.
    expect(maskIou(smooth[7], plane(d))).toBeGreaterThan(0.85);
  });
});
