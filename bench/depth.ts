/**
 * Depth pass measurements (issue: depth maps for video), with the real TCMonoDepth small model:
 *
 * 1. Accuracy on Middlebury 2014 Motorcycle: AbsRel and δ<1.25 after a least-squares scale and
 *    shift to the ground-truth inverse depth, for the model's low-resolution output upsampled
 *    bilinearly (the baseline), the effect's guided full-resolution output, and the written
 *    16-bit frame with the default percentiles; all pixels, and a band of ±4 px around depth edges.
 * 2. Stability on person-walk (static camera): mean |Δ| frame to frame on pixels whose source
 *    does not change, for per-frame min–max normalisation (the usual tools) and for the written
 *    output; and how closely the walking person is followed (lag ratio, see below).
 * 3. Speed: end-to-end `runJob` frames/s at the source size (decode, first pass, network,
 *    normalisation, temporal filter, guided upsampling, 16-bit PNG writing) against bare
 *    `session.run` frames/s on the same frames' tensors, in ABBA order (bare, job, job, bare)
 *    because this machine is shared and noisy. The pipeline runs with onnxruntime's threads as
 *    DREAMLAYER_THREADS sets them (1, and the default: all cores); each is compared with bare
 *    inference with the SAME thread setting (the fair ratio, the target) and with bare inference
 *    on all cores. Process CPU time per frame is printed beside (ffmpeg's decoder is a separate
 *    process and not in it). Then each step of a frame alone, CPU ms per frame.
 *
 *   node bin/run-ts.js bench/depth.ts [--frames N] [--skip accuracy,stability,speed] [--json FILE]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Image16, Image8 } from '../daemon/src/core/image.ts';
import { resolveDepthContract, type DepthContract } from '../daemon/src/effects/depth/depth-contract.ts';
import { depthAccuracy, inverseDepthFromDisparity, parseCalib } from '../daemon/src/effects/depth/depth-metrics.ts';
import { networkInputSize, prepareDepthInput, runDepthNetwork } from '../daemon/src/effects/depth/depth-network.ts';
import { clipMapping, sampleFrames } from '../daemon/src/effects/depth/depth-normalization.ts';
import { DEPTH_FLOW_OPTIONS, DepthRenderer, flowGridFor, GUIDED_DEFAULTS, workingGrid } from '../daemon/src/effects/depth/depth-renderer.ts';
import { DEFAULT_TEMPORAL, filterDepthStep } from '../daemon/src/effects/depth/temporal-depth-filter.ts';
import { BuiltinFlowEstimator } from '../daemon/src/flow/builtin-flow.ts';
import { resizeFlow } from '../daemon/src/flow/resize-flow.ts';
import { applyToGreyCodes, bilinearUpsample, guidedCoefficients, GuidedScratch, guideStats } from '../daemon/src/effects/depth/guided-upsample.ts';
import { applyMapping } from '../daemon/src/effects/depth/depth-normalization.ts';
import { resizeChannelToPlane, resizeRgb8ToPlanesAndLuma } from '../daemon/src/effects/depth/rgb-resize.ts';
import { planesToDepthInput } from '../daemon/src/effects/depth/depth-network.ts';
import { writeFileAtomic } from '../daemon/src/io/atomic-file.ts';
import { resizePlanes } from '../daemon/src/runtime/resize.ts';
import { clearSessionCache } from '../daemon/src/runtime/session-cache.ts';
import { createModelSession } from '../daemon/src/runtime/model-session.ts';
import { readPfm } from '../daemon/src/effects/depth/pfm-file.ts';
import { decodeFrames } from '../daemon/src/io/decode.ts';
import { encodePng, readImage } from '../daemon/src/io/image-file.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';
import { runJob } from '../daemon/src/pipeline/run-job.ts';
import type { ModelSession } from '../daemon/src/runtime/model-session.ts';
import { DEPTH } from '../shared/src/params/depth.ts';
import { fmt, SHARED } from './_util.ts';

const MODEL = path.join(SHARED, 'models', 'depth', 'tcmonodepth-small_192x320.onnx');
const CLIP = path.join(SHARED, 'data', 'video', 'person-walk_768x432_10fps.mp4');
const MB = (f: string) => path.join(SHARED, 'data', 'depth', 'middlebury-motorcycle', f);
/** A source pixel is static when no channel changes by more than this (of 255) between frames. */
const STATIC_MAX = 3;
/** A source pixel is moving when some channel changes by at least this much. */
const MOVING_MIN = 40;
const DEFAULT_T = DEPTH.params.find((p) => p.name === 'temporal')!.default as number;
const DEFAULTS_LABEL = `effect defaults (--temporal ${DEFAULT_T})`;

interface Loaded {
  session: ModelSession;
  contract: DepthContract;
}

async function load(): Promise<Loaded> {
  // Not from the session cache: the speed runs clear it to change the pipeline's threads.
  const session = await createModelSession(MODEL, 'tcmonodepth-small', { device: 'cpu' });
  const contract = resolveDepthContract(session, { id: 'tcmonodepth-small', path: MODEL, sha256: '' });
  return { session, contract };
}

/** Valid pixels within ±r of a ground-truth inverse-depth jump of more than 10 %. */
function edgeBand(inv: Float64Array, valid: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const band = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!valid[i]) continue;
      for (const j of [x + 1 < w ? i + 1 : -1, y + 1 < h ? i + w : -1]) {
        if (j < 0 || !valid[j] || Math.abs(inv[i] - inv[j]) <= 0.1 * Math.min(inv[i], inv[j])) continue;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) band[yy * w + xx] = 1;
      }
    }
  }
  for (let i = 0; i < band.length; i++) band[i] &= valid[i];
  return band;
}

export async function accuracy(m: Loaded): Promise<Record<string, unknown>> {
  const img = (await readImage(MB('motorcycle_left.png'), { channels: 3, bits: 8 })) as Image8;
  const calib = parseCalib(readFileSync(MB('calib.txt'), 'utf8')) as { f: number; baseline: number; doffs: number };
  const gt = inverseDepthFromDisparity(readPfm(MB('disp0.pfm')).data, calib);
  const { width: W, height: H } = img;
  const band = edgeBand(gt.inv, gt.valid, W, H, 4);
  const raw = await runDepthNetwork(m.session, m.contract, img);
  const grid = workingGrid(raw, img);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of raw.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const render = async (upsampling: 'guided' | 'bilinear', mapping: { lo: number; hi: number }) =>
    ((await new DepthRenderer(DepthRenderer.defaults({ width: W, height: H, grid, upsampling }), null).render(img, Promise.resolve(raw), () => mapping)) as Image16).data;
  const score = (pred: ArrayLike<number>) => {
    const all = depthAccuracy(pred, gt.inv, gt.valid);
    const edges = depthAccuracy(pred, gt.inv, band);
    return { absRel: +fmt(all.absRel, 4), delta1: +fmt(all.delta1, 4), edgeAbsRel: +fmt(edges.absRel, 4), edgeDelta1: +fmt(edges.delta1, 4) };
  };
  const pct = clipMapping([raw.data], 1, 99).mapping;
  const rows = {
    'network output, bilinear to full size (baseline)': score(bilinearUpsample(raw.data, raw.width, raw.height, W, H)),
    'effect, bilinear upsampling, 16-bit, no clipping': score(await render('bilinear', { lo, hi })),
    'effect, guided upsampling, 16-bit, no clipping': score(await render('guided', { lo, hi })),
    'effect defaults (guided, 1st–99th percentile), 16-bit': score(await render('guided', pct)),
  };
  console.log(`\nAccuracy, Middlebury Motorcycle ${W}x${H} (${gt.valid.reduce((a, b) => a + b, 0)} valid px, ${band.reduce((a, b) => a + b, 0)} in the ±4 px depth-edge band), TCMonoDepth small:`);
  console.log('  AbsRel   δ<1.25   edge AbsRel  edge δ<1.25');
  for (const [k, v] of Object.entries(rows)) console.log(`  ${fmt(v.absRel, 4)}   ${fmt(v.delta1, 4)}   ${fmt(v.edgeAbsRel, 4)}       ${fmt(v.edgeDelta1, 4)}    ${k}`);
  return rows;
}

/** Source frames of the clip (8-bit RGB), decoded once. */
async function sourceFrames(count: number): Promise<Image8[]> {
  const info = await probeMedia(CLIP);
  const out: Image8[] = [];
  for await (const f of decodeFrames(info, { first: 0, last: Math.min(count, info.frameCount) - 1 })) out.push(f.image);
  return out;
}

/** Mean |Δ| frame to frame (0..1 units) on static source pixels, and the share of pixels that are static. */
function flicker(src: Image8[], maps: ArrayLike<number>[], scale: number): { flicker: number; staticShare: number } {
  let sum = 0;
  let n = 0;
  let total = 0;
  for (let k = 1; k < maps.length; k++) {
    const a = src[k - 1].data;
    const b = src[k].data;
    const pa = maps[k - 1];
    const pb = maps[k];
    for (let i = 0; i < pb.length; i++) {
      total++;
      const d = Math.max(Math.abs(a[3 * i] - b[3 * i]), Math.abs(a[3 * i + 1] - b[3 * i + 1]), Math.abs(a[3 * i + 2] - b[3 * i + 2]));
      if (d > STATIC_MAX) continue;
      sum += Math.abs(pb[i] - pa[i]) * scale;
      n++;
    }
  }
  return { flicker: sum / n, staticShare: n / total };
}

/**
 * Lag ratio on moving source pixels: mean |out_k − ref_k| / mean |ref_k − ref_{k−1}|, where ref is
 * the same pipeline without temporal smoothing. An output one frame late scores about 1; an output
 * that follows within the frame scores near 0.
 */
function lagRatio(src: Image8[], out: ArrayLike<number>[], ref: ArrayLike<number>[]): { lag: number; movingShare: number } {
  let num = 0;
  let den = 0;
  let n = 0;
  let total = 0;
  for (let k = 1; k < out.length; k++) {
    const a = src[k - 1].data;
    const b = src[k].data;
    for (let i = 0; i < out[k].length; i++) {
      total++;
      const d = Math.max(Math.abs(a[3 * i] - b[3 * i]), Math.abs(a[3 * i + 1] - b[3 * i + 1]), Math.abs(a[3 * i + 2] - b[3 * i + 2]));
      if (d < MOVING_MIN) continue;
      num += Math.abs(out[k][i] - ref[k][i]);
      den += Math.abs(ref[k][i] - ref[k - 1][i]);
      n++;
    }
  }
  return { lag: num / den, movingShare: n / total };
}

async function readSequence(dir: string, count: number): Promise<Uint16Array[]> {
  const out: Uint16Array[] = [];
  for (let i = 0; i < count; i++) out.push(((await readImage(path.join(dir, `frame_${String(i).padStart(6, '0')}.png`))) as Image16).data);
  return out;
}

/** CPU time of this process (all its threads), ms. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

interface Timed {
  fps: number;
  /** Process CPU ms per frame (main thread, worker threads, thread pool; not the ffmpeg child). */
  cpuPerFrame: number;
}

async function renderJob(out: string, frames: number, params: Record<string, unknown>): Promise<Timed> {
  rmSync(out, { recursive: true, force: true });
  const c = cpuMs();
  const t = performance.now();
  await runJob({ effect: 'depth', params, model: MODEL, device: 'cpu', input: { path: CLIP, frames: { first: 0, last: frames - 1 } }, output: { dir: out, format: 'png', bits: 16 } });
  const seconds = (performance.now() - t) / 1000;
  return { fps: frames / seconds, cpuPerFrame: (cpuMs() - c) / frames };
}

/** Bare inference: session.run on already-prepared tensors of the clip's frames. */
async function bareFps(session: ModelSession, input: string, tensors: { data: Float32Array; dims: number[] }[]): Promise<Timed> {
  await session.run({ [input]: tensors[0] });
  const c = cpuMs();
  const t = performance.now();
  for (const x of tensors) await session.run({ [input]: x });
  return { fps: tensors.length / ((performance.now() - t) / 1000), cpuPerFrame: (cpuMs() - c) / tensors.length };
}

/** Where a frame's time goes, each step timed alone over the frames (CPU ms per frame, the best of `rounds`). */
async function breakdown(m: Loaded, src: Image8[], rounds = 2): Promise<Record<string, number>> {
  const n = src.length;
  const { width: W, height: H } = src[0];
  const best: Record<string, number> = {};
  const ms = async (name: string, f: () => Promise<unknown> | unknown) => {
    const c = cpuMs();
    await f();
    best[name] = Math.min(best[name] ?? Infinity, (cpuMs() - c) / n);
  };
  const info = await probeMedia(CLIP);
  const size = networkInputSize(m.contract, W, H);
  const one = await createModelSession(MODEL, 'steps-1-thread', { device: 'cpu', threads: 1 });
  const raws: Awaited<ReturnType<typeof runDepthNetwork>>[] = [];
  for (const img of src) raws.push(await runDepthNetwork(m.session, m.contract, img));
  const grid = workingGrid(raws[0], src[0]);
  const fg = flowGridFor(grid);
  const gn = grid.width * grid.height;
  const mapping = clipMapping(raws.map((r) => r.data), 1, 99).mapping;
  const flowEst = new BuiltinFlowEstimator(DEPTH_FLOW_OPTIONS);
  const scratch = new GuidedScratch(grid.width, grid.height);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-depth-steps-'));
  try {
    for (let r = 0; r < rounds; r++) {
      await ms('decode (this process; ffmpeg not counted)', async () => {
        for await (const f of decodeFrames(info, { first: 0, last: n - 1 })) void f;
      });
      const tensors: { data: Float32Array; dims: number[] }[] = [];
      const lum: Float32Array[] = [];
      await ms('network input + grid luminance (one pass)', () =>
        src.forEach((img) => {
          const { planes, luma } = resizeRgb8ToPlanesAndLuma(img.data, W, H, img.channels, size.width, size.height, grid.width);
          tensors.push(planesToDepthInput(planes, m.contract, size));
          lum.push(luma);
        }));
      await ms('inference (session.run, 1 thread)', async () => {
        for (const x of tensors) await one.run({ [m.contract.input]: x });
      });
      const guides: ReturnType<typeof guideStats>[] = [];
      await ms('guide statistics (grid)', () => lum.forEach((l) => guides.push(guideStats(l, grid.width, grid.height, GUIDED_DEFAULTS.radius, { meanI: new Float32Array(gn), varI: new Float32Array(gn) }, scratch))));
      const flows: ReturnType<typeof resizeFlow>[] = [];
      await ms('optical flow (96 px grid, no refinement) for the temporal filter', async () => {
        for (let k = 1; k < n; k++) {
          const cur = resizePlanes(lum[k], 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
          const prev = resizePlanes(lum[k - 1], 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
          const f = await flowEst.estimate({ width: fg.width, height: fg.height, channels: 1, data: cur }, { width: fg.width, height: fg.height, channels: 1, data: prev });
          flows.push(resizeFlow(f, grid.width, grid.height));
        }
      });
      const depth: Float32Array[] = [];
      await ms('raw → grid, clip mapping', () => raws.forEach((p) => depth.push(applyMapping(resizePlanes(p.data, 1, p.height, p.width, grid.height, grid.width, 'bilinear'), mapping))));
      await ms('temporal filter (warp + blend, grid)', () => {
        for (let k = 1; k < n; k++) filterDepthStep(depth[k], lum[k], { depth: depth[k - 1], luma: lum[k - 1] }, flows[k - 1], { strength: DEFAULT_T, ...DEFAULT_TEMPORAL }, depth[k]);
      });
      const coeffs: { a: Float32Array; b: Float32Array }[] = [];
      await ms('guided-filter coefficients (grid)', () => depth.forEach((d, k) => {
        const c = guidedCoefficients(guides[k], d, GUIDED_DEFAULTS.eps, scratch);
        coeffs.push({ a: c.a.slice(), b: c.b.slice() });
      }));
      const outs: Image16[] = [];
      await ms('full size: luminance, guided upsampling, 16-bit codes (one pass)', () => coeffs.forEach((c, k) => outs.push({ width: W, height: H, channels: 1, data: applyToGreyCodes(c.a, c.b, grid.width, grid.height, src[k].data, src[k].channels, W, H, 16, false) as Uint16Array })));
      await ms('temporal state from the written codes', () => outs.forEach((o) => resizeChannelToPlane(o.data, W, H, 1, grid.width, grid.height, 1 / 65535)));
      const pngs: Buffer[] = [];
      await ms('16-bit PNG encoding (filter here, deflate on the thread pool)', async () => {
        for (const o of outs) pngs.push(await encodePng(o, { compressionLevel: 3 }));
      });
      await ms('atomic write (temp, fsync, rename)', async () => {
        for (let k = 0; k < n; k++) await writeFileAtomic(path.join(dir, `f${k}.png`), pngs[k]);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await one.release();
  }
  return best;
}

/** Runs `f` with onnxruntime's thread count set as the pipeline reads it (DREAMLAYER_THREADS; undefined = all cores). */
async function withThreads<T>(threads: number | undefined, f: () => Promise<T>): Promise<T> {
  const saved = process.env.DREAMLAYER_THREADS;
  if (threads === undefined) delete process.env.DREAMLAYER_THREADS;
  else process.env.DREAMLAYER_THREADS = String(threads);
  await clearSessionCache(); // the job's session is created anew with these threads
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.DREAMLAYER_THREADS;
    else process.env.DREAMLAYER_THREADS = saved;
    await clearSessionCache();
  }
}

export async function stability(m: Loaded, frames: number): Promise<Record<string, unknown>> {
  const src = await sourceFrames(frames);
  const n = src.length;
  const { width: W, height: H } = src[0];
  const work = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-depth-'));
  try {
    await renderJob(path.join(work, 'default'), n, {});
    await renderJob(path.join(work, 'still'), n, { temporal: 0 });
    const ours = await readSequence(path.join(work, 'default'), n);
    const ref = await readSequence(path.join(work, 'still'), n);

    // The usual tools: each frame's raw depth, bilinear to full size, min–max normalised on its own.
    const perFrame: Float32Array[] = [];
    const raws: Float32Array[] = [];
    let rawSize = { width: 0, height: 0 };
    for (const img of src) {
      const raw = await runDepthNetwork(m.session, m.contract, img);
      raws.push(raw.data);
      rawSize = raw;
      const up = bilinearUpsample(raw.data, raw.width, raw.height, W, H);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of up) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      perFrame.push(up.map((v) => (v - lo) / (hi - lo)));
    }
    // Clip normalisation alone (no temporal filter, bilinear), to separate the two effects.
    const mapping = clipMapping(sampleFrames(0, n - 1, 32).map((i) => raws[i]), 1, 99).mapping;
    const clipOnly = raws.map((r) => {
      const up = bilinearUpsample(r, rawSize.width, rawSize.height, W, H);
      return up.map((v) => Math.min(1, Math.max(0, (v - mapping.lo) / (mapping.hi - mapping.lo))));
    });

    const base = flicker(src, perFrame, 1);
    const rows = {
      'per-frame min–max (baseline)': base.flicker,
      'clip mapping only (bilinear, no temporal)': flicker(src, clipOnly, 1).flicker,
      'effect, --temporal 0': flicker(src, ref, 1 / 65535).flicker,
      [DEFAULTS_LABEL]: flicker(src, ours, 1 / 65535).flicker,
    };
    const lag = lagRatio(src, ours.map((a) => Float32Array.from(a, (v) => v / 65535)), ref.map((a) => Float32Array.from(a, (v) => v / 65535)));
    console.log(`\nStability, person-walk ${W}x${H}, ${n} frames (static: ${fmt(100 * base.staticShare, 1)} % of pixel pairs with |ΔRGB| ≤ ${STATIC_MAX}):`);
    console.log('  mean |Δ| (0..1)  ratio to baseline');
    for (const [k, v] of Object.entries(rows)) console.log(`  ${fmt(v, 5)}          ${fmt(v / base.flicker, 3)}    ${k}`);
    console.log(`  moving pixels (|ΔRGB| ≥ ${MOVING_MIN}, ${fmt(100 * lag.movingShare, 2)} %): lag ratio ${fmt(lag.lag, 3)} (1 = one frame late, 0 = follows within the frame)`);
    console.log(`  target: defaults ≤ 0.4 × baseline → ${rows[DEFAULTS_LABEL] / base.flicker <= 0.4 ? 'met' : 'NOT met'}`);
    return { flicker: rows, ratio: rows[DEFAULTS_LABEL] / base.flicker, lag: lag.lag, staticShare: base.staticShare };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function speed(m: Loaded, frames: number, settings: (number | undefined)[] = [1, undefined]): Promise<Record<string, unknown>> {
  const src = await sourceFrames(frames);
  const n = src.length;
  const { width: W, height: H } = src[0];
  const size = networkInputSize(m.contract, W, H);
  const tensors = src.map((img) => prepareDepthInput(img, m.contract, size));
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const label = (t: number | undefined) => (t === undefined ? `all ${cores} cores (default)` : `${t} thread${t === 1 ? '' : 's'}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-depth-speed-'));
  const result: Record<string, unknown> = { width: W, height: H, frames: n, cores };
  try {
    const allCores = await createModelSession(MODEL, 'bare-all-cores', { device: 'cpu' });
    console.log(`\nSpeed, ${W}x${H} source, ${n} frames, cpu (${cores} cores, load ${os.loadavg().map((v) => fmt(v, 1)).join(' ')} at the start):`);
    for (const t of settings) {
      const bareSession = t === undefined ? allCores : await createModelSession(MODEL, `bare-${t}`, { device: 'cpu', threads: t });
      const row = await withThreads(t, async () => {
        await renderJob(path.join(work, 'warm'), Math.min(n, 8), {}); // session, JIT and worker warm
        const bare: Timed[] = [];
        const bareAll: Timed[] = [];
        const jobs: Timed[] = [];
        bare.push(await bareFps(bareSession, m.contract.input, tensors));
        if (t !== undefined) bareAll.push(await bareFps(allCores, m.contract.input, tensors));
        jobs.push(await renderJob(path.join(work, 'job'), n, {}));
        jobs.push(await renderJob(path.join(work, 'job'), n, {}));
        if (t !== undefined) bareAll.push(await bareFps(allCores, m.contract.input, tensors));
        bare.push(await bareFps(bareSession, m.contract.input, tensors));
        const mean = (a: Timed[], k: keyof Timed) => a.reduce((s, x) => s + x[k], 0) / a.length;
        const b = mean(bare, 'fps');
        const ba = t === undefined ? b : mean(bareAll, 'fps');
        const e = mean(jobs, 'fps');
        return {
          threads: t ?? 'default',
          bareFps: b,
          bareRuns: bare.map((x) => x.fps),
          bareCpuMsPerFrame: mean(bare, 'cpuPerFrame'),
          bareAllCoresFps: ba,
          endToEndFps: e,
          endToEndRuns: jobs.map((x) => x.fps),
          endToEndCpuMsPerFrame: mean(jobs, 'cpuPerFrame'),
          ratioFair: e / b,
          ratioVsAllCores: e / ba,
        };
      });
      if (bareSession !== allCores) await bareSession.release();
      console.log(`  onnxruntime ${label(t)}: bare ${fmt(row.bareFps, 1)} fps (${row.bareRuns.map((v) => fmt(v, 1)).join(', ')}; ${fmt(row.bareCpuMsPerFrame, 1)} CPU ms/frame), end to end ${fmt(row.endToEndFps, 1)} fps (${row.endToEndRuns.map((v) => fmt(v, 1)).join(', ')}; ${fmt(row.endToEndCpuMsPerFrame, 1)} CPU ms/frame)`);
      console.log(`    ratio to bare inference with the same threads ${fmt(row.ratioFair, 2)} (target ≥ 0.8: ${row.ratioFair >= 0.8 ? 'met' : 'NOT met'}); to bare inference on all cores (${fmt(row.bareAllCoresFps, 1)} fps) ${fmt(row.ratioVsAllCores, 2)}`);
      result[`threads_${t ?? 'default'}`] = row;
    }
    await allCores.release();
    const steps = await breakdown(m, src.slice(0, Math.min(30, n)));
    console.log('  one step at a time, CPU ms per frame (all threads of this process):');
    for (const [k, v] of Object.entries(steps)) console.log(`    ${fmt(v, 2).padStart(6)}  ${k}`);
    result.stepsCpuMsPerFrame = steps;
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const frames = Number(opt('--frames') ?? 150);
  const skip = new Set((opt('--skip') ?? '').split(',').filter(Boolean));
  const m = await load();
  const out: Record<string, unknown> = { model: 'tcmonodepth-small', frames };
  if (!skip.has('accuracy')) out.accuracy = await accuracy(m);
  if (!skip.has('stability')) out.stability = await stability(m, frames);
  if (!skip.has('speed')) out.speed = await speed(m, frames);
  const json = opt('--json');
  if (json) await writeFile(json, JSON.stringify(out, null, 2) + '\n');
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
