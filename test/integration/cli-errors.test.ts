/**
 * Bad input through the real CLI: each case ends with one line naming the
 * thing, the problem and the fix, a stable code, a non-zero exit, and no frame
 * file (or temp file) left in the output folder.
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleClip } from '../../daemon/src/io/sample-clip.ts';
import { GraphBuilder } from '../../daemon/src/onnx/graph-builder.ts';
import { REPO_ROOT, sharedData, sharedModel } from '../helpers/shared-path.ts';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dl-cli-errors-'));
const clip = path.join(tmp, 'clip.mp4');
const cli = path.join(REPO_ROOT, 'bin/dreamlayer.js');
const env = { ...process.env, DREAMLAYER_MODELS: path.join(tmp, 'store') };

beforeAll(async () => {
  await makeSampleClip(clip, { width: 64, height: 48, frames: 6, scene: 'testsrc2' });
});
afterAll(() => {
  spawnSync('umount', [path.join(tmp, 'full')]);
  rmSync(tmp, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stderr: string;
  stdout: string;
}

async function dreamlayer(args: string[]): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [cli, ...args], { env, timeout: 60_000 });
    return { code: 0, stderr: r.stderr, stdout: r.stdout };
  } catch (e) {
    const err = e as { code: number; stderr: string; stdout: string };
    return { code: err.code, stderr: err.stderr, stdout: err.stdout };
  }
}

function expectCleanFailure(r: CliResult, code: string, names: string, outDir?: string): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error '));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(`error ${code}`);
  expect(lines[0]).toContain(names);
  if (outDir && existsSync(outDir)) {
    const left = readdirSync(outDir).filter((f) => /\.(png|tmp)$/.test(f));
    expect(left, `files left in ${outDir}`).toEqual([]);
  }
}

const out = (name: string) => path.join(tmp, 'out', name);

describe('CLI bad input', () => {
  it('missing input', async () => {
    const r = await dreamlayer(['stylize', path.join(tmp, 'nope.mp4'), '-o', out('a')]);
    expectCleanFailure(r, 'INPUT_NOT_FOUND', 'nope.mp4', out('a'));
  });

  it('empty input', async () => {
    const f = path.join(tmp, 'empty.mp4');
    writeFileSync(f, '');
    expectCleanFailure(await dreamlayer(['stylize', f, '-o', out('b')]), 'INPUT_EMPTY', 'empty.mp4', out('b'));
  });

  it('truncated video', async () => {
    const f = path.join(tmp, 'cut.mp4');
    const bytes = readFileSync(sharedData('video/dance-twirl_854x480_24fps.mp4'));
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expectCleanFailure(await dreamlayer(['stylize', f, '-o', out('c'), '--width', '64']), 'INPUT_UNREADABLE', 'cut.mp4', out('c'));
  });

  it('a text file named like a video', async () => {
    const f = path.join(tmp, 'notes.mp4');
    writeFileSync(f, 'not a video\n'.repeat(100));
    expectCleanFailure(await dreamlayer(['stylize', f, '-o', out('d')]), 'INPUT_UNREADABLE', 'notes.mp4', out('d'));
  });

  it('frame range outside the clip', async () => {
    const r = await dreamlayer(['stylize', clip, '-o', out('e'), '--frames', '3:50']);
    expectCleanFailure(r, 'FRAME_RANGE_INVALID', 'clip.mp4', out('e'));
    expect(r.stderr).toContain('6 frames');
  });

  it('a model file that is not ONNX, and a truncated one', async () => {
    const txt = path.join(tmp, 'style.onnx');
    writeFileSync(txt, 'hello');
    expectCleanFailure(await dreamlayer(['stylize', clip, '-o', out('f'), '--model', txt]), 'MODEL_INVALID', 'style.onnx', out('f'));
    const cut = path.join(tmp, 'cut-candy.onnx');
    writeFileSync(cut, readFileSync(sharedModel('style/candy.onnx')).subarray(0, 300_000));
    expectCleanFailure(await dreamlayer(['stylize', clip, '-o', out('g'), '--model', cut]), 'MODEL_INVALID', 'cut-candy.onnx', out('g'));
  });

  it('a model with the wrong inputs for the task', async () => {
    const g = new GraphBuilder('wrong', { opset: 17 });
    const x = g.input('tokens', 'float32', [1, 16]);
    g.output(g.node('Relu', [x]), 'y', 'float32', [1, 16]);
    const f = path.join(tmp, 'wrong.onnx');
    writeFileSync(f, g.encode());
    expectCleanFailure(await dreamlayer(['stylize', clip, '-o', out('h'), '--model', f]), 'MODEL_CONTRACT', 'wrong.onnx', out('h'));
  });

  it('a model id that is not in the store', async () => {
    const r = await dreamlayer(['stylize', clip, '-o', out('i'), '--model', 'mosaic']);
    expectCleanFailure(r, 'MODEL_NOT_FOUND', 'mosaic', out('i'));
    expect(r.stderr).toContain('dreamlayer models pull mosaic');
  });

  it('an unwritable output folder', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    expectCleanFailure(await dreamlayer(['stylize', clip, '-o', path.join(file, 'sub')]), 'OUTPUT_UNWRITABLE', 'a-file');
  });

  it('a full disk: DISK_FULL and no temp file left behind', async (ctx) => {
    const full = path.join(tmp, 'full');
    mkdirSync(full, { recursive: true });
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    if (m.status !== 0) ctx.skip(); // needs root (CI runs as root)
    copyFileSync(clip, path.join(tmp, 'clip2.mp4'));
    const r = await dreamlayer(['stylize', path.join(tmp, 'clip2.mp4'), '-o', path.join(full, 'out'), '--width', '480', '--temporal', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/error (DISK_FULL|OUTPUT_UNWRITABLE)/);
    const left = existsSync(path.join(full, 'out')) ? readdirSync(path.join(full, 'out')) : [];
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an unknown device lists the valid ones', async () => {
    const r = await dreamlayer(['stylize', clip, '-o', out('j'), '--device', 'gpu0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/auto, cpu, cuda/);
  });
});
