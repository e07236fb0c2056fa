import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../daemon/src/cli/main.ts';
import { makeSampleClip } from '../../../daemon/src/io/sample-clip.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { decodeExr } from '../../../daemon/src/io/exr-file.ts';
import { encodeModel } from '../../../daemon/src/onnx/proto.ts';
import { buildTinyDepthNet } from '../../../daemon/src/onnx/test-models.ts';
import { clearSessionCache } from '../../../daemon/src/runtime/session-cache.ts';

let dir: string;
let clip: string;
let model: string;

async function cli(...args: string[]): Promise<void> {
  const program = await buildProgram();
  program.exitOverride();
  await program.parseAsync(['node', 'dreamlayer', ...args]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dl-depth-cli-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 96, height: 64, frames: 6, fps: 12, scene: 'testsrc2' });
  model = path.join(dir, 'tiny-depth.onnx');
  writeFileSync(model, encodeModel(buildTinyDepthNet()));
  // The progress reporter writes JSON lines; keep the test output quiet.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await clearSessionCache();
  rmSync(dir, { recursive: true, force: true });
});

describe('dreamlayer depth', () => {
  it('writes 16-bit grey PNGs numbered by source frame, and result.json with the mapping', async () => {
    const out = path.join(dir, 'out16');
    await cli('depth', clip, '-o', out, '--model', model, '--frames', '2:4', '--device', 'cpu', '--json');
    const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    expect(files).toEqual(['frame_000002.png', 'frame_000003.png', 'frame_000004.png']);
    const img = await readImage(path.join(out, files[0]));
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(img.channels).toBe(1);
    expect([img.width, img.height]).toEqual([96, 64]);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.effect).toBe('depth');
    expect(result.frames).toEqual({ first: 2, last: 4, count: 3 });
    expect(result.extra.depth.normalization.mode).toBe('clip');
    expect(result.extra.depth.normalization.mapping.hi).toBeGreaterThan(result.extra.depth.normalization.mapping.lo);
    expect(result.extra.depth.output).toMatchObject({ bits: 16, invert: false, white: 'near' });
  });

  it('--bits 8 --invert writes 8-bit grey', async () => {
    const out = path.join(dir, 'out8');
    await cli('depth', clip, '-o', out, '--model', model, '--frames', '0:0', '--bits', '8', '--invert', '--temporal', '0', '--json');
    const img = await readImage(path.join(out, 'frame_000000.png'));
    expect(img.data).toBeInstanceOf(Uint8Array);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.extra.depth.output).toMatchObject({ bits: 8, invert: true, white: 'far' });
  });

  it('writes float EXR frames holding exactly the 16-bit PNG levels / 65535, and resumes them identically', async () => {
    const png = path.join(dir, 'exr-ref');
    const exr = path.join(dir, 'exr');
    await cli('depth', clip, '-o', png, '--model', model, '--frames', '0:3', '--temporal', '0.8', '--json');
    const args = ['depth', clip, '-o', exr, '--model', model, '--frames', '0:3', '--temporal', '0.8', '--format', 'exr', '--json'];
    await cli(...args);
    expect(readdirSync(exr).filter((f) => f.endsWith('.exr')).sort()).toEqual([0, 1, 2, 3].map((i) => `frame_00000${i}.exr`));
    for (const i of [0, 3]) {
      const ref = await readImage(path.join(png, `frame_00000${i}.png`));
      const planes = decodeExr(readFileSync(path.join(exr, `frame_00000${i}.exr`)));
      const y = planes.channels.get('Y')!;
      expect(planes.width).toBe(ref.width);
      let maxErr = 0;
      for (let k = 0; k < y.length; k++) maxErr = Math.max(maxErr, Math.abs(y[k] - ref.data[k] / 65535));
      expect(maxErr).toBeLessThan(1e-7);
    }
    const before = readFileSync(path.join(exr, 'frame_000003.exr'));
    unlinkSync(path.join(exr, 'frame_000003.exr'));
    await cli(...args);
    expect(readFileSync(path.join(exr, 'frame_000003.exr')).equals(before)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(exr, 'result.json'), 'utf8')).extra.depth).toBeTruthy();
  });

  it('a resumed render (temporal on) is byte-identical to an uninterrupted one', async () => {
    const out = path.join(dir, 'resume');
    const args = ['depth', clip, '-o', out, '--model', model, '--frames', '0:3', '--temporal', '0.8', '--json'];
    await cli(...args);
    const before = [2, 3].map((i) => readFileSync(path.join(out, `frame_00000${i}.png`)));
    for (const i of [2, 3]) unlinkSync(path.join(out, `frame_00000${i}.png`));
    await cli(...args);
    const after = [2, 3].map((i) => readFileSync(path.join(out, `frame_00000${i}.png`)));
    for (let k = 0; k < 2; k++) expect(after[k].equals(before[k])).toBe(true);
  });
});
