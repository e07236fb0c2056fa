import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../../../daemon/src/core/image.ts';
import { applyMapping, clipMapping, mappingFromStats, percentileSorted, sampleFrames, slidingMapping, type DepthMapping } from '../../../daemon/src/effects/depth/depth-normalization.ts';
import { planDepthMapping } from '../../../daemon/src/effects/depth/depth-mapping-plan.ts';
import type { DepthPlane } from '../../../daemon/src/effects/depth/depth-network.ts';
import { depthToImage } from '../../../daemon/src/effects/depth/depth-image.ts';

const W = 16;
const H = 8;

/**
 * A synthetic clip's raw depth: a background plane at 0.2…0.4 (left to right), plus from frame 10 on
 * a near object (raw 1.0) in the top-left corner, as when someone walks into the shot.
 */
function rawDepth(index: number): Float32Array {
  const d = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = 0.2 + (0.2 * x) / (W - 1);
  if (index >= 10) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) d[y * W + x] = 1.0;
  return d;
}

function frameOf(index: number): VideoFrame {
  // The pixels carry the index so the fake network can tell frames apart.
  return { index, image: { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(index) } };
}

async function* readFrames(first: number, last: number): AsyncGenerator<VideoFrame> {
  for (let i = first; i <= last; i++) yield frameOf(i);
}

function fakeNetwork(): { infer: (f: VideoFrame) => Promise<DepthPlane>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    infer: async (f) => {
      calls.push(f.index);
      return { width: W, height: H, data: rawDepth(f.image.data[0]) };
    },
  };
}

/** The 16-bit code of the background pixel (x = 8, y = 6) of every frame under a mapping per frame. */
function backgroundCodes(mappingFor: (i: number) => DepthMapping, frames: number): number[] {
  const codes: number[] = [];
  for (let i = 0; i < frames; i++) {
    const raw = rawDepth(i);
    const img = depthToImage(applyMapping(raw, mappingFor(i)), W, H, 16, false);
    codes.push(img.data[6 * W + 8]);
  }
  return codes;
}

describe('percentiles', () => {
  it('interpolate linearly between ranks (as numpy.percentile)', () => {
    const s = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentileSorted(s, 0)).toBe(1);
    expect(percentileSorted(s, 100)).toBe(10);
    expect(percentileSorted(s, 50)).toBeCloseTo(5.5, 6);
    expect(percentileSorted(s, 25)).toBeCloseTo(3.25, 6);
    expect(percentileSorted(s, 99)).toBeCloseTo(9.91, 5);
  });

  it('pool all sampled frames and ignore non-finite values', () => {
    const a = Float32Array.from([0, 1, NaN, 2]);
    const b = Float32Array.from([3, Infinity, 4]);
    const { stats, mapping } = clipMapping([a, b], 0, 100);
    expect(stats).toEqual({ min: 0, max: 4, lo: 0, hi: 4 });
    expect(mapping).toEqual({ lo: 0, hi: 4 });
  });

  it('a constant depth maps to mid-grey instead of dividing by zero', () => {
    const m = mappingFromStats({ lo: 0.7, hi: 0.7 });
    expect(applyMapping(Float32Array.of(0.7), m)[0]).toBeCloseTo(0.5, 6);
  });
});

describe('clip normalisation (one mapping per clip)', () => {
  it('samples frames over the whole range, both ends included, and reuses their depth', async () => {
    expect(sampleFrames(0, 9, 32)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const s = sampleFrames(100, 1099, 32);
    expect(s.length).toBe(32);
    expect(s[0]).toBe(100);
    expect(s[31]).toBe(1099);
    for (let i = 1; i < s.length; i++) expect(s[i] - s[i - 1]).toBeGreaterThanOrEqual(32);

    const net = fakeNetwork();
    const plan = await planDepthMapping({ mode: 'clip', lowPercentile: 0, highPercentile: 100, windowSeconds: 4, fps: 10, range: { first: 0, last: 19 }, readFrames, infer: net.infer });
    expect(net.calls).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(plan.takeCached(5)?.data).toEqual(rawDepth(5));
    expect(plan.takeCached(5)).toBeUndefined(); // taken once, then forgotten
  });

  it('decodes a short range in one pass and a long one by seeking to each sample', async () => {
    const calls: [number, number][] = [];
    const spy = (first: number, last: number) => {
      calls.push([first, last]);
      return readFrames(first, last);
    };
    await planDepthMapping({ mode: 'clip', lowPercentile: 0, highPercentile: 100, windowSeconds: 4, fps: 10, range: { first: 0, last: 19 }, readFrames: spy, infer: fakeNetwork().infer });
    expect(calls).toEqual([[0, 19]]);
    calls.length = 0;
    const net = fakeNetwork();
    await planDepthMapping({ mode: 'clip', lowPercentile: 0, highPercentile: 100, windowSeconds: 4, fps: 10, range: { first: 0, last: 9999 }, readFrames: spy, infer: net.infer });
    expect(calls.length).toBe(32);
    expect(calls.every(([a, b]) => a === b)).toBe(true);
    expect(net.calls).toEqual(sampleFrames(0, 9999, 32));
  });

  it('gives every frame the same mapping, so a static surface keeps its grey level when a near object enters', async () => {
    const net = fakeNetwork();
    const plan = await planDepthMapping({ mode: 'clip', lowPercentile: 0, highPercentile: 100, windowSeconds: 4, fps: 10, range: { first: 0, last: 19 }, readFrames, infer: net.infer });
    const m0 = plan.mappingFor(0, rawDepth(0));
    for (let i = 1; i < 20; i++) expect(plan.mappingFor(i, rawDepth(i))).toEqual(m0);
    // Raw range of the whole clip: the background's far end and the object.
    expect(m0.lo).toBeCloseTo(0.2, 6);
    expect(m0.hi).toBeCloseTo(1.0, 6);
    const clipCodes = backgroundCodes((i) => plan.mappingFor(i, rawDepth(i)), 20);
    expect(new Set(clipCodes).size).toBe(1);

    // Per-frame normalisation (the usual tools) makes the same surface jump when the object arrives.
    const perFrame = await planDepthMapping({ mode: 'frame', lowPercentile: 0, highPercentile: 100, windowSeconds: 4, fps: 10, range: { first: 0, last: 19 }, readFrames, infer: net.infer });
    const frameCodes = backgroundCodes((i) => perFrame.mappingFor(i, rawDepth(i)), 20);
    expect(Math.abs(frameCodes[9] - frameCodes[10])).toBeGreaterThan(10000);
    const rec = plan.record() as { mode: string; mapping: DepthMapping; raw: { min: number; max: number } };
    expect(rec.mode).toBe('clip');
    expect(rec.mapping).toEqual(m0);
    expect(rec.raw.max).toBeCloseTo(1.0, 6);
  });

  it('the same range gives the same mapping however often it is planned (resume)', async () => {
    const a = await planDepthMapping({ mode: 'clip', lowPercentile: 1, highPercentile: 99, windowSeconds: 4, fps: 10, range: { first: 3, last: 17 }, readFrames, infer: fakeNetwork().infer });
    const b = await planDepthMapping({ mode: 'clip', lowPercentile: 1, highPercentile: 99, windowSeconds: 4, fps: 10, range: { first: 3, last: 17 }, readFrames, infer: fakeNetwork().infer });
    expect(a.mappingFor(9, rawDepth(9))).toEqual(b.mappingFor(12, rawDepth(12)));
  });
});

describe('sliding normalisation', () => {
  it('drifts smoothly from one range to the other over the window instead of jumping', () => {
    // The raw range jumps at frame 100 (from [0, 1] to [0, 2]).
    const keys = Array.from({ length: 21 }, (_, k) => ({ frame: k * 10, lo: 0, hi: k * 10 < 100 ? 1 : 2 }));
    const window = 40;
    let prev = slidingMapping(keys, 0, window);
    expect(prev.hi).toBeCloseTo(1, 3);
    let maxStep = 0;
    for (let f = 1; f <= 200; f++) {
      const m = slidingMapping(keys, f, window);
      maxStep = Math.max(maxStep, Math.abs(m.hi - prev.hi));
      prev = m;
    }
    expect(prev.hi).toBeCloseTo(2, 3);
    // A jump of 1 spread over the window: no step larger than a few percent of it.
    expect(maxStep).toBeLessThan(0.05);
    expect(slidingMapping(keys, 95, window).hi).toBeGreaterThan(1.2);
    expect(slidingMapping(keys, 95, window).hi).toBeLessThan(1.8);
  });

  it('plans keys from sampled frames', async () => {
    const plan = await planDepthMapping({ mode: 'sliding', lowPercentile: 0, highPercentile: 100, windowSeconds: 1, fps: 10, range: { first: 0, last: 19 }, readFrames, infer: fakeNetwork().infer });
    const rec = plan.record() as { keys: { frame: number; hi: number }[] };
    expect(rec.keys.length).toBe(20);
    expect(plan.mappingFor(0, rawDepth(0)).hi).toBeLessThan(0.45);
    expect(plan.mappingFor(19, rawDepth(19)).hi).toBeGreaterThan(0.95);
  });
});
