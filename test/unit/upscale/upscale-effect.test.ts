import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chwToRgb8, rgb8ToChw, type Image8 } from '../../../daemon/src/core/image.ts';
import { buildProgram } from '../../../daemon/src/cli/main.ts';
import { appendUpscale } from '../../../daemon/src/cli/effect-command.ts';
import { lanczosUpscale } from '../../../daemon/src/effects/upscale/lanczos-upscale.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { makeSampleClip } from '../../../daemon/src/io/sample-clip.ts';
import { runJob } from '../../../daemon/src/pipeline/run-job.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import type { JobSpecInput } from '../../../shared/src/job-spec.ts';
import { sharedModel } from '../../helpers/shared-path.ts';

const X2 = sharedModel('superres/realesr-animevideov3-x2.onnx');
const X4 = sharedModel('superres/realesr-animevideov3-x4.onnx');
let dir: string;
let clip: string;
let source: Image8[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-upscale-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 48, height: 32, frames: 3, scene: 'testsrc2' });
  source = [];
  for await (const f of decodeFrames(await probeMedia(clip), { first: 0, last: 2 })) source.push(f.image);
});

const job = (out: string, extra: Partial<JobSpecInput> = {}): JobSpecInput => ({ effect: 'upscale', input: { path: clip }, output: { dir: path.join(dir, out) }, device: 'cpu', ...extra });
const frameFile = (out: string, i: number) => path.join(dir, out, `frame_${String(i).padStart(6, '0')}.png`);

describe('upscale effect', () => {
  it('without a model: centre-aligned Lanczos-3, ×2 and ×3', async () => {
    const r = await runJob(job('lanczos'));
    expect([r.width, r.height, r.model]).toEqual([96, 64, null]);
    expect(r.extra).toEqual({ upscale: { method: 'lanczos3', scale: 2 } });
    for (let i = 0; i < 3; i++) expect((await readImage(frameFile('lanczos', i))).data).toEqual(lanczosUpscale(source[i], 2).data);
    const r3 = await runJob(job('lanczos3', { params: { scale: 3 }, input: { path: clip, frames: { first: 1, last: 1 } } }));
    expect([r3.width, r3.height]).toEqual([144, 96]);
  });

  it('with Real-ESRGAN x2: the whole-frame network result (run here directly), in tiles sized by the budget', async () => {
    const r = await runJob(job('esr', { model: X2, params: { memoryMb: 64 }, input: { path: clip, frames: { first: 0, last: 1 } } }));
    expect([r.width, r.height]).toEqual([96, 64]);
    expect(r.model?.path).toBe(X2);
    // 64 MiB at about 1.9 kB per pixel: tiles of 188 px, so this small frame is one tile.
    expect(r.extra).toMatchObject({ upscale: { method: 'network', model: X2, scale: 2, passes: 1, context: 18, tile: 188, tilesPerFrame: 1 } });
    const session = await createModelSession(X2, 'x2', { device: 'cpu' });
    for (let i = 0; i < 2; i++) {
      const out = await session.run({ input: { data: rgb8ToChw(source[i], 1 / 255), dims: [1, 3, 32, 48] } });
      const expected = chwToRgb8(out.output.data as Float32Array, 96, 64, 255);
      const got = await readImage(frameFile('esr', i));
      expect((got.data as Uint8Array).reduce((m, v, k) => Math.max(m, Math.abs(v - expected.data[k])), 0)).toBeLessThanOrEqual(1);
    }
  });

  it('×4 from the ×2 network runs it twice; a ×4 network cannot make ×2; networks do not make ×3', async () => {
    const r = await runJob(job('esr4', { model: X2, params: { scale: 4 }, input: { path: clip, frames: { first: 0, last: 0 } } }));
    expect([r.width, r.height]).toEqual([192, 128]);
    expect(r.extra).toMatchObject({ upscale: { passes: 2 } });
    await expect(runJob(job('bad', { model: X4, params: { scale: 2 } }))).rejects.toMatchObject({ code: 'PARAM_INVALID', message: expect.stringMatching(/enlarges ×4/) });
    await expect(runJob(job('bad3', { model: X2, params: { scale: 3 } }))).rejects.toMatchObject({ code: 'PARAM_INVALID', message: expect.stringMatching(/×3 is only available with Lanczos/) });
  }, 60_000);
});

describe('CLI', () => {
  it('dreamlayer upscale has the effect options; every other effect has --upscale / --upscale-model', async () => {
    const program = await buildProgram();
    const flags = (name: string) => program.commands.find((c) => c.name() === name)!.options.map((o) => o.long);
    expect(flags('upscale')).toEqual(expect.arrayContaining(['--scale', '--tile', '--overlap', '--memory', '--model', '--device', '--crf']));
    expect(flags('upscale')).not.toContain('--upscale');
    for (const name of ['stylize', 'depth']) expect(flags(name)).toEqual(expect.arrayContaining(['--upscale', '--upscale-model']));
    expect(program.commands.map((c) => c.name())).toContain('run');
  });

  it('--upscale N appends an upscale step after the effect (and after any chain the effect built)', () => {
    const j: JobSpecInput = { effect: 'stylize', input: { path: 'a.mp4' }, output: { dir: 'o' }, then: [{ effect: 'depth' }] };
    appendUpscale(j, { upscale: 4, upscaleModel: 'realesr-animevideov3-x4' });
    expect(j.then).toEqual([{ effect: 'depth' }, { effect: 'upscale', params: { scale: 4 }, model: 'realesr-animevideov3-x4' }]);
    const k: JobSpecInput = { effect: 'stylize', input: { path: 'a.mp4' }, output: { dir: 'o' } };
    appendUpscale(k, {});
    expect(k.then).toBeUndefined();
    expect(() => appendUpscale(k, { upscaleModel: 'x' })).toThrow(/without --upscale/);
  });
});
