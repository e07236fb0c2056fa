import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveParams } from '../../../shared/src/params/param-spec.ts';
import { MATTE } from '../../../shared/src/params/matte.ts';
import type { Image16, Image8, PixelImage, VideoFrame } from '../../../daemon/src/core/image.ts';
import type { EffectSetup, FrameProcessor } from '../../../daemon/src/effects/effect.ts';
import { matteEffect } from '../../../daemon/src/effects/matte/matte-effect.ts';
import { listMatteCandidates } from '../../../daemon/src/effects/matte/list-candidates.ts';
import { alphaFromOutput, composeOutput } from '../../../daemon/src/effects/matte/matte-output.ts';
import { maskIou } from '../../../daemon/src/effects/matte/plane-ops.ts';
import { instanceInputSize } from '../../../daemon/src/effects/matte/instance-segmenter.ts';
import type { MediaInfo } from '../../../daemon/src/io/probe.ts';
import { readImage, writePng } from '../../../daemon/src/io/image-file.ts';
import { runJob } from '../../../daemon/src/pipeline/run-job.ts';
import { buildFakeMaskRcnn, buildRedPersonModel, discAlpha, paintFrame, type Disc } from './synthetic.ts';

const W = 96, H = 64;
const subject = (k: number): Disc => ({ cx: 22 + 4 * k, cy: 32, r: 11, rgb: [230, 40, 40] });
const other: Disc = { cx: 80, cy: 14, r: 7, rgb: [150, 60, 200] };
const clip: VideoFrame[] = Array.from({ length: 6 }, (_, index) => ({ index, image: paintFrame(W, H, [subject(index), other]) }));
let dir: string;
let redModel: string;
let rcnnModel: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'matte-effect-'));
  redModel = path.join(dir, 'red-person.onnx');
  writeFileSync(redModel, buildRedPersonModel());
  // Whole-frame instance model: boxes in network pixels of the full frame.
  const { scale } = instanceInputSize(W, H);
  const around = (d: Disc) => ({ x0: (d.cx - d.r - 3) * scale, y0: (d.cy - d.r - 3) * scale, x1: (d.cx + d.r + 3) * scale, y1: (d.cy + d.r + 3) * scale });
  rcnnModel = path.join(dir, 'fake-maskrcnn.onnx');
  writeFileSync(rcnnModel, buildFakeMaskRcnn([around(subject(0)), around(other)], [1, 3], [0.93, 0.71]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setupFor(model: string, params: Record<string, unknown>, frames = clip): EffectSetup {
  const res = resolveParams(MATTE.params, params);
  if (!res.ok) throw new Error(res.problems.join('; '));
  return {
    params: res.params,
    model,
    device: 'cpu',
    source: { fps: { num: 10, den: 1 }, fpsValue: 10, width: W, height: H, frameCount: frames.length } as unknown as MediaInfo,
    range: { first: 0, last: frames.length - 1 },
    width: W,
    height: H,
    log: () => undefined,
    readFrames: async function* (first: number, last: number) {
      for (const f of frames) if (f.index >= first && f.index <= last) yield f;
    },
  };
}

async function render(proc: FrameProcessor, frames: VideoFrame[]): Promise<PixelImage[]> {
  const out: PixelImage[] = [];
  for (const f of frames) out.push(await proc.process(f));
  return out;
}

const truth = (d: Disc) => ({ width: W, height: H, data: discAlpha(W, H, d) });

describe('matte effect (processor)', () => {
  it('writes straight-alpha RGBA: RGB is the source untouched, alpha follows the picked subject', async () => {
    const proc = await matteEffect.create(setupFor(redModel, { point: '22,32' }));
    expect(proc.stateful).toBe(true);
    const out = await render(proc, clip);
    for (let k = 0; k < clip.length; k++) {
      const img = out[k] as Image8;
      expect(img.channels).toBe(4);
      const src = clip[k].image.data;
      for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) if (img.data[i * 4 + c] !== src[i * 3 + c]) throw new Error(`RGB changed at frame ${k}, pixel ${i}`);
      expect(maskIou(alphaFromOutput(img, false), truth(subject(k)))).toBeGreaterThan(0.85);
    }
    const extra = proc.extra!() as { matte: { family: string; subject: { label: string } } };
    expect(extra.matte.family).toBe('person');
    expect(extra.matte.subject.label).toBe('person');
  });

  it('writes alpha-only 8- and 16-bit gray, inverted on request', async () => {
    const a8 = (await render(await matteEffect.create(setupFor(redModel, { point: '22,32', mode: 'alpha' })), clip.slice(0, 2)))[1] as Image8;
    const a16 = (await render(await matteEffect.create(setupFor(redModel, { point: '22,32', mode: 'alpha16' })), clip.slice(0, 2)))[1] as Image16;
    const inv = (await render(await matteEffect.create(setupFor(redModel, { point: '22,32', mode: 'alpha', invert: true })), clip.slice(0, 2)))[1] as Image8;
    expect(a8.channels).toBe(1);
    expect(a16.channels).toBe(1);
    expect(a16.data).toBeInstanceOf(Uint16Array);
    for (let i = 0; i < W * H; i++) {
      expect(Math.abs(a16.data[i] / 257 - a8.data[i])).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(inv.data[i]).toBe(255 - a8.data[i]);
    }
    // Partial alpha on the edge (soft matte, not a binary mask).
    expect(Array.from(a16.data).filter((v) => v > 3000 && v < 62000).length).toBeGreaterThan(20);
  });

  it('resumes byte-identically from the previous output (state only from what process returned)', async () => {
    const params = { point: '22,32', temporal: 0.7, mode: 'rgba', feather: 1.5, grow: 1 };
    const full = await render(await matteEffect.create(setupFor(redModel, params)), clip);
    const resumed = await matteEffect.create(setupFor(redModel, params));
    await resumed.restore!({ source: clip[2], output: full[2] });
    const tail = await render(resumed, clip.slice(3));
    for (let k = 0; k < 3; k++) expect(Buffer.from(tail[k].data.buffer).equals(Buffer.from(full[k + 3].data.buffer))).toBe(true);
  });

  it('runs the instance family: all instances of a class, pasted at full resolution', async () => {
    const proc = await matteEffect.create(setupFor(rcnnModel, { classes: 'person', mode: 'alpha', temporal: 0 }, clip.slice(0, 1)));
    const a = alphaFromOutput((await render(proc, clip.slice(0, 1)))[0], false);
    expect(maskIou(a, truth(subject(0)))).toBeGreaterThan(0.8);
    expect(a.data[14 * W + 80]).toBeLessThan(0.5); // the "car" is not matted
    const cars = await matteEffect.create(setupFor(rcnnModel, { instance: 2, mode: 'alpha' }, clip.slice(0, 1)));
    const c = alphaFromOutput((await render(cars, clip.slice(0, 1)))[0], false);
    expect(maskIou(c, truth(other))).toBeGreaterThan(0.7);
  });

  it('round-trips compose/alphaFromOutput at every depth', () => {
    const alpha = { width: W, height: H, data: discAlpha(W, H, subject(0)) };
    for (const mode of ['rgba', 'alpha', 'alpha16'] as const) {
      const back = alphaFromOutput(composeOutput(clip[0].image, alpha, mode), false);
      for (let i = 0; i < W * H; i++) expect(Math.abs(back.data[i] - alpha.data[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    }
  });
});

describe('matte job (PNG sequence in, PNG / ProRes 4444 out)', () => {
  let input: string;
  beforeAll(async () => {
    input = path.join(dir, 'frames');
    mkdirSync(input, { recursive: true });
    for (const f of clip) await writePng(path.join(input, `src_${String(f.index).padStart(4, '0')}.png`), f.image);
  });

  it('writes RGBA PNGs whose colour is the source and whose alpha is the matte; resumes without rewriting', async () => {
    const out = path.join(dir, 'png-out');
    const spec = { effect: 'matte', model: redModel, device: 'cpu' as const, params: { point: '22,32' }, input: { path: input }, output: { dir: out, format: 'png' as const } };
    const result = await runJob(spec);
    expect((result.extra as { matte: { family: string } }).matte.family).toBe('person');
    const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    expect(files).toHaveLength(clip.length);
    const first = (await readImage(path.join(out, files[4]))) as Image8;
    expect(first.channels).toBe(4);
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) expect(first.data[i * 4 + c]).toBe(clip[4].image.data[i * 3 + c]);
    expect(maskIou(alphaFromOutput(first, false), truth(subject(4)))).toBeGreaterThan(0.85);
    // Interrupt: drop the last two frames and run again: the earlier ones stay, the new ones are identical.
    const before = files.map((f) => readFileSync(path.join(out, f)));
    unlinkSync(path.join(out, files[4]));
    unlinkSync(path.join(out, files[5]));
    await runJob(spec);
    files.forEach((f, k) => expect(readFileSync(path.join(out, f)).equals(before[k])).toBe(true));
  });

  it('writes ProRes 4444 with the matte in its alpha channel', async () => {
    const out = path.join(dir, 'mov-out');
    const result = await runJob({ effect: 'matte', model: redModel, device: 'cpu', params: { point: '22,32' }, input: { path: input }, output: { dir: out, format: 'prores', movieName: 'matte.mov' } });
    expect(result.movie).toBe('matte.mov');
    const { probeMedia } = await import('../../../daemon/src/io/probe.ts');
    const { decodeFrames } = await import('../../../daemon/src/io/decode.ts');
    const info = await probeMedia(path.join(out, 'matte.mov'));
    expect(info.hasAlpha).toBe(true);
    const back: Image8[] = [];
    for await (const f of decodeFrames(info, { first: 0, last: clip.length - 1, alpha: true })) back.push(f.image as Image8);
    expect(back[3].channels).toBe(4);
    expect(maskIou(alphaFromOutput(back[3], false), truth(subject(3)))).toBeGreaterThan(0.8);
  });

  it('--list writes numbered candidates as JSON and a picture', async () => {
    const out = path.join(dir, 'list-out');
    const r = await listMatteCandidates({ input, outDir: out, model: rcnnModel, device: 'cpu' });
    expect(r.family).toBe('instance');
    expect(r.candidates.map((c) => [c.id, c.class])).toEqual([[1, 'person'], [2, 'car']]);
    expect(r.candidates[0].box[0]).toBeCloseTo(subject(0).cx - subject(0).r - 3, 0);
    const json = JSON.parse(readFileSync(r.json, 'utf8'));
    expect(json.candidates).toHaveLength(2);
    expect(existsSync(r.picture)).toBe(true);
    const pic = (await readImage(r.picture)) as Image8;
    expect([pic.width, pic.height]).toEqual([W, H]);
  });
});
