/**
 * The one command, killed mid-way (SIGKILL: no cleanup at all) and run again,
 * ends with the same movie as a run that was never interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames } from '../../daemon/src/io/decode.ts';
import { probeMedia } from '../../daemon/src/io/probe.ts';
import { makeSampleClip } from '../../daemon/src/io/sample-clip.ts';
import { SEGMENT_FRAMES_ENV } from '../../daemon/src/pipeline/segmented-movie-sink.ts';
import { REPO_ROOT } from '../helpers/shared-path.ts';

const BIN = path.join(REPO_ROOT, 'bin', 'dreamlayer.js');
const ENV = { ...process.env, [SEGMENT_FRAMES_ENV]: '4' };
let dir: string;
let clip: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-chain-resume-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 64, height: 48, frames: 16, audio: true });
});

const args = (out: string) => [BIN, 'stylize', clip, '--upscale', '2', '--device', 'cpu', '-o', out];
const segments = (out: string) => {
  try {
    return fs.readdirSync(path.join(path.dirname(out), `.${path.basename(out)}.parts`)).filter((f) => f.startsWith('piece_')).sort();
  } catch {
    return [];
  }
};

async function decodedFrames(file: string): Promise<Buffer[]> {
  const info = await probeMedia(file);
  const out: Buffer[] = [];
  for await (const f of decodeFrames(info, { first: 0, last: info.frameCount - 1 })) out.push(Buffer.from(f.image.data));
  return out;
}

describe('dreamlayer stylize in.mp4 -o out.mp4 --upscale 2, killed and run again', () => {
  it('resumes from its finished segments and ends identical to an uninterrupted run', async () => {
    const whole = path.join(dir, 'whole', 'out.mp4');
    const r1 = spawnSync(process.execPath, args(whole), { env: ENV, encoding: 'utf8' });
    expect(r1.status, r1.stderr).toBe(0);

    // Start the same job elsewhere and kill it -9 once two segments are on disk.
    const out = path.join(dir, 'killed', 'out.mp4');
    const child = spawn(process.execPath, args(out), { env: ENV, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    while (segments(out).length < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const left = segments(out);
    expect(left.length).toBeGreaterThanOrEqual(2);
    expect(left.length).toBeLessThan(4); // killed mid-way: 16 frames make 4 segments
    expect(fs.existsSync(out)).toBe(false);
    // Temporal stylize is stateful: the state after the last frame of a finished segment was kept.
    const lastDone = Number(/-(\d+)\.json$/.exec(left.at(-1)!)![1]);
    expect(fs.readdirSync(path.join(dir, 'killed', '.dreamlayer-state'))).toContain(`step0_${String(lastDone).padStart(6, '0')}.png`);

    const r2 = spawnSync(process.execPath, args(out), { env: ENV, encoding: 'utf8' });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/resuming out\.mp4: \d+ of 4 segments/);
    expect(fs.readdirSync(path.join(dir, 'killed')).sort()).toEqual(['out.mp4', 'out.mp4.result.json']);

    const [a, b] = [await decodedFrames(whole), await decodedFrames(out)];
    expect(b).toHaveLength(16);
    expect(b.every((f, i) => f.equals(a[i]))).toBe(true);
    // The encoders are deterministic, so the files are the same byte for byte.
    expect(fs.readFileSync(out).equals(fs.readFileSync(whole))).toBe(true);
  }, 240_000);
});
