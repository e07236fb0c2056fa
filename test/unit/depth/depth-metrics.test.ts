import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';
import type { Image16, Image8 } from '../../../daemon/src/core/image.ts';
import { alignScaleShift, depthAccuracy, inverseDepthFromDisparity, parseCalib } from '../../../daemon/src/effects/depth/depth-metrics.ts';
import { parsePfm, readPfm } from '../../../daemon/src/effects/depth/pfm-file.ts';
import { resolveDepthContract } from '../../../daemon/src/effects/depth/depth-contract.ts';
import { runDepthNetwork } from '../../../daemon/src/effects/depth/depth-network.ts';
import { DepthRenderer, workingGrid } from '../../../daemon/src/effects/depth/depth-renderer.ts';
import { bilinearUpsample } from '../../../daemon/src/effects/depth/guided-upsample.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { createModelSession, type ModelSession } from '../../../daemon/src/runtime/model-session.ts';

const MB = (f: string) => sharedData(`depth/middlebury-motorcycle/${f}`);

/** A PFM file in memory: header, then rows bottom to top. */
function pfmBytes(w: number, h: number, rowsTopFirst: number[][], littleEndian: boolean): Uint8Array {
  const header = Buffer.from(`Pf\n${w} ${h}\n${littleEndian ? '-1.0' : '1.0'}\n`, 'latin1');
  const body = Buffer.alloc(w * h * 4);
  let o = 0;
  for (let y = h - 1; y >= 0; y--) for (const v of rowsTopFirst[y]) o = littleEndian ? body.writeFloatLE(v, o) : body.writeFloatBE(v, o);
  return new Uint8Array(Buffer.concat([header, body]));
}

/** AbsRel and δ<1.25 written out directly in float64 (the reference for depthAccuracy). */
function referenceAccuracy(pred: number[], gtInv: number[], s: number, t: number): { absRel: number; delta1: number } {
  const cap = Math.min(...gtInv);
  let rel = 0;
  let good = 0;
  for (let i = 0; i < pred.length; i++) {
    const zp = 1 / Math.max(cap, s * pred[i] + t);
    const zg = 1 / gtInv[i];
    rel += Math.abs(zp - zg) / zg;
    good += Math.max(zp / zg, zg / zp) < 1.25 ? 1 : 0;
  }
  return { absRel: rel / pred.length, delta1: good / pred.length };
}

const sessions: ModelSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

describe('PFM reader', () => {
  it('reads both byte orders and flips rows to top-first', () => {
    const rows = [[1, 2, 3], [4, Infinity, 6]];
    for (const le of [true, false]) {
      const img = parsePfm(pfmBytes(3, 2, rows, le));
      expect(img).toMatchObject({ width: 3, height: 2, channels: 1 });
      expect(Array.from(img.data)).toEqual([1, 2, 3, 4, Infinity, 6]);
    }
  });
  it('refuses a file that is not PFM or is truncated', () => {
    expect(() => parsePfm(new Uint8Array(Buffer.from('P6\n2 2\n255\n')))).toThrow(/not a PFM/);
    expect(() => parsePfm(pfmBytes(3, 2, [[1, 2, 3], [4, 5, 6]], true).subarray(0, 20))).toThrow(/truncated/);
  });
});

describe('depth accuracy measures', () => {
  it('least squares recovers a known scale and shift', () => {
    const target = [0.2, 0.5, 0.9, 1.3, 0.1];
    const pred = target.map((v) => (v - 0.05) / 3);
    const { scale, shift } = alignScaleShift(pred, target, [1, 1, 1, 1, 1]);
    expect(scale).toBeCloseTo(3, 10);
    expect(shift).toBeCloseTo(0.05, 10);
    // Masked-out pixels do not count.
    const bad = [...pred.slice(0, 4), 99];
    expect(alignScaleShift(bad, target, [1, 1, 1, 1, 0]).scale).toBeCloseTo(3, 10);
  });

  it('AbsRel and δ<1.25 match a direct float64 computation, and are perfect for an affine copy of the truth', () => {
    const gt = [0.5, 0.4, 0.3, 0.25, 0.2, 0.45, 0.35];
    const exact = gt.map((v) => 7 * v - 1);
    const perfect = depthAccuracy(exact, gt, gt.map(() => 1));
    expect(perfect.absRel).toBeLessThan(1e-12);
    expect(perfect.delta1).toBe(1);
    const noisy = exact.map((v, i) => v + [0.3, -0.4, 0.2, 0.5, -0.1, 0.6, -0.5][i]);
    const got = depthAccuracy(noisy, gt, gt.map(() => 1));
    const ref = referenceAccuracy(noisy, gt, got.scale, got.shift);
    expect(got.absRel).toBeCloseTo(ref.absRel, 12);
    expect(got.delta1).toBeCloseTo(ref.delta1, 12);
    expect(got.absRel).toBeGreaterThan(0.01);
  });

  it('Middlebury Motorcycle ground truth: depth from disparity, and a perfect score for the disparity itself', () => {
    const calib = parseCalib(readFileSync(MB('calib.txt'), 'utf8'));
    expect(calib).toMatchObject({ f: 994.978, doffs: 31.086, baseline: 193.001, width: 741, height: 500 });
    const disp = readPfm(MB('disp0.pfm'));
    expect([disp.width, disp.height]).toEqual([741, 500]);
    const gt = inverseDepthFromDisparity(disp.data, calib as { f: number; baseline: number; doffs: number });
    let valid = 0;
    let zmin = Infinity;
    let zmax = 0;
    for (let i = 0; i < gt.inv.length; i++) {
      if (!gt.valid[i]) continue;
      valid++;
      zmin = Math.min(zmin, 1 / gt.inv[i]);
      zmax = Math.max(zmax, 1 / gt.inv[i]);
    }
    expect(valid / gt.inv.length).toBeGreaterThan(0.9);
    expect(zmin).toBeGreaterThan(2000); // mm: the motorcycle is 2–5 m from the camera
    expect(zmax).toBeLessThan(5100);
    // Disparity is an affine function of inverse depth: a perfect relative prediction.
    const r = depthAccuracy(disp.data, gt.inv, gt.valid);
    expect(r.absRel).toBeLessThan(1e-6);
    expect(r.delta1).toBe(1);
  });

  it('TCMonoDepth on Middlebury: full-resolution guided output is not worse than its low-resolution output upsampled bilinearly', async () => {
    const img = (await readImage(MB('motorcycle_left.png'), { channels: 3, bits: 8 })) as Image8;
    const calib = parseCalib(readFileSync(MB('calib.txt'), 'utf8')) as { f: number; baseline: number; doffs: number };
    const gt = inverseDepthFromDisparity(readPfm(MB('disp0.pfm')).data, calib);
    const session = await createModelSession(sharedModel('depth/tcmonodepth-small_192x320.onnx'), 'tcmonodepth', { device: 'cpu' });
    sessions.push(session);
    const contract = resolveDepthContract(session, { id: 'tcmonodepth-small', path: '', sha256: '' });
    const raw = await runDepthNetwork(session, contract, img);
    const { width: W, height: H } = img;
    const baseline = depthAccuracy(bilinearUpsample(raw.data, raw.width, raw.height, W, H), gt.inv, gt.valid);
    // The effect's own path (16-bit output, no clipping so the map stays affine in the raw depth).
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of raw.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const renderer = new DepthRenderer(DepthRenderer.defaults({ width: W, height: H, grid: workingGrid(raw, img) }), null);
    const out = (await renderer.render(img, Promise.resolve(raw), () => ({ lo, hi }))) as Image16;
    const ours = depthAccuracy(out.data, gt.inv, gt.valid);
    expect(ours.absRel).toBeLessThan(0.15);
    expect(ours.delta1).toBeGreaterThan(0.8);
    expect(ours.absRel).toBeLessThanOrEqual(baseline.absRel + 2e-4);
    expect(ours.delta1).toBeGreaterThanOrEqual(baseline.delta1 - 2e-4);
  });
});
