/**
 * Runs one job: validate → probe → open processors → decode → process → write →
 * result.json. Idempotent and resumable: frames already finished in the output
 * are neither recomputed nor rewritten (stateful effects get their state back
 * from the last finished frame), so "resume" is simply running the job again.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError, toDreamLayerError } from '../../../shared/src/errors.ts';
import { JobSpecSchema, type JobSpec, type JobSpecInput, type ProgressInfo, type ResultRecord } from '../../../shared/src/job-spec.ts';
import { resolveParams } from '../../../shared/src/params/param-spec.ts';
import type { Image8, PixelImage, VideoFrame } from '../core/image.ts';
import { getEffect } from '../effects/registry.ts';
import type { FrameProcessor } from '../effects/effect.ts';
import { probeMedia, type MediaInfo } from '../io/probe.ts';
import { resolveFfmpeg } from '../io/ffmpeg-binaries.ts';
import { decodeFrames } from '../io/decode.ts';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic-file.ts';
import { encodeJpeg } from '../io/image-file.ts';
import { parseDevice } from '../runtime/providers.ts';
import { createFrameSink, isFrameSequence, resultFileName } from './frame-sinks.ts';
import { ProgressTracker } from './progress-tracker.ts';
import { runStages } from './run-stages.ts';
import { StateStore } from './state-store.ts';
import { jobFingerprint } from './segmented-movie-sink.ts';

export interface RunContext {
  signal?: AbortSignal;
  onProgress?: (p: ProgressInfo) => void;
  /** A small JPEG of a recent output frame, at most about once a second. */
  onPreview?: (frame: number, jpeg: Buffer) => void;
  log?: (line: string) => void;
}

/** Processing size: 0 keeps the source; one side given keeps the aspect ratio (even numbers, for video encoders). */
export function processingSize(src: { width: number; height: number }, width: number, height: number): { width: number; height: number } {
  const even = (v: number) => Math.max(2, Math.round(v / 2) * 2);
  if (width > 0 && height > 0) return { width: even(width), height: even(height) };
  if (width > 0) return { width: even(width), height: even((src.height * width) / src.width) };
  if (height > 0) return { width: even((src.width * height) / src.height), height: even(height) };
  return { width: src.width, height: src.height };
}

function validateRange(info: MediaInfo, range: { first: number; last: number } | undefined): { first: number; last: number } {
  const r = range ?? { first: 0, last: info.frameCount - 1 };
  if (r.first > r.last || r.last >= info.frameCount) {
    throw new DreamLayerError('FRAME_RANGE_INVALID', {
      stage: 'validate',
      message: `Frames ${r.first}:${r.last} lie outside ${path.basename(info.path)}, which has ${info.frameCount} frames (0:${info.frameCount - 1}).`,
    });
  }
  return r;
}

/** Parses and checks a job spec; throws PARAM_INVALID listing every problem. */
export function validateJobSpec(input: JobSpecInput | JobSpec): JobSpec {
  const parsed = JobSpecSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'job'}: ${i.message}`);
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Invalid job: ${problems.join('; ')}.` });
  }
  const spec = parsed.data;
  for (const step of [{ effect: spec.effect, params: spec.params }, ...spec.then]) {
    const eff = getEffect(step.effect);
    const res = resolveParams(eff.descriptor.params, step.params);
    if (!res.ok) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Invalid ${step.effect} parameters: ${res.problems.join('; ')}.` });
    if (!eff.descriptor.formats.includes(spec.output.format) && step.effect === spec.effect) {
      throw new DreamLayerError('FORMAT_UNSUPPORTED', { stage: 'validate', message: `${step.effect} cannot write ${spec.output.format}.`, hint: `Use one of: ${eff.descriptor.formats.join(', ')}.` });
    }
  }
  return spec;
}

export async function runJob(specInput: JobSpecInput | JobSpec, ctx: RunContext = {}): Promise<ResultRecord> {
  const log = ctx.log ?? (() => undefined);
  const started = performance.now();
  const spec = validateJobSpec(specInput);
  const device = parseDevice(spec.device);
  const ff = resolveFfmpeg();
  log(`ffmpeg ${ff.version} (${ff.source}): ${ff.ffmpeg}`);
  const info = await probeMedia(spec.input.path, { sequenceFps: spec.input.fps, signal: ctx.signal });
  const range = validateRange(info, spec.input.frames);
  await ensureWritableDir(spec.output.dir);

  const steps = [{ effect: spec.effect, params: spec.params, model: spec.model }, ...spec.then];
  const processors: FrameProcessor[] = [];
  const allParams: Record<string, unknown>[] = [];
  let size = { width: info.width, height: info.height };
  const readFrames = (w: number, h: number) => (first: number, last: number, pick?: readonly number[]) => decodeFrames(info, { first, last, pick, width: w, height: h, signal: ctx.signal });
  try {
    for (let i = 0; i < steps.length; i++) {
      const eff = getEffect(steps[i].effect);
      const res = resolveParams(eff.descriptor.params, steps[i].params);
      const params = (res as { params: Record<string, unknown> }).params;
      allParams.push(params);
      if (i === 0) size = processingSize(info, (params.width as number) ?? 0, (params.height as number) ?? 0);
      const proc = await eff.create({
        params, model: steps[i].model, device, source: info, range, width: size.width, height: size.height,
        signal: ctx.signal, log, readFrames: readFrames(size.width, size.height),
      });
      processors.push(proc);
      size = proc.outputSize;
    }
    return await renderFrames(spec, info, range, processors, allParams, size, started, ctx);
  } catch (e) {
    throw toDreamLayerError(e, 'INTERNAL');
  } finally {
    for (const p of processors) await p.dispose?.().catch(() => undefined);
  }
}

async function renderFrames(
  spec: JobSpec, info: MediaInfo, range: { first: number; last: number }, processors: FrameProcessor[],
  allParams: Record<string, unknown>[], outSize: { width: number; height: number }, started: number, ctx: RunContext,
): Promise<ResultRecord> {
  const sink = createFrameSink(spec.output, spec.output.bits, { range, fps: info.fps, fingerprint: jobFingerprint(spec, info, range), signal: ctx.signal, log: ctx.log });
  const finished = sink.finished();
  const total = range.last - range.first + 1;
  let resumeAt = range.first;
  while (resumeAt <= range.last && finished.has(resumeAt)) resumeAt++;
  const doneBefore = [...finished].filter((i) => i >= range.first && i <= range.last).length;
  const tracker = new ProgressTracker(total, doneBefore);
  const anyStateful = processors.some((p) => p.stateful);
  const states = new StateStore(spec.output.dir, processors.map((p, i) => p.stateful && !(i === processors.length - 1 && isFrameSequence(spec.output.format))), sink.isCheckpoint?.bind(sink));

  if (resumeAt <= range.last) {
    const decodeFrom = anyStateful && resumeAt > range.first ? resumeAt - 1 : resumeAt;
    const frames = decodeFrames(info, { first: decodeFrom, last: range.last, width: undefinedIfSame(info, spec, 'width'), height: undefinedIfSame(info, spec, 'height'), signal: ctx.signal });
    let lastPreview = 0;
    ctx.onProgress?.(tracker.snapshot(resumeAt > range.first ? 'resume' : 'start'));
    const processStage = async (frame: VideoFrame): Promise<{ index: number; out: PixelImage } | undefined> => {
      if (frame.index < resumeAt) {
        // The frame before the resume point: rebuild each stateful processor's state from disk.
        let src = frame;
        for (let i = 0; i < processors.length; i++) {
          const p = processors[i];
          const out = states.enabled(i) ? await states.read(i, frame.index) : i === processors.length - 1 ? await sink.read(frame.index) : null;
          if (p.stateful && p.restore) {
            if (!out) throw new DreamLayerError('INTERNAL', { stage: 'temporal', frame: frame.index, message: `Cannot resume: the state of step ${i} after frame ${frame.index} is missing.` });
            await p.restore({ source: src, output: out });
          }
          if (i < processors.length - 1) {
            if (!out) break;
            src = { index: frame.index, image: out as Image8 };
          }
        }
        return undefined;
      }
      let cur: VideoFrame = frame;
      let out: PixelImage = frame.image;
      for (let i = 0; i < processors.length; i++) {
        try {
          out = await processors[i].process(cur);
        } catch (e) {
          throw toDreamLayerError(e, 'INFERENCE_FAILED', { stage: 'infer', frame: frame.index });
        }
        if (states.enabled(i)) await states.write(i, frame.index, out);
        cur = { index: frame.index, image: out as Image8 };
      }
      return { index: frame.index, out };
    };
    const writeStage = async (item: { index: number; out: PixelImage }) => {
      if (!finished.has(item.index)) {
        try {
          await sink.write(item.index, item.out);
        } catch (e) {
          throw toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage: 'write', frame: item.index });
        }
      }
      const p = tracker.frameDone(item.index);
      ctx.onProgress?.(p);
      const now = performance.now();
      if (ctx.onPreview && now - lastPreview > 1000 && item.out.channels !== 1 && item.out.data instanceof Uint8Array) {
        lastPreview = now;
        ctx.onPreview(item.index, await encodeJpeg(item.out as Image8, 70, 320));
      }
      return undefined;
    };
    try {
      // A first step that looks ahead (FrameProcessor.prefetch) sees each frame as soon as it is decoded.
      const first = processors[0];
      const lookAhead = first.prefetch
        ? [(frame: VideoFrame) => {
            if (frame.index >= resumeAt) first.prefetch!(frame);
            return frame;
          }]
        : [];
      await runStages(frames, [...lookAhead, processStage, writeStage], { signal: ctx.signal, capacity: 2 });
    } catch (e) {
      await sink.abort?.().catch(() => undefined); // no encoder left running, no partial segment left behind
      throw e;
    }
  }
  ctx.onProgress?.({ ...tracker.snapshot('encode'), etaSeconds: 0 });
  const outputs = await sink.finish({ first: range.first, last: range.last, fps: info.fps, width: outSize.width, height: outSize.height, source: info, signal: ctx.signal });
  await states.clear();
  const seconds = (performance.now() - started) / 1000;
  const extra: Record<string, unknown> = {};
  for (const p of processors) Object.assign(extra, p.extra?.() ?? {});
  const record: ResultRecord = {
    effect: spec.effect,
    chain: [spec.effect, ...spec.then.map((s) => s.effect)],
    input: path.resolve(spec.input.path),
    model: processors[0].model,
    device: processors.map((p) => p.device).filter((d, i, a) => a.indexOf(d) === i).join('+'),
    fps: info.fps.num / info.fps.den,
    fpsRational: `${info.fps.num}/${info.fps.den}`,
    width: outSize.width,
    height: outSize.height,
    frames: { first: range.first, last: range.last, count: total },
    pattern: outputs.pattern,
    movie: outputs.movie,
    params: spec.then.length ? { ...allParams[0], then: spec.then.map((s, i) => ({ effect: s.effect, model: processors[i + 1].model?.id ?? null, params: allParams[i + 1] })) } : allParams[0],
    timing: { seconds, framesPerSecond: (total - doneBefore) / Math.max(seconds, 1e-9) },
    ffmpeg: { version: resolveFfmpeg().version, source: resolveFfmpeg().source },
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  await writeFileAtomic(path.join(spec.output.dir, resultFileName(spec.output)), JSON.stringify(record, null, 2) + '\n');
  ctx.onProgress?.({ ...tracker.snapshot('done'), etaSeconds: 0 });
  return record;
}

/** The decoder resizes to the processing size of the first step (undefined = source size). */
function undefinedIfSame(info: MediaInfo, spec: JobSpec, side: 'width' | 'height'): number | undefined {
  const p = spec.params as Record<string, number | undefined>;
  const size = processingSize(info, p.width ?? 0, p.height ?? 0);
  return size[side] === info[side] ? undefined : size[side];
}

/** Reads a result record written by an earlier run. */
export async function readResult(dir: string, name = 'result.json'): Promise<ResultRecord> {
  return JSON.parse(await readFile(path.join(dir, name), 'utf8')) as ResultRecord;
}
