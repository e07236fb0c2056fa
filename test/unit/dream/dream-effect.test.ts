/**
 * The dream effect through the job runner, with the real MobileNetV2: a still
 * (one frame, result.json with the layers and the objective per octave); a
 * clip, where carrying the previous dream along the flow lowers the warping
 * error against dreaming each frame alone, and a resumed job rebuilds the state
 * from the written frame (byte-identical); bad input is refused with the
 * right codes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpecInput } from '../../../shared/src/job-spec.ts';
import { toFloat, type Image8 } from '../../../daemon/src/core/image.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import { warpError } from '../../../daemon/src/flow/warp-error.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { makeSampleClip } from '../../../daemon/src/io/sample-clip.ts';
import { runJob } from '../../../daemon/src/pipeline/run-job.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

const MODEL = sharedModel('classifier/mobilenet-v2-1.0_224.onnx');
let dir: string;
let clip: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dl-dream-effect-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 128, height: 72, frames: 4, fps: 12 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function job(input: string, out: string, params: Record<string, unknown>, extra: Partial<JobSpecInput> = {}): JobSpecInput {
  return { effect: 'dream', params, model: MODEL, device: 'cpu', input: { path: input }, output: { dir: out, format: 'png' }, ...extra };
}

async function pngs(out: string): Promise<Image8[]> {
  const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
  return Promise.all(files.map(async (f) => (await readImage(path.join(out, f))) as Image8));
}

describe('dream effect', () => {
  it('dreams a still and records the layers and the objective per octave', async () => {
    const out = path.join(dir, 'still');
    const logs: string[] = [];
    const r = await runJob(job(sharedData('images/content/chelsea.png'), out, { width: 96, octaves: 2, iterations: 3 }), { log: (l) => logs.push(l) });
    expect([r.width, r.height, r.frames.count]).toEqual([96, 64, 1]);
    const dream = (r.extra as { dream: { layers: { name: string }[]; input: string; octaves: { objectiveStart: number; objectiveEnd: number }[] } }).dream;
    expect(dream.layers).toEqual([{ name: 't113_c', weight: 1 }]);
    expect(dream.input).toContain('mobilenet-v2-tfslim');
    expect(dream.octaves).toHaveLength(2);
    for (const o of dream.octaves) expect(o.objectiveEnd).toBeGreaterThan(o.objectiveStart);
    expect(logs.some((l) => l.includes("t113_c (the model's default)"))).toBe(true);
    const [img] = await pngs(out);
    expect([img!.width, img!.height]).toEqual([96, 64]);
  });

  it('in a clip, carrying the previous dream along the flow steadies it; a resumed job is byte-identical', async () => {
    const params = { layers: 't62', octaves: 1, iterations: 3, step: 4, jitter: 8 };
    const steady = path.join(dir, 'steady');
    const alone = path.join(dir, 'alone');
    const r = await runJob(job(clip, steady, { ...params, temporal: 0.75 }));
    await runJob(job(clip, alone, { ...params, temporal: 0 }));
    expect((r.extra as { dream: { temporal: { meanTrustedShare: number } } }).dream.temporal.meanTrustedShare).toBeGreaterThan(0.5);
    const info = await probeMedia(clip);
    const sources = [];
    for await (const f of decodeFrames(info, { first: 0, last: 3 })) sources.push(toFloat(f.image));
    const est = new BuiltinFlowEstimator({ preset: 'fast' });
    const a = await warpError(sources, (await pngs(steady)).map(toFloat), est);
    const b = await warpError(sources, (await pngs(alone)).map(toFloat), est);
    expect(a.warpError!).toBeLessThan(0.7 * b.warpError!);

    // Kill-and-resume: drop the last two frames and run the same job again (state from frame 1 as written).
    const before = readdirSync(steady).filter((f) => f.endsWith('.png')).sort().map((f) => readFileSync(path.join(steady, f)));
    unlinkSync(path.join(steady, 'frame_000002.png'));
    unlinkSync(path.join(steady, 'frame_000003.png'));
    await runJob(job(clip, steady, { ...params, temporal: 0.75 }));
    const after = readdirSync(steady).filter((f) => f.endsWith('.png')).sort().map((f) => readFileSync(path.join(steady, f)));
    expect(after).toEqual(before);
  });

  it('refuses an unknown layer, a missing guide image and a non-classifier model', async () => {
    const still = sharedData('images/content/chelsea.png');
    const code = async (j: JobSpecInput) => ((await runJob(j).catch((e) => e)) as DreamLayerError).code;
    expect(await code(job(still, path.join(dir, 'e1'), { width: 64, layers: 'no_such_layer' }))).toBe('PARAM_INVALID');
    expect(await code(job(still, path.join(dir, 'e2'), { width: 64, iterations: 1, guide: path.join(dir, 'missing.png') }))).toBe('INPUT_NOT_FOUND');
    expect(await code(job(still, path.join(dir, 'e3'), { width: 64 }, { model: sharedModel('style/candy.onnx') }))).toBe('MODEL_CONTRACT');
    expect(await code(job(still, path.join(dir, 'e4'), { octaves: 0 }))).toBe('PARAM_INVALID');
  });
});
