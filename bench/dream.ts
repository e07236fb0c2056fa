/**
 * DeepDream costs, measured through the dream effect's own path:
 *
 * 1. One dream step (objective + gradient with respect to the pixels: the
 *    dream-step graph of onnx/autodiff run by `pixelGradient`, with the input
 *    conversion and the jitter roll) against one forward pass of the network
 *    truncated at the same layers, at the same size, both in ModelSession.
 *    Target (issue 7): step ≤ 3.5 × forward. Runs are interleaved and the
 *    medians compared, because the machine is shared and noisy.
 * 2. A full dream of a real picture (chelsea, 451×300, default settings): the
 *    objective at the start and end of every octave, and the time.
 *
 *   node bin/run-ts.js bench/dream.ts [--runs N] [--threads N] [--json FILE] [--device cpu|cuda|…]
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Image8 } from '../daemon/src/core/image.ts';
import { pixelGradient } from '../daemon/src/effects/dream/dream-gradient.ts';
import { layerTable } from '../daemon/src/effects/dream/dream-layers.ts';
import { toNetworkInput } from '../daemon/src/effects/dream/dream-input.ts';
import { loadClassifier, openDreamOn, type DreamClassifier } from '../daemon/src/effects/dream/dream-network.ts';
import { dreamPlanes, type OctaveTrace } from '../daemon/src/effects/dream/dream-octaves.ts';
import { image8ToPlanes } from '../daemon/src/effects/dream/planar-ops.ts';
import { readImage } from '../daemon/src/io/image-file.ts';
import { freeInputSpatialDims, truncateAt } from '../daemon/src/onnx/edit-graph.ts';
import { encodeModel } from '../daemon/src/onnx/proto.ts';
import { buildTinyGoogLeNet } from '../daemon/src/onnx/test-models.ts';
import { createModelSession } from '../daemon/src/runtime/model-session.ts';
import { parseDevice, type Device } from '../daemon/src/runtime/providers.ts';
import type { PlanarImage } from '../daemon/src/runtime/tiling.ts';
import { fmt, SHARED } from './_util.ts';

const TARGET = 3.5;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Case {
  label: string;
  classifier: () => Promise<DreamClassifier>;
  layers: string;
  size: [number, number];
}

const mobilenetFile = path.join(SHARED, 'models', 'classifier', 'mobilenet-v2-1.0_224.onnx');
const mobilenet = () => loadClassifier(mobilenetFile);
const googlenet = async (): Promise<DreamClassifier> => {
  // BVLC GoogLeNet's channel counts (×8 of the test network's), pseudo-random weights: the ops users pull.
  const model = buildTinyGoogLeNet({ width: 8 });
  return { record: { id: 'googlenet-shaped ×8', path: 'builtin', sha256: '' }, model, table: layerTable(model) };
};

const CASES: Case[] = [
  { label: 'MobileNetV2 t113_c (default layer)', classifier: mobilenet, layers: 't113_c', size: [224, 224] },
  { label: 'MobileNetV2 t113_c (default layer)', classifier: mobilenet, layers: 't113_c', size: [288, 512] },
  { label: 'MobileNetV2 t90 (block 5 expansion)', classifier: mobilenet, layers: 't90', size: [224, 224] },
  { label: 'MobileNetV2 t142 (block 12 expansion)', classifier: mobilenet, layers: 't142', size: [224, 224] },
  { label: 'GoogLeNet-shaped ×8 inception_3b/output', classifier: googlenet, layers: 'inception_3b/output', size: [224, 224] },
];

/** CPU time of this process in ms (user + system, all threads). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function stepVersusForward(c: Case, runs: number, device: Device, threads: number): Promise<Record<string, unknown>> {
  const cls = await c.classifier();
  const opened = await openDreamOn(cls, { layers: c.layers, device, tile: 4096, threads });
  const names = opened.layers.map((l) => l.name);
  const forward = await createModelSession(encodeModel(freeInputSpatialDims(truncateAt(cls.model, names), { inputName: cls.table.input })), 'forward', { device, threads });
  try {
    const [h, w] = c.size;
    const px = new Float32Array(3 * h * w);
    for (let i = 0; i < px.length; i++) px[i] = 128 + 100 * Math.sin(i * 0.37) * Math.cos(i * 0.0013);
    const img: PlanarImage = { data: px, channels: 3, height: h, width: w };
    const x = toNetworkInput(px, opened.net.map);
    const runForward = () => forward.run({ [cls.table.input]: { data: x, dims: [1, 3, h, w] } }, names);
    // The step graph alone (no pixel conversion, roll or tiling): what the autodiff graph costs.
    const runGraph = () => opened.net.session.run({ [cls.table.input]: { data: x, dims: [1, 3, h, w] } });
    for (let i = 0; i < 3; i++) {
      await runForward();
      await pixelGradient(opened.net, img, 5, 3);
      await runGraph();
    }
    const tf: number[] = [];
    const ts: number[] = [];
    const tg: number[] = [];
    const cf: number[] = [];
    const cs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await runGraph();
      tg.push(performance.now() - t0);
      let t = performance.now();
      let u = cpuMs();
      await runForward();
      tf.push(performance.now() - t);
      cf.push(cpuMs() - u);
      t = performance.now();
      u = cpuMs();
      await pixelGradient(opened.net, img, 5, 3);
      ts.push(performance.now() - t);
      cs.push(cpuMs() - u);
    }
    const ratio = median(ts) / median(tf);
    const cpuRatio = median(cs) / median(cf);
    const graphRatio = median(tg) / median(tf);
    console.log(
      `${c.label.padEnd(42)} ${h}×${w}: forward ${fmt(median(tf), 1)} ms, dream step ${fmt(median(ts), 1)} ms, ratio ${fmt(ratio)} (CPU time ${fmt(cpuRatio)}; ` +
        `step graph alone ${fmt(graphRatio)}) (target ≤ ${TARGET}) ${ratio <= TARGET ? 'OK' : 'OVER'}`,
    );
    return { label: c.label, layers: c.layers, height: h, width: w, threads, forwardMs: median(tf), stepMs: median(ts), graphMs: median(tg), ratio, graphRatio, forwardCpuMs: median(cf), stepCpuMs: median(cs), cpuRatio, device: opened.provider };
  } finally {
    await forward.release();
    await opened.dispose();
  }
}

async function fullDream(device: Device): Promise<Record<string, unknown>> {
  const cls = await mobilenet();
  const opened = await openDreamOn(cls, { layers: '', device });
  try {
    const src = (await readImage(path.join(SHARED, 'data', 'images', 'content', 'chelsea.png'), { bits: 8, channels: 3 })) as Image8;
    const trace: OctaveTrace[] = [];
    const t = performance.now();
    await dreamPlanes(image8ToPlanes(src), opened.net, { octaves: 4, octaveScale: 1.4, iterations: 10, step: 1.5, jitter: 32, seed: 0 }, { trace, measure: true });
    const seconds = (performance.now() - t) / 1000;
    console.log(`full dream of chelsea ${src.width}×${src.height}, ${opened.layers[0]!.name}, 4 octaves × 10 iterations: ${fmt(seconds, 1)} s (${trace.length * 12} gradient evaluations incl. measurement)`);
    for (const o of trace) console.log(`  octave ${o.width}×${o.height}: objective ${fmt(o.initial!, 3)} → ${fmt(o.final!, 3)} (${o.final! > o.initial! ? 'rises' : 'FALLS'})`);
    return { image: 'chelsea.png', layer: opened.layers[0]!.name, seconds, octaves: trace.map((o) => ({ width: o.width, height: o.height, start: o.initial, end: o.final })) };
  } finally {
    await opened.dispose();
  }
}

export async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 11);
  const device = parseDevice(arg('device') ?? 'cpu');
  // One thread by default: the ratio is then the compute cost, not how a shared machine schedules two.
  const threads = Number(arg('threads') ?? 1);
  console.log(`dream step vs forward, ${threads} thread(s), median of ${runs} interleaved runs (wall time; CPU time in brackets)`);
  const steps: Record<string, unknown>[] = [];
  for (const c of CASES) steps.push(await stepVersusForward(c, runs, device, threads));
  const dream = await fullDream(device);
  const json = arg('json');
  if (json) await writeFile(json, JSON.stringify({ steps, dream }, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
