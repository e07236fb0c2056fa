/**
 * The infinite zoom: dream on a picture, enlarge the result about a centre
 * (zoom-frame.ts), dream again on that, N times, each result one output frame
 * (PNG sequence or movie). With `reverse` the frames are numbered backwards,
 * so the sequence plays as a zoom out of the last dream into the picture.
 *
 * Resumable like every job: the frames are written atomically and are the
 * checkpoint. The state of step t is the 8-bit frame written for step t − 1
 * (the uninterrupted run also continues from the quantised frame) and the
 * jitter is seeded per step, so a job killed at any point and run again gives
 * the same frames as one that never stopped.
 */
import path from 'node:path';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { OutputSpec, ProgressInfo, ResultRecord } from '../../../../shared/src/job-spec.ts';
import { DREAM } from '../../../../shared/src/params/dream.ts';
import { resolveParams } from '../../../../shared/src/params/param-spec.ts';
import type { Image8 } from '../../core/image.ts';
import { decodeFrames } from '../../io/decode.ts';
import { probeMedia } from '../../io/probe.ts';
import { ensureWritableDir, writeFileAtomic } from '../../io/atomic-file.ts';
import { createFrameSink, resultFileName } from '../../pipeline/frame-sinks.ts';
import { ProgressTracker } from '../../pipeline/progress-tracker.ts';
import { processingSize } from '../../pipeline/run-job.ts';
import type { Device } from '../../runtime/providers.ts';
import type { PlanarImage } from '../../runtime/tiling.ts';
import { dreamSettings, formatTrace } from './dream-effect.ts';
import { openDream } from './dream-network.ts';
import { dreamPlanes, type OctaveTrace } from './dream-octaves.ts';
import { clampInPlace, image8ToPlanes, planesToImage8 } from './planar-ops.ts';
import { mixSeed } from '../../core/seeded-random.ts';
import { zoomPlanes, type ZoomStep } from './zoom-frame.ts';

export interface ZoomJobSpec {
  /** Still image, or a clip whose frame `frame` starts the zoom. */
  input: string;
  frame?: number;
  output: Pick<OutputSpec, 'dir' | 'format'> & Partial<Pick<OutputSpec, 'movieName' | 'crf' | 'keepFrames'>>;
  /** Dream parameters (as for the dream effect; defaults filled in). */
  params?: Record<string, unknown>;
  model?: string;
  device?: Device;
  /** Enlargement per frame (≥ 1). */
  zoom: number;
  /** Number of frames to write. */
  framesOut: number;
  /** Fixed point, as fractions of width and height (default the middle). */
  center?: [number, number];
  /** Clockwise turn per frame, degrees. */
  rotate?: number;
  /** Number the frames backwards (a zoom out). */
  reverse?: boolean;
  /** Frame rate of a movie output (default 24). */
  fps?: number;
}

export interface ZoomRunContext {
  signal?: AbortSignal;
  onProgress?: (p: ProgressInfo) => void;
  log?: (line: string) => void;
  /** Called after each step with its number, the picture the dream started from (the zoomed previous frame) and the written frame. */
  onStep?: (step: number, start: PlanarImage, written: Image8) => void;
}

function invalid(message: string, hint?: string): DreamLayerError {
  return new DreamLayerError('PARAM_INVALID', { stage: 'validate', message, ...(hint ? { hint } : {}) });
}

/** Checks the zoom settings; throws PARAM_INVALID naming the bad one. */
export function checkZoomSpec(spec: ZoomJobSpec): void {
  if (!Number.isFinite(spec.zoom) || spec.zoom < 1 || spec.zoom > 4) throw invalid(`--zoom ${spec.zoom} is outside 1…4.`, 'Use a small enlargement per frame, e.g. --zoom 1.05.');
  if (!Number.isInteger(spec.framesOut) || spec.framesOut < 1 || spec.framesOut > 100000) throw invalid(`--frames-out ${spec.framesOut} must be a whole number from 1 to 100000.`);
  const c = spec.center ?? [0.5, 0.5];
  if (c.length !== 2 || c.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) throw invalid(`--center ${c.join(',')} must be two fractions 0…1 of the width and height.`, 'E.g. --center 0.5,0.5 for the middle.');
  if (spec.rotate !== undefined && (!Number.isFinite(spec.rotate) || Math.abs(spec.rotate) > 45)) throw invalid(`--rotate ${spec.rotate} must be a number of degrees from −45 to 45 per frame.`);
  if (spec.fps !== undefined && (!Number.isFinite(spec.fps) || spec.fps <= 0 || spec.fps > 240)) throw invalid(`--fps ${spec.fps} must be between 0 and 240.`);
  if (spec.output.format === 'exr') throw new DreamLayerError('FORMAT_UNSUPPORTED', { stage: 'validate', message: 'The dream zoom cannot write EXR.', hint: `Use one of: ${DREAM.formats.join(', ')}.` });
}

/** A frame rate as a rational (integers stay exact; others to 1/1000). */
function fpsRational(fps: number): { num: number; den: number } {
  return Number.isInteger(fps) ? { num: fps, den: 1 } : { num: Math.round(fps * 1000), den: 1000 };
}

/** Runs (or resumes) a zoom job; returns the record it writes as result.json. */
export async function runDreamZoom(spec: ZoomJobSpec, ctx: ZoomRunContext = {}): Promise<ResultRecord> {
  const started = performance.now();
  const log = ctx.log ?? (() => undefined);
  checkZoomSpec(spec);
  const res = resolveParams(DREAM.params, spec.params ?? {});
  if (!res.ok) throw invalid(`Invalid dream parameters: ${res.problems.join('; ')}.`);
  const params = res.params;
  const info = await probeMedia(spec.input);
  const first = spec.frame ?? 0;
  if (!Number.isInteger(first) || first < 0 || first >= info.frameCount) {
    throw new DreamLayerError('FRAME_RANGE_INVALID', { stage: 'validate', message: `Frame ${first} lies outside ${path.basename(info.path)}, which has ${info.frameCount} frames.` });
  }
  const size = processingSize(info, params.width as number, params.height as number);
  await ensureWritableDir(spec.output.dir);
  const output: OutputSpec = { dir: spec.output.dir, format: spec.output.format, ...(spec.output.movieName ? { movieName: spec.output.movieName } : {}), ...(spec.output.crf !== undefined ? { crf: spec.output.crf } : {}), ...(spec.output.keepFrames ? { keepFrames: true } : {}) };
  const step: ZoomStep = { zoom: spec.zoom, center: spec.center ?? [0.5, 0.5], rotate: spec.rotate ?? 0 };
  const n = spec.framesOut;
  const indexOf = (t: number) => (spec.reverse ? n - 1 - t : t);
  // The PNG-checkpoint sink (not the streaming movie sink): --reverse writes frames last to first, and
  // resuming needs the exact previous frame back.
  const sink = createFrameSink(output, 8);
  const finished = sink.finished();
  let done = 0;
  while (done < n && finished.has(indexOf(done))) done++;

  const opened = await openDream(spec.model, {
    layers: params.layers as string,
    device: spec.device ?? 'auto',
    guide: (params.guide as string) || undefined,
    tile: params.tile as number,
    memoryMb: params.memory as number,
    log,
  });
  const traces: OctaveTrace[][] = [];
  try {
    const settings = dreamSettings(params);
    const tracker = new ProgressTracker(n, done);
    ctx.onProgress?.(tracker.snapshot(done > 0 ? 'resume' : 'start'));
    let prev: Image8 | null = null;
    if (done > 0) {
      const img = (await sink.read(indexOf(done - 1))) as Image8;
      if (img.width !== size.width || img.height !== size.height || !(img.data instanceof Uint8Array)) {
        throw new DreamLayerError('INTERNAL', { stage: 'job', message: `Cannot resume the zoom: frame ${indexOf(done - 1)} in ${output.dir} is ${img.width}×${img.height}, the job makes ${size.width}×${size.height}.`, hint: 'Use a new output folder, or the same --width/--height as before.' });
      }
      prev = planesToImage8(image8ToPlanes(img));
      log(`dream zoom: resuming at step ${done} of ${n}`);
    }
    if (done < n) {
      let source: Image8 | null = null;
      if (!prev) {
        for await (const f of decodeFrames(info, { first, last: first, width: size.width === info.width ? undefined : size.width, height: size.height === info.height ? undefined : size.height, signal: ctx.signal })) source = f.image;
        if (!source) throw new DreamLayerError('INPUT_UNREADABLE', { stage: 'decode', message: `No frame ${first} could be decoded from ${info.path}.` });
      }
      for (let t = done; t < n; t++) {
        ctx.signal?.throwIfAborted();
        let start: PlanarImage;
        if (t === 0) start = image8ToPlanes(source!);
        else {
          start = zoomPlanes(image8ToPlanes(prev!), step);
          clampInPlace(start.data, 0, 255);
        }
        const trace: OctaveTrace[] = [];
        const out = await dreamPlanes(start, opened.net, { ...settings, seed: mixSeed(settings.seed, t) }, { signal: ctx.signal, trace });
        if (traces.length < 3) {
          traces.push(trace);
          log(`dream zoom: step ${t}: ${formatTrace(trace)}`);
        }
        const img = planesToImage8(out);
        await sink.write(indexOf(t), img);
        ctx.onStep?.(t, start, img);
        prev = img;
        ctx.onProgress?.(tracker.frameDone(indexOf(t)));
      }
    }
    ctx.onProgress?.({ ...tracker.snapshot('encode'), etaSeconds: 0 });
    const fps = fpsRational(spec.fps ?? 24);
    const outputs = await sink.finish({ first: 0, last: n - 1, fps, width: size.width, height: size.height, source: { ...info, hasAudio: false }, signal: ctx.signal });
    const seconds = (performance.now() - started) / 1000;
    const record: ResultRecord = {
      effect: 'dream',
      chain: ['dream'],
      input: path.resolve(spec.input),
      model: opened.record,
      device: opened.provider,
      fps: fps.num / fps.den,
      fpsRational: `${fps.num}/${fps.den}`,
      width: size.width,
      height: size.height,
      frames: { first: 0, last: n - 1, count: n },
      pattern: outputs.pattern,
      movie: outputs.movie,
      params: { ...params, zoom: step.zoom, framesOut: n, center: step.center, rotate: step.rotate, reverse: Boolean(spec.reverse), sourceFrame: first },
      timing: { seconds, framesPerSecond: (n - done) / Math.max(seconds, 1e-9) },
      extra: { dream: { ...opened.info, mode: 'zoom' } },
    };
    await writeFileAtomic(path.join(output.dir, resultFileName(output)), JSON.stringify(record, null, 2) + '\n');
    ctx.onProgress?.({ ...tracker.snapshot('done'), etaSeconds: 0 });
    return record;
  } finally {
    await opened.dispose().catch(() => undefined);
  }
}
