/**
 * Movie output without intermediate frames: finished frames stream straight
 * into an encoder (ffmpeg through a pipe), one SEGMENT of N frames at a time.
 * Each segment is a complete little movie (it starts with a keyframe, so the
 * GOP is closed) written to a temp name and renamed when done, in the hidden
 * folder `.<movie>.parts/`. At the end the segments are joined without
 * re-encoding (stream copy) into the final movie with the source's audio, and
 * the folder is removed.
 *
 * The checkpoint is therefore: the finished segment files, plus `job.json`
 * (which job they belong to); stateful effects keep the state image of each
 * segment's last frame (StateStore, `isCheckpoint`). A job killed mid-way
 * restarts at the first frame of its unfinished segment; since segment
 * boundaries depend only on the frame range and N, and x264/x265/ProRes
 * encode the same pixels the same way, the resumed movie is identical to an
 * uninterrupted one. Disk use while rendering: the finished segments (about
 * the size of the final movie so far); during the final join, also the
 * final movie itself.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec, OutputSpec } from '../../../shared/src/job-spec.ts';
import type { PixelImage } from '../core/image.ts';
import { is16 } from '../core/image.ts';
import { writeFileAtomic } from '../io/atomic-file.ts';
import { decodeFrames } from '../io/decode.ts';
import { createMovieEncoder, joinMovieSegments, type MovieCodec, type MovieEncoder } from '../io/encode.ts';
import { FrameSequenceWriter, framePattern } from '../io/frame-sequence-writer.ts';
import { probeMedia, type MediaInfo, type Rational } from '../io/probe.ts';

/** Environment override of the segment length in frames (tests, farms with slow chains). */
export const SEGMENT_FRAMES_ENV = 'DREAMLAYER_SEGMENT_FRAMES';

/**
 * Fewest frames in a segment: more than the frames the pipeline works ahead of the writer (so the state of
 * the last checkpoint is still kept when a segment closes), and enough for the encoders' usual B-frame delay.
 */
export const MIN_SEGMENT_FRAMES = 4;

/** Default segment length: about two seconds of the source (a keyframe every 2 s costs little and bounds lost work). */
export function defaultSegmentFrames(fps: Rational): number {
  const env = Number(process.env[SEGMENT_FRAMES_ENV]);
  if (Number.isInteger(env) && env > 0) return Math.max(MIN_SEGMENT_FRAMES, env);
  return Math.min(600, Math.max(24, Math.round((2 * fps.num) / fps.den)));
}

export interface SegmentedSinkContext {
  range: { first: number; last: number };
  fps: Rational;
  /** Identity of the job's pixels: segments left by a different job in the same place are discarded. */
  fingerprint?: string;
  segmentFrames?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** What decides the frames: the chain, the source file (size + mtime), the range, the output encoding. */
export function jobFingerprint(spec: JobSpec, source: MediaInfo, range: { first: number; last: number }): string {
  let stamp = '';
  try {
    const st = statSync(source.path);
    stamp = `${st.size}:${Math.round(st.mtimeMs)}`;
  } catch {
    stamp = 'unknown';
  }
  return JSON.stringify({
    steps: [{ effect: spec.effect, params: spec.params, model: spec.model ?? null }, ...spec.then.map((s) => ({ effect: s.effect, params: s.params, model: s.model ?? null }))],
    input: { path: path.resolve(source.path), stamp },
    range,
    output: { format: spec.output.format, crf: spec.output.crf ?? null, bits: spec.output.bits ?? null },
  });
}

const CODEC: Record<string, MovieCodec> = { mp4: 'h264', h265: 'h265', prores: 'prores4444' };

export function isSegmentedFormat(format: string): boolean {
  return format in CODEC;
}

interface Segment {
  k: number;
  first: number;
  last: number;
  file: string;
}

const SEGMENT_RE = /^segment_(\d{6,})-(\d{6,})\.(mp4|mov)$/;

export interface SegmentedMovieSink {
  finished(): Set<number>;
  write(index: number, img: PixelImage): Promise<void>;
  read(index: number): Promise<PixelImage>;
  finish(info: { source: MediaInfo; signal?: AbortSignal }): Promise<{ pattern: string | null; movie: string }>;
  isCheckpoint(index: number): boolean;
  abort(): Promise<void>;
  /** Segment length in frames. */
  readonly segmentFrames: number;
  /** The hidden checkpoint folder. */
  readonly partsDir: string;
}

export function createSegmentedMovieSink(out: OutputSpec, movie: string, ctx: SegmentedSinkContext): SegmentedMovieSink {
  const codec = CODEC[out.format];
  if (!codec) throw new DreamLayerError('INTERNAL', { message: `${out.format} is not a movie format.` });
  const n = Math.max(MIN_SEGMENT_FRAMES, ctx.segmentFrames ?? defaultSegmentFrames(ctx.fps));
  const { first, last } = ctx.range;
  const ext = codec === 'prores4444' ? '.mov' : '.mp4';
  const partsDir = path.join(out.dir, `.${movie}.parts`);
  const jobFile = path.join(partsDir, 'job.json');
  const pad = (i: number) => String(i).padStart(6, '0');
  // The last segment takes a short remainder: x264/x265 start a 1–2 frame encode without the B-frame
  // delay of longer ones, and a joined movie whose pieces disagree on that delay gets wrong durations.
  let count = Math.ceil((last - first + 1) / n);
  if (count > 1 && last - first + 1 - (count - 1) * n < MIN_SEGMENT_FRAMES) count--;
  const segment = (k: number): Segment => {
    const a = first + k * n;
    const b = k === count - 1 ? last : a + n - 1;
    return { k, first: a, last: b, file: path.join(partsDir, `segment_${pad(a)}-${pad(b)}${ext}`) };
  };
  const segmentOf = (index: number) => segment(Math.min(count - 1, Math.floor((index - first) / n)));

  // What is on disk: keep the unbroken run of finished segments that belong to this job and this layout.
  let done = 0;
  if (existsSync(partsDir)) {
    let same = false;
    try {
      same = ctx.fingerprint === undefined || (JSON.parse(readFileSync(jobFile, 'utf8')) as { fingerprint?: string }).fingerprint === ctx.fingerprint;
    } catch {
      same = false;
    }
    if (!same) ctx.log?.(`${partsDir} holds segments of another job or other settings; starting over.`);
    while (same && done < count && existsSync(segment(done).file) && statSync(segment(done).file).size > 0) done++;
    const keep = new Set(Array.from({ length: done }, (_, k) => path.basename(segment(k).file)));
    if (same) keep.add('job.json');
    for (const name of readdirSync(partsDir)) {
      // Temps of a killed encoder, segments of another layout or after a gap, or another job's files.
      if (!keep.has(name) && (SEGMENT_RE.test(name) || name.endsWith('.tmp') || name === 'job.json')) rmSync(path.join(partsDir, name), { force: true });
    }
    if (done) ctx.log?.(`resuming ${movie}: ${done} of ${count} segments (${segment(done - 1).last - first + 1} frames) already encoded`);
  }
  const finishedSet = new Set<number>();
  for (let k = 0; k < done; k++) for (let i = segment(k).first; i <= segment(k).last; i++) finishedSet.add(i);

  const framesDir = path.join(out.dir, `.${movie}.frames`);
  const pattern = framePattern('frame', 6, 'png');
  const frames = out.keepFrames ? new FrameSequenceWriter(framesDir, { pattern, bits: 8, compressionLevel: 1 }) : null;
  frames?.removeStaleTemps();

  let open: { seg: Segment; enc: MovieEncoder; next: number } | null = null;
  let wroteJob = false;

  return {
    segmentFrames: n,
    partsDir,
    finished: () => new Set(finishedSet),
    isCheckpoint: (index) => (index - first + 1) % n === 0 && Math.floor((index - first) / n) < count - 1,

    async write(index, img) {
      if (!wroteJob) {
        await mkdir(partsDir, { recursive: true });
        await writeFileAtomic(jobFile, JSON.stringify({ fingerprint: ctx.fingerprint ?? null, segmentFrames: n }) + '\n');
        wroteJob = true;
      }
      if (!open) {
        const seg = segmentOf(index);
        if (index !== seg.first) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} arrived first for the segment ${seg.first}-${seg.last} of ${movie}.` });
        const alpha = img.channels === 4 && codec === 'prores4444';
        const enc = createMovieEncoder({
          path: seg.file, width: img.width, height: img.height, fps: ctx.fps, codec,
          inputChannels: alpha ? 4 : 3, inputBits: codec === 'prores4444' && is16(img) ? 16 : 8, crf: out.crf, signal: ctx.signal,
        });
        open = { seg, enc, next: seg.first };
      }
      if (index !== open.next) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} arrived while ${movie} expected frame ${open.next}.` });
      await open.enc.write(img);
      open.next++;
      if (frames) await frames.write(index, img);
      if (index === open.seg.last) {
        const { enc } = open;
        open = null;
        await enc.finish();
      }
    },

    async read(index) {
      // Only asked for on resume, for the frame before the first unfinished segment; lossy, like the movie.
      if (frames && frames.listFinished().includes(index)) return frames.read(index);
      const seg = segmentOf(index);
      const info = await probeMedia(seg.file);
      for await (const f of decodeFrames(info, { first: index - seg.first, last: index - seg.first })) return f.image;
      throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} is not in ${seg.file}.` });
    },

    async finish(info) {
      if (open) {
        const { enc } = open;
        open = null;
        await enc.finish();
      }
      const segments = Array.from({ length: count }, (_, k) => segment(k));
      await joinMovieSegments({
        segments: segments.map((s) => ({ path: s.file, frames: s.last - s.first + 1 })),
        path: path.join(out.dir, movie),
        fps: ctx.fps,
        codec,
        audioFrom: info.source.hasAudio && info.source.kind === 'video'
          ? { path: info.source.path, startSeconds: (first * ctx.fps.den) / ctx.fps.num, durationSeconds: ((last - first + 1) * ctx.fps.den) / ctx.fps.num }
          : undefined,
        signal: info.signal ?? ctx.signal,
      });
      await rm(partsDir, { recursive: true, force: true });
      return { pattern: frames ? path.join(path.basename(framesDir), pattern) : null, movie };
    },

    async abort() {
      const o = open;
      open = null;
      await o?.enc.abort();
    },
  };
}
