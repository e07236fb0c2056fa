/**
 * decodeFrames: frame-exact streaming of a source range as RGB(A) images.
 *
 * Movies: one ffmpeg process writes raw rgb24/rgba/rgb48le/rgba64le frames into a pipe; frames are cut from the
 * pipe as they are consumed, so a slow consumer stalls ffmpeg (backpressure) and memory holds about one frame.
 * Frame `k` of the range is the source frame with 0-based index `first + k`, counted as ffprobe counts them:
 * either by decoding from the start and dropping `first` frames (`trim=start_frame`), or — for constant-rate
 * footage far into the clip — by a fast input seek to half a frame before the wanted frame's timestamp, which on
 * constant-rate footage selects the same frame without decoding everything before it.
 *
 * Image sequences and stills are read file by file with sharp (EXR through ffmpeg), one or two files ahead.
 */
import type { Image16, Image8, PixelImage, VideoFrame } from '../core/image.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { resolveFfmpeg } from './ffmpeg-binaries.ts';
import { CORRUPT_INPUT_RE, NO_DECODER_RE, ffmpegPath, lastLines, spawnFailure, startTool, throwIfAborted, type ExitStatus } from './ffmpeg-process.ts';
import { readImageAs } from './image-file.ts';
import { probeMedia, type MediaInfo, type ProbeOptions } from './probe.ts';

/** A decoded 16-bit frame (decodeFrames with `bits: 16`). */
export interface VideoFrame16 {
  index: number;
  image: Image16;
}

export interface FrameRange {
  /** First frame, 0-based, included. */
  first: number;
  /** Last frame, included. */
  last: number;
}

export interface DecodeOptions extends FrameRange {
  /** Output width; with only one of width/height the other follows the aspect ratio, rounded to even. */
  width?: number;
  height?: number;
  signal?: AbortSignal;
  /** 8 (default) → Image8; 16 → Image16 (full precision of 10/12/16-bit sources). */
  bits?: 8 | 16;
  /** Deliver RGBA (4 channels; opaque where the source has no alpha) instead of RGB. */
  alpha?: boolean;
  /**
   * Movies only: allow a fast input seek instead of decoding from frame 0. Default: when the footage has a
   * constant frame rate and the range starts 2 s or more into the clip. `false` always decodes from the start.
   */
  preSeek?: boolean;
  /**
   * Only these frames of the range (ascending source indices within first..last): the others are still decoded
   * (inter-frame codecs need them) but neither converted nor piped, so sampling a few frames of a long range
   * costs little more than decoding it. Frames are yielded in order with their own indices.
   */
  pick?: readonly number[];
}

/** The `-sws_flags` every conversion uses: exact rounding and full chroma resolution. */
export const SWS_FLAGS = 'accurate_rnd+full_chroma_int+full_chroma_inp';

/**
 * Output size for a decode: both given → as given; one given → the other from the aspect ratio, rounded to an
 * even number (at least 2); none → the source's displayed size.
 */
export function resolveOutputSize(info: Pick<MediaInfo, 'width' | 'height'>, width?: number, height?: number): { width: number; height: number } {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0 && v <= 32768)) {
      throw new DreamLayerError('PARAM_INVALID', { message: `Output ${name} must be a positive integer up to 32768, got ${v}.` });
    }
  }
  const even = (x: number) => Math.max(2, Math.round(x / 2) * 2);
  if (width && height) return { width, height };
  if (width) return { width, height: even((width * info.height) / info.width) };
  if (height) return { width: even((height * info.width) / info.height), height };
  return { width: info.width, height: info.height };
}

/** Throws FRAME_RANGE_INVALID (naming the clip and its frame count) unless 0 <= first <= last < frameCount. */
export function validateRange(info: Pick<MediaInfo, 'path' | 'frameCount'>, first: number, last: number): void {
  const ok = Number.isInteger(first) && Number.isInteger(last) && first >= 0 && first <= last && last < info.frameCount;
  if (!ok) {
    throw new DreamLayerError('FRAME_RANGE_INVALID', {
      message: `Frames ${first}:${last} do not fit "${info.path}", which has ${info.frameCount} frame${info.frameCount === 1 ? '' : 's'} (0..${info.frameCount - 1}).`,
      stage: 'validate',
    });
  }
}

/** ffmpeg scale `in_color_matrix` for a source: its tag when known, else BT.709 for HD sizes and BT.601 below. */
export function sourceMatrix(info: Pick<MediaInfo, 'colour' | 'width' | 'height'>): string {
  switch (info.colour.matrix) {
    case 'bt709':
      return 'bt709';
    case 'bt470bg':
    case 'smpte170m':
    case 'bt601':
      return 'bt601';
    case 'bt2020nc':
    case 'bt2020c':
      return 'bt2020';
    case 'smpte240m':
      return 'smpte240m';
    case 'fcc':
      return 'fcc';
    default:
      return Math.max(info.width, info.height) >= 1280 || Math.min(info.width, info.height) >= 720 ? 'bt709' : 'bt601';
  }
}

function isRgbSource(info: MediaInfo): boolean {
  return info.colour.matrix === 'gbr' || /^(rgb|bgr|gbr|argb|abgr|0rgb|0bgr|rgba|bgra|pal8|gray|ya|x2rgb|x2bgr)/.test(info.pixelFormat) || info.kind !== 'video';
}

/** The filter that converts (and resizes) decoded frames to full-range RGB with the right matrix. */
export function conversionFilter(info: MediaInfo, size: { width: number; height: number }, pixFmt: string): string {
  const opts = [`w=${size.width}`, `h=${size.height}`, `flags=lanczos+${SWS_FLAGS}`];
  if (!isRgbSource(info)) {
    opts.push(`in_color_matrix=${sourceMatrix(info)}`);
    // yuvj* formats are full range by definition; otherwise trust the tag, defaulting to limited (as players do).
    const full = info.colour.range === 'pc' || /^yuvj/.test(info.pixelFormat);
    opts.push(`in_range=${full ? 'pc' : 'tv'}`);
  }
  opts.push('out_range=pc');
  return `scale=${opts.join(':')},format=${pixFmt}`;
}

/** Whether a still/sequence file is read by sharp (everything but EXR). */
function sharpReads(file: string): boolean {
  return !/\.exr$/i.test(file);
}

/**
 * Streams frames `first..last` (both included) of a probed source. The k-th frame yielded has index `first + k`
 * and is exactly source frame `first + k`. Frames are RGB (or RGBA with `alpha`), 8-bit (or 16-bit with `bits: 16`),
 * at the source's displayed size (rotation applied) or the requested one.
 *
 * Errors: FRAME_RANGE_INVALID; CANCELLED when `signal` fires (ffmpeg is killed); INPUT_UNREADABLE when the source
 * ends early or is damaged, CODEC_UNSUPPORTED, FFMPEG_FAILED — these with `frame` = the index reached and the
 * tail of ffmpeg's stderr in `details`. Leaving the loop early (break) stops ffmpeg.
 */
export function decodeFrames(info: MediaInfo, opts: DecodeOptions & { bits: 16 }): AsyncGenerator<VideoFrame16>;
export function decodeFrames(info: MediaInfo, opts: DecodeOptions & { bits?: 8 }): AsyncGenerator<VideoFrame>;
export function decodeFrames(info: MediaInfo, opts: DecodeOptions): AsyncGenerator<VideoFrame | VideoFrame16>;
export async function* decodeFrames(info: MediaInfo, opts: DecodeOptions): AsyncGenerator<VideoFrame | VideoFrame16> {
  validateRange(info, opts.first, opts.last);
  if (opts.pick) {
    const p = opts.pick;
    const ok = p.every((v, i) => Number.isInteger(v) && v >= opts.first && v <= opts.last && (i === 0 || v > p[i - 1]));
    if (!ok) throw new DreamLayerError('PARAM_INVALID', { message: `Frames to pick must be ascending indices within ${opts.first}..${opts.last}.` });
    if (p.length === 0) return;
  }
  const size = resolveOutputSize(info, opts.width, opts.height);
  const bits = opts.bits ?? 8;
  if (bits !== 8 && bits !== 16) throw new DreamLayerError('PARAM_INVALID', { message: `Decode depth must be 8 or 16 bits, got ${String(bits)}.` });
  const channels: 3 | 4 = opts.alpha ? 4 : 3;
  throwIfAborted(opts.signal, 'decode');
  if (info.kind === 'sequence' || (info.kind === 'image' && sharpReads(info.path))) {
    yield* decodeFiles(info, opts, size, bits, channels);
  } else if (bits === 16 && info.bitDepth === 8) {
    // An 8-bit source has nothing for 16 bits to keep; widening in JS (v × 257) is exact, while swscale's
    // 8-bit RGB → rgb48 path in ffmpeg 4.1 goes through its internal YUV and comes back off by a few codes.
    for await (const f of decodeWithFfmpeg(info, opts, size, 8, channels)) {
      const src = f.image.data;
      const wide = new Uint16Array(src.length);
      for (let i = 0; i < src.length; i++) wide[i] = src[i] * 257;
      yield { index: f.index, image: { width: f.image.width, height: f.image.height, channels, data: wide } };
    }
  } else {
    yield* decodeWithFfmpeg(info, opts, size, bits, channels);
  }
}

/** The input seek (seconds) for a range, or undefined to decode from the start. */
function preSeekSeconds(info: MediaInfo, first: number, preSeek: boolean | undefined): number | undefined {
  if (info.kind !== 'video' || first === 0 || preSeek === false || !info.constantFrameRate) return undefined;
  const t = (first - 0.5) / info.fpsValue;
  if (preSeek === undefined && t < 2) return undefined;
  return (info.videoStartSeconds ?? 0) + t;
}

async function* decodeWithFfmpeg(
  info: MediaInfo,
  opts: DecodeOptions,
  size: { width: number; height: number },
  bits: 8 | 16,
  channels: 3 | 4,
): AsyncGenerator<VideoFrame | VideoFrame16> {
  const { first, last, signal, pick } = opts;
  const count = pick ? pick.length : last - first + 1;
  const pixFmt = bits === 16 ? (channels === 4 ? 'rgba64le' : 'rgb48le') : channels === 4 ? 'rgba' : 'rgb24';
  const bytesPerSample = bits / 8;
  const frameBytes = size.width * size.height * channels * bytesPerSample;
  const seek = preSeekSeconds(info, first, opts.preSeek);

  const args = ['-hide_banner', '-nostdin', '-v', 'error'];
  if (seek !== undefined) args.push('-ss', seek.toFixed(6));
  args.push('-i', ffmpegPath(info.path), '-map', `0:${info.streamIndex ?? 'v:0'}`, '-an', '-sn', '-dn');
  const filters: string[] = [];
  // Counting frames (not timestamps) makes the cut exact whatever the timestamps look like.
  if (seek === undefined && first > 0) filters.push(`trim=start_frame=${first}`);
  // Picked frames: `n` counts the frames reaching the filter, from `first` on (after the trim or the seek).
  if (pick) filters.push(`select='${pick.map((i) => `eq(n\\,${i - first})`).join('+')}'`);
  filters.push(conversionFilter(info, size, pixFmt));
  args.push('-vf', filters.join(','), '-sws_flags', SWS_FLAGS, '-frames:v', String(count));
  // passthrough: never duplicate or drop frames to fit a rate (rawvideo would otherwise get constant-rate sync).
  args.push('-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1');

  const tool = startTool(resolveFfmpeg().ffmpeg, args);
  const onAbort = () => tool.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  let k = 0;
  try {
    let buf = new Uint8Array(frameBytes);
    let filled = 0;
    const stdout = tool.proc.stdout!;
    reading: for await (const chunk of stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        buf.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          throwIfAborted(signal, 'decode');
          const data = bits === 16 ? new Uint16Array(buf.buffer, 0, frameBytes / 2) : buf;
          yield { index: pick ? pick[k] : first + k, image: { width: size.width, height: size.height, channels, data } as Image8 & Image16 };
          throwIfAborted(signal, 'decode');
          k++;
          if (k === count) break reading;
          buf = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    throwIfAborted(signal, 'decode');
    if (k < count) {
      const status = await tool.exited;
      throwIfAborted(signal, 'decode');
      throw decodeFailure(info, first, last, k, status, tool.stderr.text());
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    tool.kill();
  }
}

function decodeFailure(info: MediaInfo, first: number, last: number, k: number, status: ExitStatus, stderr: string): DreamLayerError {
  if (status.spawnError) return spawnFailure(resolveFfmpeg().ffmpeg, status.spawnError);
  const at = first + k;
  const reached = `after ${k} of ${last - first + 1} frames (range ${first}..${last})`;
  const tail = lastLines(stderr);
  const common = { stage: 'decode' as const, frame: at, details: stderr || undefined };
  if (NO_DECODER_RE.test(stderr)) {
    return new DreamLayerError('CODEC_UNSUPPORTED', { ...common, message: `ffmpeg cannot decode "${info.path}" (codec ${info.codec}): ${tail || 'no decoder'}.` });
  }
  if (status.code === 0 || CORRUPT_INPUT_RE.test(stderr)) {
    return new DreamLayerError('INPUT_UNREADABLE', {
      ...common,
      message: `Decoding "${info.path}" stopped at frame ${at}, ${reached}: the file ends early or is damaged${tail ? ` (${tail})` : ''}.`,
    });
  }
  return new DreamLayerError('FFMPEG_FAILED', {
    ...common,
    message: `ffmpeg failed while decoding "${info.path}" at frame ${at}, ${reached} (exit ${status.code ?? status.signal})${tail ? `: ${tail}` : ''}.`,
  });
}

async function* decodeFiles(
  info: MediaInfo,
  opts: DecodeOptions,
  size: { width: number; height: number },
  bits: 8 | 16,
  channels: 3 | 4,
): AsyncGenerator<VideoFrame | VideoFrame16> {
  const { first, last, signal } = opts;
  const files = info.kind === 'sequence' ? info.sequence!.files : [info.path];
  const expect = { width: info.width, height: info.height };
  const resize = size.width !== info.width || size.height !== info.height ? size : undefined;
  const readOne = async (i: number): Promise<PixelImage> => {
    const file = files[i];
    try {
      if (sharpReads(file)) {
        return await readImageAs(file, { bits, channels, width: resize?.width, height: resize?.height, expectSize: expect, stage: 'decode' });
      }
      // EXR frames: ffmpeg decodes each file as a one-frame clip.
      const single: MediaInfo = { ...info, path: file, kind: 'image', frameCount: 1, sequence: undefined, streamIndex: undefined };
      for await (const f of decodeWithFfmpeg(single, { first: 0, last: 0, signal }, size, bits, channels)) return f.image;
      throw new DreamLayerError('INPUT_UNREADABLE', { message: `The frame "${file}" gave no image.`, stage: 'decode' });
    } catch (e) {
      if (e instanceof DreamLayerError) {
        if (e.frame !== undefined || e.code === 'CANCELLED') throw e;
        throw new DreamLayerError(e.code, { message: e.message, hint: e.hint, stage: 'decode', frame: i, details: e.details, cause: e });
      }
      throw new DreamLayerError('INPUT_UNREADABLE', { message: `The frame "${file}" cannot be read (${(e as Error).message}).`, stage: 'decode', frame: i, cause: e });
    }
  };
  // Read one file ahead while the consumer works on the current one; a few MB at most.
  const AHEAD = 2;
  const pending: Promise<PixelImage>[] = [];
  // Positions in the range (or in `pick`): frame indices come from `indexAt`.
  const count = opts.pick ? opts.pick.length : last - first + 1;
  const indexAt = (j: number) => (opts.pick ? opts.pick[j] : first + j);
  let next = 0;
  const fill = () => {
    while (pending.length < AHEAD && next < count) {
      const p = readOne(indexAt(next++));
      p.catch(() => {}); // observed when awaited; avoids an unhandled rejection if the consumer stops early
      pending.push(p);
    }
  };
  for (let j = 0; j < count; j++) {
    const i = indexAt(j);
    throwIfAborted(signal, 'decode');
    fill();
    const image = await pending.shift()!;
    throwIfAborted(signal, 'decode');
    yield { index: i, image: image as Image8 & Image16 };
  }
}

export interface OpenSourceOptions extends ProbeOptions {
  /** Range to decode; default the whole clip. */
  frames?: FrameRange;
  width?: number;
  height?: number;
  bits?: 8 | 16;
  alpha?: boolean;
  preSeek?: boolean;
}

/** A probed source with its (validated) range and a frame stream over it. */
export interface OpenedSource<F = VideoFrame> {
  info: MediaInfo;
  range: FrameRange;
  /** Output frame size after resizing. */
  size: { width: number; height: number };
  frames: AsyncGenerator<F>;
}

/**
 * Probes `path`, validates the range (default: all frames) and returns a frame stream over it: the usual start
 * of an effect. Decoding starts when `frames` is first iterated.
 */
export function openSource(path: string, opts: OpenSourceOptions & { bits: 16 }): Promise<OpenedSource<VideoFrame16>>;
export function openSource(path: string, opts?: OpenSourceOptions & { bits?: 8 }): Promise<OpenedSource<VideoFrame>>;
export async function openSource(path: string, opts: OpenSourceOptions = {}): Promise<OpenedSource<VideoFrame | VideoFrame16>> {
  const info = await probeMedia(path, { sequenceFps: opts.sequenceFps, signal: opts.signal });
  const range = opts.frames ?? { first: 0, last: info.frameCount - 1 };
  validateRange(info, range.first, range.last);
  const size = resolveOutputSize(info, opts.width, opts.height);
  const frames = decodeFrames(info, { ...range, width: opts.width, height: opts.height, bits: opts.bits, alpha: opts.alpha, signal: opts.signal, preSeek: opts.preSeek });
  return { info, range, size, frames };
}
