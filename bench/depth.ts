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
 * 3. Speed: end-to-end `runJob` frames/s at the source size (decode, network, normalisation,
 *    temporal filter, guided upsampling, 16-bit PNG writing) against bare `session.run` frames/s
 *    on the same frames' tensors; bare runs are interleaved with the end-to-end runs because this
 *    machine is shared and noisy.
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
import { DepthRenderer, workingGrid } from '../daemon/src/effects/depth/depth-renderer.ts';
import { DEFAULT_TEMPORAL } from '../daemon/src/effects/depth/temporal-depth-filter.ts';
import { BuiltinFlowEstimator } from '../daemon/src/flow/builtin-flow.ts';
import { bilinearUpsample } from '../daemon/src/effects/depth/guided-upsample.ts';
import { readPfm } from '../daemon/src/effects/depth/pfm-file.ts';
import { decodeFrames } from '../daemon/src/io/decode.ts';
import { encodePng, readImage } from '../daemon/src/io/image-file.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';
import { runJob } from '../daemon/src/pipeline/run-job.ts';
import { getSession } from '../daemon/src/runtime/session-cache.ts';
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
  const session = await getSession(MODEL, { device: 'cpu' });
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

async function renderJob(out: string, frames: number, params: Record<string, unknown>): Promise<{ seconds: number; fps: number }> {
  rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  await runJob({ effect: 'depth', params, model: MODEL, device: 'cpu', input: { path: CLIP, frames: { first: 0, last: frames - 1 } }, output: { dir: out, format: 'png', bits: 16 } });
  const seconds = (performance.now() - t) / 1000;
  return { seconds, fps: frames / seconds };
}

/** Bare inference frames/s: session.run on already-prepared tensors of the clip's frames. */
async function bareFps(m: Loaded, src: Image8[]): Promise<number> {
  const size = networkInputSize(m.contract, src[0].width, src[0].height);
  const tensors = src.map((img) => prepareDepthInput(img, m.contract, size));
  await m.session.run({ [m.contract.input]: tensors[0] });
  const t = performance.now();
  for (const x of tensors) await m.session.run({ [m.contract.input]: x });
  return tensors.length / ((performance.now() - t) / 1000);
}

/** Where a frame's time goes, each step timed alone over the clip (ms per frame). */
async function breakdown(m: Loaded, src: Image8[]): Promise<Record<string, number>> {
  const n = src.length;
  const { width: W, height: H } = src[0];
  const ms = async (f: () => Promise<unknown> | unknown) => {
    const t = performance.now();
    await f();
    return (performance.now() - t) / n;
  };
  const info = await probeMedia(CLIP);
  const decode = await ms(async () => {
    for await (const f of decodeFrames(info, { first: 0, last: n - 1 })) void f;
  });
  const size = networkInputSize(m.contract, W, H);
  const tensors: { data: Float32Array; dims: number[] }[] = [];
  const prepare = await ms(() => src.forEach((img) => tensors.push(prepareDepthInput(img, m.contract, size))));
  const raws: Awaited<ReturnType<typeof runDepthNetwork>>[] = [];
  for (const img of src) raws.push(await runDepthNetwork(m.session, m.contract, img));
  const grid = workingGrid(raws[0], src[0]);
  const mapping = clipMapping(raws.map((r) => r.data), 1, 99).mapping;
  const renderAll = async (strength: number) => {
    const r = new DepthRenderer(DepthRenderer.defaults({ width: W, height: H, grid, temporal: { strength, ...DEFAULT_TEMPORAL } }), strength > 0 ? new BuiltinFlowEstimator({ preset: 'fast', params: { finestScale: 0 } }) : null);
    const out: Image16[] = [];
    for (let k = 0; k < n; k++) out.push((await r.render(src[k], Promise.resolve(raws[k]), () => mapping)) as Image16);
    return out;
  };
  let outs: Image16[] = [];
  const post = await ms(async () => (outs = await renderAll(0)));
  const postTemporal = await ms(() => renderAll(DEFAULT_T));
  const png = await ms(async () => {
    for (const o of outs) await encodePng(o);
  });
  return { decode, prepare, post, postTemporal, png };
}

export async function stabilityAndSpeed(m: Loaded, frames: number, doSpeed: boolean): Promise<Record<string, unknown>> {
  const src = await sourceFrames(frames);
  const n = src.length;
  const { width: W, height: H } = src[0];
  const work = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-depth-'));
  try {
    const bare: number[] = [];
    if (doSpeed) bare.push(await bareFps(m, src));
    const withTemporal = await renderJob(path.join(work, 'default'), n, {});
    if (doSpeed) bare.push(await bareFps(m, src));
    const noTemporal = await renderJob(path.join(work, 'still'), n, { temporal: 0 });
    if (doSpeed) bare.push(await bareFps(m, src));
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
    const result: Record<string, unknown> = { flicker: rows, ratio: rows[DEFAULTS_LABEL] / base.flicker, lag: lag.lag, staticShare: base.staticShare };
    if (doSpeed) {
      const bareMean = bare.reduce((a, b) => a + b, 0) / bare.length;
      console.log(`\nSpeed, ${W}x${H} source, ${n} frames, cpu (${os.cpus().length} cores, load ${os.loadavg().map((v) => fmt(v, 1)).join(' ')}):`);
      console.log(`  bare inference          ${fmt(bareMean, 1)} fps (runs: ${bare.map((v) => fmt(v, 1)).join(', ')})`);
      console.log(`  end to end, defaults    ${fmt(withTemporal.fps, 1)} fps  ratio ${fmt(withTemporal.fps / bareMean, 2)}`);
      console.log(`  end to end, temporal 0  ${fmt(noTemporal.fps, 1)} fps  ratio ${fmt(noTemporal.fps / bareMean, 2)}   (target ≥ 0.8)`);
      const b = await breakdown(m, src.slice(0, Math.min(40, n)));
      console.log(`  one step at a time (ms/frame): decode ${fmt(b.decode, 1)}, network input ${fmt(b.prepare, 1)}, network ${fmt(1000 / bareMean, 1)}, mapping + guided upsampling + 16-bit ${fmt(b.post, 1)} (with the temporal filter and its flow ${fmt(b.postTemporal, 1)}), 16-bit PNG encoding ${fmt(b.png, 1)}`);
      result.breakdownMs = b;
      result.speed = { bareFps: bareMean, bareRuns: bare, endToEndFps: withTemporal.fps, endToEndNoTemporalFps: noTemporal.fps, ratio: withTemporal.fps / bareMean, ratioNoTemporal: noTemporal.fps / bareMean, cores: os.cpus().length, load: os.loadavg() };
    }
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
  if (!skip.has('stability') || !skip.has('speed')) out.stability = await stabilityAndSpeed(m, frames, !skip.has('speed'));
  const json = opt('--json');
  if (json) await writeFile(json, JSON.stringify(out, null, 2) + '\n');
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
