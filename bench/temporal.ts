/**
 * Temporal stylize evaluation (issue 4): for each clip in ../shared/data/video and
 * each style (mosaic, candy, udnie), stylize per frame (temporal 0) and with the
 * default temporal mode, then measure the warping error (Lai et al. 2018), the
 * per-channel mean/std and the 16-px border band mean of both.
 * Targets: E_warp(temporal) ≤ 0.25 × E_warp(per-frame); std within 10%, mean and
 * border mean within 3% of the per-frame output.
 * Then the cost of temporal mode: process CPU seconds of per-frame and temporal
 * runs in A B B A order (bbb, mosaic, 640 px, BENCH_COST_FRAMES frames, default 16;
 * BENCH_COST=0 skips it). Run it with DREAMLAYER_THREADS=1 so CPU time is work, not
 * onnxruntime's spinning threads. Target ≤ 1.5×.
 *   npm run bench temporal            (frames 0:47 of each clip at 640 px)
 *   BENCH_FRAMES=0:23 BENCH_WIDTH=640 DREAMLAYER_THREADS=1 npm run bench temporal
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runJob } from '../daemon/src/pipeline/run-job.ts';
import { readImage } from '../daemon/src/io/image-file.ts';
import { decodeFrames } from '../daemon/src/io/decode.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';
import { warpError } from '../daemon/src/flow/warp-error.ts';
import { createFlowEstimator, EVAL_FLOW_METHOD } from '../daemon/src/flow/create-flow-estimator.ts';
import { toFloat, type FloatImage, type Image8 } from '../daemon/src/core/image.ts';
import type { FlowEstimator, FlowField } from '../daemon/src/flow/types.ts';
import { SHARED, fmt } from './_util.ts';

const CLIPS = (process.env.BENCH_CLIPS ?? 'dance-twirl_854x480_24fps.mp4,person-walk_768x432_10fps.mp4,bbb-opening_1280x720_24fps.mp4').split(',');
const STYLES = (process.env.BENCH_STYLES ?? 'mosaic,candy,udnie').split(',');

/** The evaluation flow depends only on the source frames: computed once per pair, reused for every style and mode. */
function memoized(inner: FlowEstimator): FlowEstimator {
  const cache = new Map<FloatImage, Map<FloatImage, FlowField>>();
  return {
    name: inner.name,
    async estimate(a, b, signal) {
      let row = cache.get(a);
      if (!row) cache.set(a, (row = new Map()));
      let f = row.get(b);
      if (!f) row.set(b, (f = await inner.estimate(a, b, signal)));
      return f;
    },
  };
}

export async function main(): Promise<void> {
  const [a, b] = (process.env.BENCH_FRAMES ?? '0:47').split(':').map(Number);
  const width = Number(process.env.BENCH_WIDTH ?? 640);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-temporal-'));
  let allOk = true;
  try {
    for (const clipName of CLIPS) {
      const clip = path.join(SHARED, 'data/video', clipName);
      const info = await probeMedia(clip);
      const frames = { first: a, last: Math.min(b, info.frameCount - 1) };
      let src: FloatImage[] | null = null;
      const est = memoized(await createFlowEstimator(EVAL_FLOW_METHOD));
      for (const style of STYLES) {
        const rec: Record<string, Awaited<ReturnType<typeof warpError>>> = {};
        const secs: Record<string, number> = {};
        for (const [mode, temporal] of [['per-frame', 0], ['temporal', 0.8]] as const) {
          const dir = path.join(tmp, `${clipName}-${style}-${mode}`);
          const t0 = cpuSeconds();
          const res = await runJob({ effect: 'stylize', model: path.join(SHARED, 'models/style', `${style}.onnx`), device: 'cpu', params: { width, temporal }, input: { path: clip, frames }, output: { dir, format: 'png' } });
          secs[mode] = cpuSeconds() - t0;
          if (!src) {
            src = [];
            for await (const f of decodeFrames(info, { ...frames, width, height: res.height })) src.push(toFloat(f.image as Image8));
          }
          const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
          const out = await Promise.all(files.map(async (f) => toFloat(await readImage(path.join(dir, f)))));
          rec[mode] = await warpError(src, out, est);
          rmSync(dir, { recursive: true, force: true });
        }
        const p = rec['per-frame'];
        const t = rec.temporal;
        const ratio = t.warpError! / p.warpError!;
        const dStd = Math.max(...[0, 1, 2].map((c) => Math.abs(t.std[c] - p.std[c]) / p.std[c]));
        const dMean = Math.max(...[0, 1, 2].map((c) => Math.abs(t.mean[c] - p.mean[c]) / p.mean[c]));
        const dBorder = Math.max(...[0, 1, 2].map((c) => Math.abs(t.borderMean[c] - p.borderMean[c]) / p.borderMean[c]));
        const ok = ratio <= 0.25 && dStd <= 0.1 && dMean <= 0.03 && dBorder <= 0.03;
        allOk &&= ok;
        console.log(`${clipName} ${style} (${t.frames} frames ${t.width}x${t.height}): E_warp per-frame ${p.warpError!.toExponential(3)} temporal ${t.warpError!.toExponential(3)} ratio ${fmt(ratio, 3)} | max Δstd ${fmt(100 * dStd, 1)}% Δmean ${fmt(100 * dMean, 1)}% Δborder ${fmt(100 * dBorder, 1)}% | CPU ${fmt(secs['per-frame'], 1)}s vs ${fmt(secs.temporal, 1)}s ${ok ? 'OK' : 'MISS'}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(allOk ? 'all temporal targets met' : 'some temporal targets missed');
  if (process.env.BENCH_COST !== '0') await cost(Number(process.env.BENCH_COST_FRAMES ?? 16));
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds of temporal vs per-frame stylize, A B B A after a warm-up run. */
async function cost(frames: number): Promise<void> {
  const model = path.join(SHARED, 'models/style/mosaic.onnx');
  const clip = path.join(SHARED, 'data/video/bbb-opening_1280x720_24fps.mp4');
  const one = async (temporal: number): Promise<number> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-cost-'));
    try {
      const t0 = cpuSeconds();
      await runJob({ effect: 'stylize', model, device: 'cpu', params: { width: 640, temporal }, input: { path: clip, frames: { first: 0, last: frames - 1 } }, output: { dir, format: 'png' } });
      return cpuSeconds() - t0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await one(0.8);
  let per = 0, tem = 0;
  for (const t of [0, 0.8, 0.8, 0]) {
    const s = await one(t);
    if (t) tem += s;
    else per += s;
  }
  console.log(`cost: temporal ${fmt(tem / 2 / frames, 3)} s/frame vs per-frame ${fmt(per / 2 / frames, 3)} s/frame CPU (bbb 640x360 mosaic, ABBA x${frames}): ${fmt(tem / per)}x (target <= 1.5)`);
}
