/**
 * Movie output without intermediate frames, whose disk use never exceeds the
 * final movie. Finished frames stream into an encoder (ffmpeg through a pipe),
 * one SEGMENT of N frames at a time; ffmpeg writes coded frames (fragmented
 * MP4) to its stdout, and their bytes are appended straight into the movie file
 * being built (io/mp4-movie-writer.ts): ftyp | room for the index | mdat with
 * segment 1, segment 2, …. Each segment starts with a keyframe (closed GOP).
 * When a segment is complete its bytes are flushed to disk and a small record
 * of its frames (sizes, display order, keyframes, the encoder's track) is
 * written atomically: that record is what makes the segment count as done.
 * At the end the source's audio is appended, and the index (moov) is written
 * from the records into the reserved room; the file is renamed into place.
 *
 * The checkpoint, in the hidden folder `.<movie>.parts/`: `movie.mp4|mov` (the
 * movie being built), `piece_A-B.json` (one record per finished segment) and
 * `job.json` (which job they belong to); stateful effects keep the state image
 * of each segment's last frame (StateStore, `isCheckpoint`). A job killed at
 * any instant restarts at the first frame of its first unrecorded segment:
 * bytes after the last recorded segment are cut off, and a kill during the
 * final steps (audio, index, rename) only repeats them. Segment boundaries
 * depend only on the frame range and N, and x264/x265/ProRes encode the same
 * pixels the same way, so the resumed movie is the same file, byte for byte.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, ftruncateSync, fsyncSync } from 'node:fs';
import fsp, { mkdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec, OutputSpec } from '../../../shared/src/job-spec.ts';
import type { PixelImage } from '../core/image.ts';
import { is16 } from '../core/image.ts';
import { renameWithRetry, syncDir, writeFileAtomic } from '../io/atomic-file.ts';
import { decodeFrames } from '../io/decode.ts';
import { extractAudio, type MovieCodec } from '../io/encode.ts';
import { createFrameStreamEncoder, type EncodedFrames, type FrameStreamEncoder } from '../io/encode-fragments.ts';
import { FrameSequenceWriter, framePattern } from '../io/frame-sequence-writer.ts';
import { finishMovieFile, moovReserve, movieLayout, sampleDescription, writeMovieHeader, writePieceMovie, type MoviePiece, type VideoTrack } from '../io/mp4-movie-writer.ts';
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

/**
 * Moments of the movie's life where a kill is worth testing: a segment's bytes are in the file but not yet recorded
 * (`piece-data`), a segment is recorded (`piece`), the audio is appended (`audio`), the index is written (`moov`),
 * the movie is renamed into place but the checkpoint folder not yet removed (`published`).
 */
export type MoviePhase = 'piece-data' | 'piece' | 'audio' | 'moov' | 'published';

/** Test seam: called synchronously at each phase (e.g. to measure the disk use right then). */
export const movieSinkHooks: { onPhase?: (phase: MoviePhase, where: { outDir: string; partsDir: string }) => void } = {};

/**
 * Test seam for kills at exact moments: `DREAMLAYER_TEST_KILL_AT=phase[:n]` makes the process SIGKILL itself at the
 * n-th time (default first) it reaches that phase. Only tests set it.
 */
export const KILL_AT_ENV = 'DREAMLAYER_TEST_KILL_AT';
const phaseCounts = new Map<MoviePhase, number>();

function reach(phase: MoviePhase, where: { outDir: string; partsDir: string }): void {
  movieSinkHooks.onPhase?.(phase, where);
  const want = process.env[KILL_AT_ENV];
  if (!want) return;
  const [name, nth] = want.split(':');
  const n = (phaseCounts.get(phase) ?? 0) + 1;
  phaseCounts.set(phase, n);
  if (name === phase && n === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}

interface Segment {
  k: number;
  first: number;
  last: number;
  /** Its record (exists once the segment is done). */
  record: string;
}

/** What is kept of a finished segment (piece_A-B.json). */
interface PieceRecord extends MoviePiece {
  first: number;
  last: number;
  bytes: number;
  timescale: number;
  sampleDuration: number;
  /** The encoder's trak (base64): sample description with the codec configuration and colour tags. */
  trak: string;
}

/** Version of the checkpoint layout: folders of another layout (older segment files) are not reused. */
const LAYOUT = 'pieces-1';
const PIECE_RE = /^piece_(\d{6,})-(\d{6,})\.json$/;

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

/** Presentation rank of each sample (decode order) of an encode. */
function displayRanks(samples: EncodedFrames['samples']): number[] {
  let dts = 0;
  const pts = samples.map((s) => {
    const p = dts + s.cts;
    dts += s.duration;
    return p;
  });
  const order = pts.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ranks = new Array<number>(samples.length);
  order.forEach(([, i], r) => (ranks[i] = r));
  return ranks;
}

export function createSegmentedMovieSink(out: OutputSpec, movie: string, ctx: SegmentedSinkContext): SegmentedMovieSink {
  const codec = CODEC[out.format];
  if (!codec) throw new DreamLayerError('INTERNAL', { message: `${out.format} is not a movie format.` });
  const n = Math.max(MIN_SEGMENT_FRAMES, ctx.segmentFrames ?? defaultSegmentFrames(ctx.fps));
  const { first, last } = ctx.range;
  const container = codec === 'prores4444' ? 'mov' : 'mp4';
  const ext = `.${container}`;
  const partsDir = path.join(out.dir, `.${movie}.parts`);
  const where = { outDir: out.dir, partsDir };
  const jobFile = path.join(partsDir, 'job.json');
  const building = path.join(partsDir, `movie${ext}`);
  const target = path.join(out.dir, movie);
  const pad = (i: number) => String(i).padStart(6, '0');
  // The last segment takes a short remainder: x264/x265 start a 1–2 frame encode without the B-frame
  // delay of longer ones, which would make a remainder of 1–3 frames an odd piece.
  const total = last - first + 1;
  let count = Math.ceil(total / n);
  if (count > 1 && total - (count - 1) * n < MIN_SEGMENT_FRAMES) count--;
  const segment = (k: number): Segment => {
    const a = first + k * n;
    const b = k === count - 1 ? last : a + n - 1;
    return { k, first: a, last: b, record: path.join(partsDir, `piece_${pad(a)}-${pad(b)}.json`) };
  };
  const segmentOf = (index: number) => segment(Math.min(count - 1, Math.floor((index - first) / n)));
  // Deterministic from the job alone, so a resumed run finds the media where the first run put it.
  const layout = movieLayout(container, codec === 'h264' ? 'avc1' : codec === 'h265' ? 'hvc1' : 'ap4h', moovReserve(total, count, (total * ctx.fps.den) / ctx.fps.num));

  // What is on disk: the unbroken run of recorded segments of this job whose bytes the movie file holds.
  const done: PieceRecord[] = [];
  let dataEnd = layout.dataStart;
  let published = false; // renamed into place by a run killed before it removed the checkpoint folder
  if (existsSync(partsDir)) {
    let job: { fingerprint?: string | null; layout?: string; finalSize?: number } = {};
    try {
      job = JSON.parse(readFileSync(jobFile, 'utf8')) as typeof job;
    } catch {
      job = {};
    }
    const same = job.layout === LAYOUT && (ctx.fingerprint === undefined || job.fingerprint === ctx.fingerprint);
    if (!same) ctx.log?.(`${partsDir} holds the checkpoint of another job or other settings; starting over.`);
    if (same && !existsSync(building) && job.finalSize !== undefined && existsSync(target) && statSync(target).size === job.finalSize) {
      published = true;
    } else if (same && existsSync(building)) {
      const size = statSync(building).size;
      for (let k = 0; k < count; k++) {
        const s = segment(k);
        let rec: PieceRecord;
        try {
          rec = JSON.parse(readFileSync(s.record, 'utf8')) as PieceRecord;
        } catch {
          break;
        }
        const consistent = rec.first === s.first && rec.last === s.last && rec.offset === dataEnd && rec.offset + rec.bytes <= size
          && rec.sizes.length === s.last - s.first + 1 && rec.sizes.reduce((x, y) => x + y, 0) === rec.bytes;
        if (!consistent) break;
        done.push(rec);
        dataEnd = rec.offset + rec.bytes;
      }
      if (done.length) {
        // Cut what a killed encode appended after the last recorded segment (and a half-done ending).
        const fd = openSync(building, 'r+');
        try {
          ftruncateSync(fd, dataEnd);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    const keep = new Set(done.map((_, k) => path.basename(segment(k).record)));
    if (same) keep.add('job.json');
    if (done.length) keep.add(path.basename(building));
    for (const name of readdirSync(partsDir)) {
      // Records after a gap, temps of a killed run, an unrecorded movie start, audio, another layout's or job's files.
      if (!published && !keep.has(name)) rmSync(path.join(partsDir, name), { force: true, recursive: true });
    }
    if (done.length) ctx.log?.(`resuming ${movie}: ${done.length} of ${count} segments (${done.at(-1)!.last - first + 1} frames) already encoded`);
  }
  const finishedSet = new Set<number>();
  if (published) for (let i = first; i <= last; i++) finishedSet.add(i);
  for (const r of done) for (let i = r.first; i <= r.last; i++) finishedSet.add(i);

  const framesDir = path.join(out.dir, `.${movie}.frames`);
  const pattern = framePattern('frame', 6, 'png');
  const frames = out.keepFrames ? new FrameSequenceWriter(framesDir, { pattern, bits: 8, compressionLevel: 1 }) : null;
  frames?.removeStaleTemps();

  interface OpenSegment { seg: Segment; enc: FrameStreamEncoder; next: number; fh: FileHandle; pos: number }
  let open: OpenSegment | null = null;
  let wroteJob = false;

  const videoTrack = (pieces: PieceRecord[]): VideoTrack => ({
    trak: Buffer.from(pieces[0].trak, 'base64'),
    timescale: pieces[0].timescale,
    sampleDuration: pieces[0].sampleDuration,
    pieces,
  });

  /** Records a finished segment once its bytes are on disk. */
  async function commit(o: OpenSegment, r: EncodedFrames): Promise<void> {
    const { seg } = o;
    const frames = seg.last - seg.first + 1;
    if (r.samples.length !== frames || r.bytes !== o.pos - dataEnd) {
      throw new DreamLayerError('FFMPEG_FAILED', { stage: 'encode', message: `The encoder gave ${r.samples.length} frames (${r.bytes} bytes) for the ${frames} frames ${seg.first}-${seg.last} of ${movie}.` });
    }
    // Constant frame rate: every frame lasts timescale·den/num units (exact for the encoders' timescales).
    const exact = (r.timescale * ctx.fps.den) / ctx.fps.num;
    const sampleDuration = Number.isInteger(exact) ? exact : r.samples[0].duration;
    const rec: PieceRecord = {
      first: seg.first, last: seg.last, offset: dataEnd, bytes: r.bytes,
      sizes: r.samples.map((s) => s.size), ranks: displayRanks(r.samples), keyframes: r.samples.flatMap((s, i) => (s.sync ? [i] : [])),
      timescale: r.timescale, sampleDuration, trak: r.trak.toString('base64'),
    };
    if (!rec.keyframes.includes(0)) throw new DreamLayerError('FFMPEG_FAILED', { stage: 'encode', message: `The segment ${seg.first}-${seg.last} of ${movie} does not start with a keyframe.` });
    if (done.length) {
      const a = sampleDescription(Buffer.from(done[0].trak, 'base64'));
      if (!a.equals(sampleDescription(r.trak)) || done[0].timescale !== r.timescale) {
        throw new DreamLayerError('INTERNAL', { stage: 'encode', message: `The encoder configured the segment ${seg.first}-${seg.last} of ${movie} unlike the first one; the pieces cannot share one track.` });
      }
    }
    await o.fh.sync();
    reach('piece-data', where);
    await writeFileAtomic(seg.record, JSON.stringify(rec) + '\n');
    done.push(rec);
    dataEnd = rec.offset + rec.bytes;
    reach('piece', where);
  }

  async function closeOpen(): Promise<void> {
    const o = open;
    open = null;
    if (!o) return;
    await o.enc.abort().catch(() => undefined);
    await o.fh.close().catch(() => undefined);
    // Nothing of an unrecorded segment stays in the file (a resumed run would cut it anyway).
    await fsp.truncate(building, dataEnd).catch(() => undefined);
  }

  return {
    segmentFrames: n,
    partsDir,
    finished: () => new Set(finishedSet),
    isCheckpoint: (index) => (index - first + 1) % n === 0 && Math.floor((index - first) / n) < count - 1,

    async write(index, img) {
      if (!wroteJob) {
        await mkdir(partsDir, { recursive: true });
        await writeFileAtomic(jobFile, JSON.stringify({ layout: LAYOUT, fingerprint: ctx.fingerprint ?? null, segmentFrames: n }) + '\n');
        wroteJob = true;
      }
      if (!open) {
        const seg = segmentOf(index);
        if (index !== seg.first) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} arrived first for the segment ${seg.first}-${seg.last} of ${movie}.` });
        if (seg.k !== done.length) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `The segment ${seg.first}-${seg.last} of ${movie} was started before the ones ahead of it were done.` });
        if (!done.length) {
          const h = await fsp.open(building, 'w');
          try {
            await writeMovieHeader(h, layout);
          } finally {
            await h.close();
          }
        }
        const fh = await fsp.open(building, 'r+');
        const alpha = img.channels === 4 && codec === 'prores4444';
        const o: OpenSegment = {
          seg, fh, next: seg.first, pos: dataEnd,
          enc: createFrameStreamEncoder({
            path: target, width: img.width, height: img.height, fps: ctx.fps, codec,
            inputChannels: alpha ? 4 : 3, inputBits: codec === 'prores4444' && is16(img) ? 16 : 8, crf: out.crf, signal: ctx.signal,
            onMedia: async (chunk) => {
              await fh.write(chunk, 0, chunk.length, o.pos);
              o.pos += chunk.length;
            },
          }),
        };
        open = o;
      }
      if (index !== open.next) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} arrived while ${movie} expected frame ${open.next}.` });
      await open.enc.write(img);
      open.next++;
      if (frames) await frames.write(index, img);
      if (index === open.seg.last) {
        const o = open;
        const r = await o.enc.finish();
        await commit(o, r);
        open = null;
        await o.fh.close();
      }
    },

    async read(index) {
      // Asked for on resume, for the frame before the first unfinished segment; lossy, like the movie.
      if (frames && frames.listFinished().includes(index)) return frames.read(index);
      const seg = segmentOf(index);
      const rec = done[seg.k];
      if (!rec) throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} of ${movie} is not encoded yet.` });
      // A small stand-alone movie of that one segment (at most one segment on disk, for a moment).
      const data = Buffer.alloc(rec.bytes);
      const fh = await fsp.open(building, 'r');
      try {
        await fh.read(data, 0, rec.bytes, rec.offset);
      } finally {
        await fh.close();
      }
      const tmp = path.join(partsDir, `read_${pad(seg.first)}${ext}`);
      try {
        await writePieceMovie(tmp, container, data, videoTrack([rec]));
        const info = await probeMedia(tmp);
        for await (const f of decodeFrames(info, { first: index - seg.first, last: index - seg.first })) return f.image;
      } finally {
        await rm(tmp, { force: true });
      }
      throw new DreamLayerError('INTERNAL', { stage: 'write', frame: index, message: `Frame ${index} is not in the segment ${seg.first}-${seg.last} of ${movie}.` });
    },

    async finish(info) {
      if (open) throw new DreamLayerError('INTERNAL', { stage: 'encode', message: `${movie}: the segment from frame ${open.seg.first} is unfinished at the end.` });
      if (!published) {
        if (done.length !== count) throw new DreamLayerError('INTERNAL', { stage: 'encode', message: `${movie}: ${done.length} of ${count} segments are encoded at the end.` });
        const audioFile = path.join(partsDir, `audio${ext}`);
        const signal = info.signal ?? ctx.signal;
        const hasAudio = info.source.hasAudio && info.source.kind === 'video'
          && (await extractAudio({ path: info.source.path, startSeconds: (first * ctx.fps.den) / ctx.fps.num, durationSeconds: (total * ctx.fps.den) / ctx.fps.num }, audioFile, signal));
        const size = await finishMovieFile(building, layout, dataEnd, videoTrack(done), hasAudio ? audioFile : undefined, (step) => reach(step, where));
        await rm(audioFile, { force: true });
        // Noted before the rename: a run killed right after it knows the movie in place is this one.
        await writeFileAtomic(jobFile, JSON.stringify({ layout: LAYOUT, fingerprint: ctx.fingerprint ?? null, segmentFrames: n, finalSize: size }) + '\n');
        await renameWithRetry(building, target);
        await syncDir(out.dir);
        reach('published', where);
      }
      await rm(partsDir, { recursive: true, force: true });
      return { pattern: frames ? path.join(path.basename(framesDir), pattern) : null, movie };
    },

    async abort() {
      await closeOpen();
    },
  };
}
