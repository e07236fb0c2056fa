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
 * peak disk use includes checkpoints, state images and temp files; the chain's
 * peak is also given without the temporal stylize's state images
 * (`.dreamlayer-state/`). Targets (issue 9): the chain is faster, and its peak
 * disk use is the final file.
 *
 * Options (argv when run directly, or env for `npm run bench chain`):
 *   --frames A:B   (BENCH_CHAIN_FRAMES)  default: the whole clip
 *   --model ID|F   (BENCH_CHAIN_MODEL)   super-resolution model; default Lanczos
 *   --rounds N     (BENCH_CHAIN_ROUNDS)  default 1; rounds alternate the order (ABBA) against drifting load
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

/**
 * Polls a folder's size until stopped: the largest total seen, and the largest seen without the state images of
 * stateful steps (`.dreamlayer-state/`, the temporal stylize's resume state — not movie data).
 */
function pollPeak(dir: string, everyMs = 50): { stop: () => { total: number; movie: number } } {
  let total = 0;
  let movie = 0;
  const tick = () => {
    const all = folderSize(dir);
    total = Math.max(total, all);
    movie = Math.max(movie, all - folderSize(path.join(dir, '.dreamlayer-state')));
  };
  const t = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      tick();
      return { total, movie };
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

/**
 * CPU seconds used by this process's finished children and their own children (Linux: /proc/self/stat
 * cutime + cstime), or null elsewhere. Wall time on a shared machine swings with other people's load;
 * CPU time is the work each variant really does.
 */
function childCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

interface VariantRun {
  seconds: number;
  cpuSeconds: number | null;
  peakBytes: number;
  /** Peak without the stateful steps' state images. */
  peakMovieBytes: number;
  finalBytes: number;
  steps?: { stylize: number; upscale: number; encode: number };
}

async function runChain(dir: string, frames: string, model: string | undefined): Promise<VariantRun> {
  fs.mkdirSync(dir, { recursive: true });
  const cpu0 = childCpuSeconds();
  const poll = pollPeak(dir);
  const out = path.join(dir, 'out.mp4');
  const seconds = await cli(['stylize', CLIP, '--frames', frames, '--temporal', '0.8', '--upscale', '2', ...(model ? ['--upscale-model', model] : []), '-o', out]);
  const peak = poll.stop();
  const cpu1 = childCpuSeconds();
  return { seconds, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, peakBytes: peak.total, peakMovieBytes: peak.movie, finalBytes: fs.statSync(out).size };
}

async function runFiles(dir: string, frames: string, model: string | undefined, fps: { num: number; den: number }, count: number): Promise<VariantRun> {
  fs.mkdirSync(dir, { recursive: true });
  const cpu0 = childCpuSeconds();
  const self0 = process.cpuUsage();
  const poll = pollPeak(dir);
  const styled = path.join(dir, 'styled');
  const upscaled = path.join(dir, 'upscaled');
  const out = path.join(dir, 'out.mp4');
  const stylize = await cli(['stylize', CLIP, '--frames', frames, '--temporal', '0.8', '-o', styled]);
  const upscale = await cli(['upscale', path.join(styled, 'frame_%06d.png'), '--scale', '2', ...(model ? ['--model', model] : []), '-o', upscaled]);
  const t = performance.now();
  await encodeSequenceToMovie({ dir: upscaled, pattern: 'frame_%06d.png', firstIndex: 0, count, path: out, fps, codec: 'h264' });
  const encode = (performance.now() - t) / 1000;
  const peak = poll.stop();
  const cpu1 = childCpuSeconds();
  const self = process.cpuUsage(self0);
  const cpuSeconds = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 + (self.user + self.system) / 1e6;
  return { seconds: stylize + upscale + encode, cpuSeconds, peakBytes: peak.total, peakMovieBytes: peak.movie, finalBytes: fs.statSync(out).size, steps: { stylize, upscale, encode } };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function main(argv: string[] = []): Promise<Record<string, number | null>> {
  const info = await probeMedia(CLIP);
  const frames = option(argv, '--frames', 'BENCH_CHAIN_FRAMES') ?? `0:${info.frameCount - 1}`;
  const model = option(argv, '--model', 'BENCH_CHAIN_MODEL');
  const rounds = Math.max(1, Number(option(argv, '--rounds', 'BENCH_CHAIN_ROUNDS') ?? 1));
  const [first, last] = frames.split(':').map(Number);
  const count = last - first + 1;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-bench-chain-'));
  console.log(`${path.basename(CLIP)} frames ${frames} (${count}), stylize builtin:toon temporal 0.8 → ×2 ${model ?? 'Lanczos-3'} → H.264 CRF 18; ${os.cpus().length} cores; ${rounds} round(s), ABBA order`);
  const chains: VariantRun[] = [];
  const files: VariantRun[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate the order (chain, files | files, chain …) so a drifting machine load hits both alike.
      const order = r % 2 === 0 ? ['chain', 'files'] : ['files', 'chain'];
      for (const which of order) {
        const dir = path.join(work, `${which}-${r}`);
        const run = which === 'chain' ? await runChain(dir, frames, model) : await runFiles(dir, frames, model, info.fps, count);
        const n = (await probeMedia(path.join(dir, 'out.mp4'))).frameCount;
        if (n !== count) throw new Error(`${which}: ${n} frames in the movie, expected ${count}`);
        (which === 'chain' ? chains : files).push(run);
        const cpu = run.cpuSeconds === null ? '' : `, CPU ${fmt(run.cpuSeconds, 1)} s`;
        const steps = run.steps ? ` (stylize ${fmt(run.steps.stylize, 1)} + upscale ${fmt(run.steps.upscale, 1)} + encode ${fmt(run.steps.encode, 1)})` : '';
        const state = run.peakBytes > run.peakMovieBytes ? ` (${mb(run.peakMovieBytes)} without state images)` : '';
        console.log(`  round ${r + 1} ${which === 'chain' ? 'chain (one command)' : 'files (three steps)'}: ${fmt(run.seconds, 1)} s${steps}${cpu}, peak disk ${mb(run.peakBytes)}${state}, final ${mb(run.finalBytes)}`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const cpuMean = (runs: VariantRun[]) => (runs.every((x) => x.cpuSeconds !== null) ? mean(runs.map((x) => x.cpuSeconds!)) : null);
  const result = {
    frames: count,
    chainSeconds: mean(chains.map((x) => x.seconds)),
    filesSeconds: mean(files.map((x) => x.seconds)),
    chainCpuSeconds: cpuMean(chains),
    filesCpuSeconds: cpuMean(files),
    chainPeakBytes: Math.max(...chains.map((x) => x.peakBytes)),
    chainPeakMovieBytes: Math.max(...chains.map((x) => x.peakMovieBytes)),
    filesPeakBytes: Math.max(...files.map((x) => x.peakBytes)),
    finalBytes: chains[0].finalBytes,
  };
  const cpuRatio = result.chainCpuSeconds && result.filesCpuSeconds ? `, ${fmt(result.filesCpuSeconds / result.chainCpuSeconds)}× less CPU` : '';
  console.log(`chain ${fmt(result.chainSeconds, 1)} s vs files ${fmt(result.filesSeconds, 1)} s (mean wall): ${fmt(result.filesSeconds / result.chainSeconds)}× faster${cpuRatio}`);
  console.log(`peak disk: chain ${mb(result.chainPeakBytes)} (${fmt(result.chainPeakBytes / result.finalBytes)}× the final movie; movie files alone ${mb(result.chainPeakMovieBytes)}, ${fmt(result.chainPeakMovieBytes / result.finalBytes)}×) vs files ${mb(result.filesPeakBytes)} (${fmt(result.filesPeakBytes / result.finalBytes, 0)}×)   [targets: faster; peak ≈ final file]`);
  console.log(JSON.stringify(result));
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
