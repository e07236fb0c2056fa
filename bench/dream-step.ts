/**
 * Cost of one DeepDream step (objective + gradient, the ONNX graph built by
 * buildDreamStepModel) against one forward pass of the same truncated network,
 * on the real MobileNetV2 cut at inner layers and on the GoogLeNet-shaped test
 * network. Target from the issue: step ≤ 3.5 × forward.
 *
 * The measure is the process CPU time of each run with one intra-op thread
 * (median of interleaved runs): on a shared, loaded machine wall-clock times of
 * the same run vary several-fold, CPU time far less. Wall-clock medians are
 * printed too (with --threads N for multi-threaded sessions).
 *
 *   node bin/run-ts.js bench/dream-step.ts [--runs N] [--threads N] [--json FILE]
 */
import { writeFile } from 'node:fs/promises';
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
  size: [number, number];
}

const mobilenet = () => readModelFile(path.join(SHARED, 'models', 'classifier', 'mobilenet-v2-1.0_224.onnx'));

const CASES: Case[] = [
  { label: 'MobileNetV2 → t90 (block 5 expand)', model: mobilenet, layers: ['t90'], size: [224, 224] },
  { label: 'MobileNetV2 → t142 (block 12 expand)', model: mobilenet, layers: ['t142'], size: [224, 224] },
  { label: 'MobileNetV2 → t113_c + t142, 512×288', model: mobilenet, layers: ['t113_c', 't142'], size: [288, 512] },
  { label: 'TinyGoogLeNet ×4 → inception_3b/output', model: () => buildTinyGoogLeNet({ width: 4 }), layers: ['inception_3b/output'], size: [224, 224] },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 15);
  const threads = Number(arg('threads') ?? 1);
  const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, intraOpNumThreads: threads, interOpNumThreads: 1 };
  const results: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const source = c.model();
    const input = source.graph!.input![0]!.name!;
    const forward = freeInputSpatialDims(truncateAt(source, c.layers));
    const step = buildDreamStepModel(source, { layers: c.layers.map((name) => ({ name })) });
    const [fs, ss] = await Promise.all([ort.InferenceSession.create(encodeModel(forward), opts), ort.InferenceSession.create(encodeModel(step), opts)]);
    const [h, w] = c.size;
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
      await timed(fs, cpu.f, wall.f);
      await timed(ss, cpu.s, wall.s);
    }
    const ratio = median(cpu.s) / median(cpu.f);
    const count = (m: ModelProto, op: string) => m.graph!.node!.filter((n) => n.opType === op).length;
    console.log(
      `${c.label.padEnd(40)} ${h}×${w}: CPU forward ${fmt(median(cpu.f), 1)} ms, step ${fmt(median(cpu.s), 1)} ms, ratio ${fmt(ratio)} (target ≤ ${TARGET}: ${ratio <= TARGET ? 'OK' : 'OVER'});` +
        ` wall medians ${fmt(median(wall.f), 1)} / ${fmt(median(wall.s), 1)} ms  [Conv ${count(forward, 'Conv')} → ${count(step, 'Conv')} + ConvTranspose ${count(step, 'ConvTranspose')}]`,
    );
    results.push({ label: c.label, height: h, width: w, threads, forwardCpuMs: median(cpu.f), stepCpuMs: median(cpu.s), ratio, forwardWallMs: median(wall.f), stepWallMs: median(wall.s) });
  }
  const json = arg('json');
  if (json) await writeFile(json, JSON.stringify(results, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
