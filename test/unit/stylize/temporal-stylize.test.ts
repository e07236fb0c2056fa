/**
 * Temporal stylize on a short real clip with a real style model: the warping
 * error drops to ≤ 0.25× that of per-frame stylization while colour statistics
 * and the border band stay with the per-frame output; a resumed job is
 * byte-identical to an uninterrupted one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob } from '../../../daemon/src/pipeline/run-job.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { warpError } from '../../../daemon/src/flow/warp-error.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import { toFloat, type FloatImage, type Image8 } from '../../../daemon/src/core/image.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

const clip = sharedData('video/dance-twirl_854x480_24fps.mp4');
const model = sharedModel('style/candy.onnx');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dl-temporal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const frames = { first: 30, last: 39 };
const width = 192;

async function stylize(dir: string, temporal: number, extra: Record<string, unknown> = {}) {
  return runJob({ effect: 'stylize', model, device: 'cpu', params: { width, temporal, ...extra }, input: { path: clip, frames }, output: { dir, format: 'png' } });
}

async function readDir(dir: string): Promise<FloatImage[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  return Promise.all(files.map(async (f) => toFloat(await readImage(path.join(dir, f)))));
}

describe('temporal stylize', () => {
  it('cuts the warping error to ≤ 0.25× per-frame, keeping colour statistics and borders', async () => {
    const perFrameDir = path.join(tmp, 'per-frame');
    const temporalDir = path.join(tmp, 'temporal');
    await stylize(perFrameDir, 0);
    const res = await stylize(temporalDir, 0.8);
    expect(res.extra?.temporal).toBeTruthy();
    const info = await probeMedia(clip);
    const src: FloatImage[] = [];
    for await (const f of decodeFrames(info, { ...frames, width, height: res.height })) src.push(toFloat(f.image as Image8));
    const est = new BuiltinFlowEstimator({ preset: 'medium' });
    const a = await warpError(src, await readDir(perFrameDir), est);
    const b = await warpError(src, await readDir(temporalDir), est);
    expect(b.warpError!).toBeLessThanOrEqual(0.25 * a.warpError!);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(b.mean[c] - a.mean[c]) / a.mean[c]).toBeLessThan(0.03);
      expect(Math.abs(b.std[c] - a.std[c]) / a.std[c]).toBeLessThan(0.1);
      expect(Math.abs(b.borderMean[c] - a.borderMean[c]) / a.borderMean[c]).toBeLessThan(0.03);
    }
  });

  it('resumes byte-identically after losing the last frames (state rebuilt from disk)', async () => {
    const full = path.join(tmp, 'full');
    const cut = path.join(tmp, 'cut');
    await stylize(full, 0.8, { strength: 0.7 });
    await stylize(cut, 0.8, { strength: 0.7 });
    for (const i of [35, 36, 37, 38, 39]) unlinkSync(path.join(cut, `frame_${String(i).padStart(6, '0')}.png`));
    unlinkSync(path.join(cut, 'result.json'));
    await stylize(cut, 0.8, { strength: 0.7 });
    for (let i = frames.first; i <= frames.last; i++) {
      const name = `frame_${String(i).padStart(6, '0')}.png`;
      expect(readFileSync(path.join(cut, name)).equals(readFileSync(path.join(full, name))), name).toBe(true);
    }
  });
});
