/**
 * Cost of one DeepDream step (objective + gradient, the ONNX graph built by
 * buildDreamStepModel) against one forward pass of the same truncated network,
 * on the real MobileNetV2 cut at inner layers and on the GoogLeNet-shaped test
 * network, each at several sizes. Target from the issue: step ≤ 3.5 × forward,
 * for every case and size.
 *
 * The measure is the process CPU time of each run with one intra-op thread,
 * runs interleaved in ABBA order: on a shared, loaded machine wall-clock times
 * of the same run vary several-fold, CPU time far less. Two ratios are given:
 * of the medians, and of the fastest runs (each model's least disturbed run,
 * the nearest to a quiet machine). On a loaded machine the forward pass's
 * median swells more than the step's (it is shorter and its output buffers
 * are fresh memory each run), so the median ratio then flatters the step; the
 * verdict takes the larger of the two. The load average is printed too.
 *
 *   node bin/run-ts.js bench/dream-step.ts [--runs N] [--threads N] [--sizes 224x224,288x512] [--json FILE]
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ort } from '../daemon/src/runtime/ort.ts';
import { buildDreamStepModel } from '../daemon/src/onnx/autodiff/build-dream-step.ts';
import { freeInputSpatialDims, truncateAt } from '../daemon/src/onnx/edit-graph.ts';
import { encodeModel, readModelFile, type ModelProto } from '../daemon/src/onnx/proto.ts';
import { buildTinyGoogLeNet } from '../daemon/src/onnx/test-models.ts';
import { fmt, SHARED } from './_util.ts';

const TARGET = 3.5;

interface Case {
  label: string;
  model: () => ModelProto;
  layers: string[];
}

const mobilenet = () => readModelFile(path.join(SHARED, 'models', 'classifier', 'mobilenet-v2-1.0_224.onnx'));

const CASES: Case[] = [
  { label: 'MobileNetV2 → t90 (block 5 expand)', model: mobilenet, layers: ['t90'] },
  { label: 'MobileNetV2 → t142 (block 12 expand)', model: mobilenet, layers: ['t142'] },
  { label: 'MobileNetV2 → t113_c + t142', model: mobilenet, layers: ['t113_c', 't142'] },
  { label: 'TinyGoogLeNet ×4 → inception_3b/output', model: () => buildTinyGoogLeNet({ width: 4 }), layers: ['inception_3b/output'] },
];

/** Sizes every case runs at (height × width): the network's own, and a 16:9 frame. */
const SIZES = '224x224,288x512';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 15);
  const threads = Number(arg('threads') ?? 1);
  const sizes = (arg('sizes') ?? SIZES).split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: threads, interOpNumThreads: 1 };
  const results: Record<string, unknown>[] = [];
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism?.() ?? os.cpus().length} cores; ${threads} intra-op thread(s), ${runs} interleaved runs`);
  for (const c of CASES) {
    const source = c.model();
    const input = source.graph!.input![0]!.name!;
    const forward = freeInputSpatialDims(truncateAt(source, c.layers));
    const step = buildDreamStepModel(source, { layers: c.layers.map((name) => ({ name })) });
    const [fs, ss] = await Promise.all([ort.InferenceSession.create(encodeModel(forward), opts), ort.InferenceSession.create(encodeModel(step), opts)]);
    for (const [h, w] of sizes) {
      const data = Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i * 0.37) * 0.8);
      const feed = { [input]: new ort.Tensor('float32', data, [1, 3, h, w]) };
      for (let i = 0; i < 3; i++) {
        await fs.run(feed);
        await ss.run(feed);
      }
      const cpu = { f: [] as number[], s: [] as number[] };
      const wall = { f: [] as number[], s: [] as number[] };
      const timed = async (session: ort.InferenceSession, c: number[], wl: number[]) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await session.run(feed);
        wl.push(performance.now() - t0);
        const d = process.cpuUsage(c0);
        c.push((d.user + d.system) / 1000);
      };
      for (let i = 0; i < runs; i++) {
        // ABBA: neither model always runs right after the other (caches, allocator state).
        if (i % 2 === 0) {
          await timed(fs, cpu.f, wall.f);
          await timed(ss, cpu.s, wall.s);
        } else {
          await timed(ss, cpu.s, wall.s);
          await timed(fs, cpu.f, wall.f);
        }
      }
      const medianRatio = median(cpu.s) / median(cpu.f);
      const minRatio = Math.min(...cpu.s) / Math.min(...cpu.f);
      const ratio = Math.max(medianRatio, minRatio);
      const count = (m: ModelProto, op: string) => m.graph!.node!.filter((n) => n.opType === op).length;
      console.log(
        `${c.label.padEnd(40)} ${`${h}×${w}`.padStart(7)}: CPU forward ${fmt(median(cpu.f), 1)} ms (min ${fmt(Math.min(...cpu.f), 1)}), step ${fmt(median(cpu.s), 1)} ms (min ${fmt(Math.min(...cpu.s), 1)}),` +
          ` ratio ${fmt(medianRatio)} of medians, ${fmt(minRatio)} of minima (target ≤ ${TARGET}: ${ratio <= TARGET ? 'OK' : 'OVER'});` +
          ` wall medians ${fmt(median(wall.f), 1)} / ${fmt(median(wall.s), 1)} ms  [Conv ${count(forward, 'Conv')} → ${count(step, 'Conv')} + ConvTranspose ${count(step, 'ConvTranspose')}]`,
      );
      results.push({ label: c.label, height: h, width: w, threads, forwardCpuMs: median(cpu.f), stepCpuMs: median(cpu.s), forwardCpuMinMs: Math.min(...cpu.f), stepCpuMinMs: Math.min(...cpu.s), medianRatio, minRatio, ratio, forwardWallMs: median(wall.f), stepWallMs: median(wall.s), loadavg: os.loadavg()[0] });
    }
    await Promise.all([fs.release(), ss.release()]);
  }
  const worst = Math.max(...results.map((r) => r.ratio as number));
  console.log(`worst ratio ${fmt(worst)} (target ≤ ${TARGET}: ${worst <= TARGET ? 'OK' : 'OVER'}); load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const json = arg('json');
  if (json) await writeFile(json, JSON.stringify(results, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
