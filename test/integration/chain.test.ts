/**
 * Chains: stylize → upscale in one streaming pass gives exactly the frames of
 * running upscale on stylize's own output; the panel's job.submit carries the
 * same chain and is checked the same way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listEffects } from '../../daemon/src/effects/registry.ts';
import { readImage } from '../../daemon/src/io/image-file.ts';
import { makeSampleClip } from '../../daemon/src/io/sample-clip.ts';
import { runJob } from '../../daemon/src/pipeline/run-job.ts';
import { prepareSubmission } from '../../daemon/src/server/job-submission.ts';
import { PathPolicy } from '../../daemon/src/server/path-policy.ts';
import { SubmitJobSchema } from '../../shared/src/protocol/messages.ts';
import { sharedModel } from '../helpers/shared-path.ts';

const X2 = sharedModel('superres/realesr-animevideov3-x2.onnx');
let dir: string;
let clip: string;
const FRAMES = { first: 2, last: 6 };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-chain-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 64, height: 48, frames: 10 });
});

const frame = (out: string, i: number) => path.join(dir, out, `frame_${String(i).padStart(6, '0')}.png`);

describe('stylize → upscale', () => {
  it('chained in one pass = upscale run on the frames stylize wrote (byte-identical), temporal state included', async () => {
    const stylize = { effect: 'stylize', params: { temporal: 0.8 }, device: 'cpu' as const };
    const chained = await runJob({ ...stylize, input: { path: clip, frames: FRAMES }, output: { dir: path.join(dir, 'chained') }, then: [{ effect: 'upscale', params: { scale: 2 }, model: X2 }] });
    expect(chained.chain).toEqual(['stylize', 'upscale']);
    expect([chained.width, chained.height]).toEqual([128, 96]);
    expect(chained.params).toMatchObject({ temporal: 0.8, then: [{ effect: 'upscale', params: { scale: 2 } }] });
    expect(chained.extra).toMatchObject({ upscale: { model: X2, passes: 1 } });

    // The same, as two jobs through files: stylize → PNG frames → upscale of that sequence.
    await runJob({ ...stylize, input: { path: clip, frames: FRAMES }, output: { dir: path.join(dir, 'styled') } });
    const seq = path.join(dir, 'styled', 'frame_%06d.png');
    const second = await runJob({ effect: 'upscale', params: { scale: 2 }, model: X2, device: 'cpu', input: { path: seq }, output: { dir: path.join(dir, 'upscaled') } });
    expect(second.frames).toEqual({ first: 0, last: 4, count: 5 }); // a sequence counts its own frames from 0
    for (let i = FRAMES.first; i <= FRAMES.last; i++) {
      const a = await readImage(frame('chained', i));
      const b = await readImage(frame('upscaled', i - FRAMES.first));
      expect([a.width, a.height]).toEqual([128, 96]);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    }
    // And the chain is not a plain upscale of the source (the style is in it).
    const plain = await runJob({ effect: 'upscale', params: { scale: 2 }, model: X2, device: 'cpu', input: { path: clip, frames: { first: 2, last: 2 } }, output: { dir: path.join(dir, 'plain') } });
    expect(plain.width).toBe(128);
    expect(Buffer.from((await readImage(frame('plain', 2))).data).equals(Buffer.from((await readImage(frame('chained', 2))).data))).toBe(false);
  }, 120_000);
});

describe('panel submission', () => {
  it('job.submit carries the chain; its steps are checked before the job is queued', () => {
    const paths = new PathPolicy([dir]);
    const uploads = { resolveInput: () => { throw new Error('no uploads here'); } } as never;
    const submit = SubmitJobSchema.parse({
      effect: 'stylize', input: { path: clip }, output: { dir: path.join(dir, 'panel'), format: 'mp4', movieName: 'shot.mp4' },
      then: [{ effect: 'upscale', params: { scale: 4 }, model: 'realesr-animevideov3-x4' }],
    });
    const { spec } = prepareSubmission(submit, { paths, uploads, effects: listEffects() });
    expect(spec.then).toEqual([{ effect: 'upscale', params: { scale: 4 }, model: 'realesr-animevideov3-x4' }]);
    const bad = SubmitJobSchema.parse({ ...submit, then: [{ effect: 'upscale', params: { scale: 8 } }] });
    expect(() => prepareSubmission(bad, { paths, uploads, effects: listEffects() })).toThrow(/upscale parameters: scale must be between 2 and 4/);
  });
});
