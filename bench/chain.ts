/**
 * The one command vs the three-step workflow of the seed stories, on
 * ../shared/data/video/dance-twirl_854x480_24fps.mp4:
 *
 *   chain:  dreamlayer stylize IN --temporal 0.8 --upscale 2 -o out.mp4      (one streaming pass)
 *   files:  dreamlayer stylize IN --temporal 0.8 -o styled/                   (PNG frames)
 *           dreamlayer upscale styled/frame_%06d.png --scale 2 -o upscaled/   (PNG frames)
 *           encode upscaled/ → out.mp4 (H.264, same CRF)                      (ffmpeg image2)
 *
 * Each variant's work folder is polled every 50 ms for its total size, so the
 * peak disk use includes checkpoints, state images and temp files. Targets
 * (issue 9): the chain is faster, and its peak disk use is the final file.
 *
 * Options (argv when run directly, or env for `npm run bench chain`):
 *   --frames A:B   (BENCH_CHAIN_FRAMES)  default: the whole clip
 *   --model ID|F   (BENCH_CHAIN_MODEL)   super-resolution model; default Lanczos
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSequenceToMovie } from '../daemon/src/io/encode.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';
import { REPO, SHARED, fmt } from './_util.ts';

const CLIP = path.join(SHARED, 'data/video/dance-twirl_854x480_24fps.mp4');
const BIN = path.join(REPO, 'bin/dreamlayer.js');

/** Total size in bytes of the files under `dir` (hidden ones included); files vanishing meanwhile are skipped. */
export function folderSize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += folderSize(p);
    else {
      try {
        total += fs.statSync(p).size;
      } catch {
        /* removed between readdir and stat */
      }
    }
  }
  return total;
}

/** Polls a folder's size until stopped; `peak` is the largest total seen. */
function pollPeak(dir: string, everyMs = 50): { stop: () => number } {
  let peak = 0;
  const tick = () => (peak = Math.max(peak, folderSize(dir)));
  const t = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      tick();
      return peak;
    },
  };
}

function cli(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args, '--device', 'cpu'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`dreamlayer ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

const mb = (b: number) => `${fmt(b / 1e6, 1)} MB`;

function option(argv: string[], name: string, env: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : process.env[env];
}

export async function main(argv: string[] = []): Promise<Record<string, number>> {
  const info = await probeMedia(CLIP);
  const frames = option(argv, '--frames', 'BENCH_CHAIN_FRAMES') ?? `0:${info.frameCount - 1}`;
  const model = option(argv, '--model', 'BENCH_CHAIN_MODEL');
  const [first, last] = frames.split(':').map(Number);
  const count = last - first + 1;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-bench-chain-'));
  const chainDir = path.join(work, 'chain');
  const filesDir = path.join(work, 'files');
  fs.mkdirSync(chainDir);
  fs.mkdirSync(filesDir);
  console.log(`${path.basename(CLIP)} frames ${frames} (${count}), stylize builtin:toon temporal 0.8 → ×2 ${model ?? 'Lanczos-3'} → H.264 CRF 18; ${os.cpus().length} cores`);
  try {
    // One pass.
    let poll = pollPeak(chainDir);
    const chainOut = path.join(chainDir, 'out.mp4');
    const chainSeconds = await cli(['stylize', CLIP, '--frames', frames, '--temporal', '0.8', '--upscale', '2', ...(model ? ['--upscale-model', model] : []), '-o', chainOut]);
    const chainPeak = poll.stop();
    const chainFinal = fs.statSync(chainOut).size;

    // Three steps through files.
    poll = pollPeak(filesDir);
    const styled = path.join(filesDir, 'styled');
    const upscaled = path.join(filesDir, 'upscaled');
    const filesOut = path.join(filesDir, 'out.mp4');
    const s1 = await cli(['stylize', CLIP, '--frames', frames, '--temporal', '0.8', '-o', styled]);
    const s2 = await cli(['upscale', path.join(styled, 'frame_%06d.png'), '--scale', '2', ...(model ? ['--model', model] : []), '-o', upscaled]);
    const t3 = performance.now();
    await encodeSequenceToMovie({ dir: upscaled, pattern: 'frame_%06d.png', firstIndex: 0, count, path: filesOut, fps: info.fps, codec: 'h264' });
    const s3 = (performance.now() - t3) / 1000;
    const filesPeak = poll.stop();
    const filesFinal = fs.statSync(filesOut).size;
    const filesSeconds = s1 + s2 + s3;

    const [a, b] = [await probeMedia(chainOut), await probeMedia(filesOut)];
    if (a.frameCount !== count || b.frameCount !== count) throw new Error(`frame counts ${a.frameCount} / ${b.frameCount}, expected ${count}`);
    console.log(`chain (one command)   ${fmt(chainSeconds, 1)} s   peak disk ${mb(chainPeak)}   final ${mb(chainFinal)}   (peak/final ${fmt(chainPeak / chainFinal)})`);
    console.log(`files (three steps)   ${fmt(filesSeconds, 1)} s = stylize ${fmt(s1, 1)} + upscale ${fmt(s2, 1)} + encode ${fmt(s3, 1)}   peak disk ${mb(filesPeak)}   final ${mb(filesFinal)}`);
    console.log(`chain vs files: ${fmt(filesSeconds / chainSeconds)}× faster, ${fmt(filesPeak / chainPeak, 1)}× less peak disk   [targets: faster; peak ≈ final file]`);
    const result = { frames: count, chainSeconds, chainPeakBytes: chainPeak, chainFinalBytes: chainFinal, filesSeconds, stylizeSeconds: s1, upscaleSeconds: s2, encodeSeconds: s3, filesPeakBytes: filesPeak, filesFinalBytes: filesFinal };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
