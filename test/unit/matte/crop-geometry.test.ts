import { describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { addMirroredBack, cropMirrored, FlipAveragedSegmenter } from '../../../daemon/src/effects/matte/flip-averaged-segmenter.ts';
import { applyPrior } from '../../../daemon/src/effects/matte/matte-tracker.ts';
import { createPlane, type Plane } from '../../../daemon/src/effects/matte/matte-types.ts';
import { segmenterFromSession } from '../../../daemon/src/effects/matte/open-segmenter.ts';
import { roiAround, roiToChw, roiToFrame, type Roi } from '../../../daemon/src/effects/matte/plane-ops.ts';
import type { Segmenter, SegmentResult } from '../../../daemon/src/effects/matte/segmenter.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { buildRedPersonModel, paintFrame, rng } from './synthetic.ts';

const W = 61, H = 37;

function noiseFrame(seed: number): Image8 {
  const r = rng(seed);
  return { width: W, height: H, channels: 3, data: Uint8Array.from({ length: W * H * 3 }, () => Math.floor(r() * 256)) };
}

/** A per-pixel "model" (probability = red / 255 inside the ROI, 0 outside), as a Segmenter. */
class RedStub implements Segmenter {
  readonly family = 'person' as const;
  readonly label = 'red-stub';
  readonly classNames = ['background', 'person'];
  calls: Roi[] = [];
  async segment(frame: Image8, roi: Roi): Promise<SegmentResult> {
    this.calls.push(roi);
    const m = createPlane(frame.width, frame.height);
    for (let y = roi.y; y < roi.y + roi.height; y++) for (let x = roi.x; x < roi.x + roi.width; x++) m.data[y * frame.width + x] = frame.data[(y * frame.width + x) * frame.channels] / 255;
    return { roi, candidates: [], maps: new Map([[1, m]]) };
  }
}

describe('crop and paste geometry', () => {
  it('a mirrored ROI crop holds the ROI pixels right to left', () => {
    const f = noiseFrame(1);
    const roi = { x: 7, y: 5, width: 20, height: 11 };
    const c = cropMirrored(f, roi);
    expect([c.width, c.height, c.channels]).toEqual([20, 11, 3]);
    for (let y = 0; y < roi.height; y++) {
      for (let x = 0; x < roi.width; x++) {
        for (let ch = 0; ch < 3; ch++) expect(c.data[(y * 20 + x) * 3 + ch]).toBe(f.data[((roi.y + y) * W + roi.x + roi.width - 1 - x) * 3 + ch]);
      }
    }
  });

  it('a map of the mirrored crop goes back onto the frame exactly where its pixels came from', () => {
    const roi = { x: 30, y: 2, width: 25, height: 30 };
    const map: Plane = { width: roi.width, height: roi.height, data: Float32Array.from({ length: roi.width * roi.height }, (_, i) => i + 1) };
    const dst = createPlane(W, H);
    addMirroredBack(dst, map, roi, 2);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= roi.x && x < roi.x + roi.width && y >= roi.y && y < roi.y + roi.height;
        const want = inside ? 2 * ((y - roi.y) * roi.width + (roi.width - 1 - (x - roi.x)) + 1) : 0;
        expect(dst.data[y * W + x]).toBe(want);
      }
    }
  });

  it('mirror-averaging a per-pixel model changes nothing (the model is mirror-symmetric): every pixel lands home', async () => {
    const f = noiseFrame(2);
    const inner = new RedStub();
    const roi = { x: 11, y: 3, width: 33, height: 29 };
    const res = await new FlipAveragedSegmenter(inner).segment(f, roi, null);
    const m = res.maps.get(1)!;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= roi.x && x < roi.x + roi.width && y >= roi.y && y < roi.y + roi.height;
        expect(m.data[y * W + x]).toBeCloseTo(inside ? f.data[(y * W + x) * 3] / 255 : 0, 6);
      }
    }
    // The second run saw the crop alone (its own full frame), not the whole frame.
    expect(inner.calls[1]).toEqual({ x: 0, y: 0, width: 33, height: 29 });
  });

  it('with a real ONNX model on a crop: the averaged map matches the single run and finds the subject', async () => {
    const seg = segmenterFromSession(await createModelSession(buildRedPersonModel(), 'red-person', { device: 'cpu' }), 'person');
    const f = paintFrame(96, 64, [{ cx: 40, cy: 30, r: 11, rgb: [230, 40, 40] }]);
    const roi = roiAround({ x0: 29, y0: 19, x1: 51, y1: 41 }, 96, 64, 0.25, 4);
    const one = await seg.segment(f, roi, null);
    const avg = await new FlipAveragedSegmenter(seg).segment(f, roi, null);
    const a = one.maps.get(1)!.data, b = avg.maps.get(1)!.data;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    // Resampling to the model's input and back is mirror-symmetric up to rounding at the crop's edge.
    expect(diff).toBeLessThan(0.05);
    expect(avg.candidates.length).toBe(1);
    expect(Math.abs((avg.candidates[0].box.x0 + avg.candidates[0].box.x1) / 2 - 40)).toBeLessThan(1);
  });

  it('the crop around a box keeps the box inside, grows by the margin, stays square and in the frame', () => {
    const box = { x0: 100, y0: 40, x1: 160, y1: 200 }; // 60×160
    for (const margin of [0.1, 0.25]) {
      const r = roiAround(box, 640, 360, margin, 8);
      expect(r.width).toBe(r.height);
      expect(r.width).toBe(Math.round(160 + 2 * margin * 160));
      expect(r.x).toBeLessThanOrEqual(box.x0);
      expect(r.x + r.width).toBeGreaterThanOrEqual(box.x1);
      expect(r.y).toBeLessThanOrEqual(box.y0);
      expect(r.y + r.height).toBeGreaterThanOrEqual(box.y1);
    }
    // Near the frame's corner: shifted inside, clipped to the frame.
    const c = roiAround({ x0: 0, y0: 300, x1: 50, y1: 360 }, 640, 360, 0.25, 8);
    expect(c).toEqual({ x: 0, y: 270, width: 90, height: 90 });
    const tall = roiAround({ x0: 10, y0: 0, x1: 60, y1: 360 }, 640, 360, 0.25, 8);
    expect(tall.height).toBe(360);
  });

  it('ROI in, map back: a map computed on the resized ROI pastes back over the ROI only', () => {
    const f = noiseFrame(3);
    const roi = { x: 5, y: 6, width: 40, height: 24 };
    const chw = roiToChw(f, roi, 24, 40); // same size: the pixels themselves
    for (let y = 0; y < 24; y++) for (let x = 0; x < 40; x++) expect(chw[y * 40 + x]).toBe(f.data[((roi.y + y) * W + roi.x + x) * 3]);
    const back = roiToFrame(chw.subarray(0, 40 * 24), 24, 40, roi, W, H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= roi.x && x < roi.x + roi.width && y >= roi.y && y < roi.y + roi.height;
        expect(back.data[y * W + x]).toBe(inside ? f.data[(y * W + x) * 3] : 0);
      }
    }
  });
});

describe('temporal prior (log-odds evidence from the previous matte)', () => {
  const p = (v: number[]): Plane => ({ width: v.length, height: 1, data: Float32Array.from(v) });
  const ref = (f: number, c: number, k: number) => {
    const lg = (x: number) => Math.max(-4.6, Math.min(4.6, Math.log(x / (1 - x))));
    return 1 / (1 + Math.exp(-(lg(f) + k * lg(c))));
  };

  it('tips an unsure map value towards what the previous frame saw, not a sure one', () => {
    const out = applyPrior(p([0.45, 0.55, 0.02, 0.98, 0.3]), p([1, 0, 1, 0, 0.9]), Float32Array.from([1, 1, 1, 1, 1]), 0.5);
    expect(out.data[0]).toBeGreaterThan(0.5); // half-seen, seen before: kept
    expect(out.data[1]).toBeLessThan(0.5); // half-seen, not seen before: dropped
    expect(out.data[2]).toBeLessThan(0.5); // the model is sure it is gone: gone (no lag)
    expect(out.data[3]).toBeGreaterThan(0.5); // the model is sure it is there: there
    for (const [i, f, c] of [[0, 0.45, 1], [2, 0.02, 1], [4, 0.3, 0.9]] as const) expect(out.data[i]).toBeCloseTo(ref(f, c, 0.5), 5);
  });

  it('does nothing where the flow is not trusted, and keeps exact 0 and 1 where both agree', () => {
    const out = applyPrior(p([0.45, 0, 1, 0.2]), p([1, 0, 1, 1]), Float32Array.from([0, 1, 1, 0.5]), 0.8);
    expect(out.data[0]).toBeCloseTo(0.45, 6);
    expect(out.data[1]).toBe(0);
    expect(out.data[2]).toBe(1);
    expect(out.data[3]).toBeCloseTo(ref(0.2, 1, 0.4), 5);
  });
});
