/**
 * Movie output: H.264 / H.265 (yuv420p, BT.709, limited range) and ProRes 4444 (with alpha) from raw frames piped
 * into one ffmpeg process, or from a finished PNG sequence. The movie is written to a temp file beside the target
 * and renamed on success, so a target file is always a complete movie.
 */
import path from 'node:path';
import fsp from 'node:fs/promises';
import type { PixelImage } from '../core/image.ts';
import { is16 } from '../core/image.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ensureWritableDir, isNonEmptyFile, renameWithRetry, syncDir, syncFile, tempPathFor } from './atomic-file.ts';
import { frameFileName } from './frame-pattern.ts';
import { hasEncoder, resolveFfmpeg } from './ffmpeg-binaries.ts';
import { ffmpegPath, lastLines, runTool, spawnFailure, startTool, throwIfAborted, waitExit, type ExitStatus, type ToolProcess } from './ffmpeg-process.ts';
import { checkImage, convertDepth } from './image-file.ts';
import { toRational, type Rational } from './probe.ts';

export type MovieCodec = 'h264' | 'h265' | 'prores4444';

/** Audio to carry over from the source, trimmed to the output's time range. */
export interface AudioSource {
  path: string;
  startSeconds: number;
  durationSeconds: number;
}

export interface MovieEncoderOptions {
  /** Target file; its extension picks the container: .mp4/.m4v, .mov or .mkv (ProRes needs .mov or .mkv). */
  path: string;
  width: number;
  height: number;
  /** Exact frame rate, e.g. {num: 24000, den: 1001}. */
  fps: Rational;
  codec: MovieCodec;
  /** Channels of the frames given to write(): 3 (RGB) or 4 (RGBA; the alpha is kept by ProRes 4444 only). */
  inputChannels: 3 | 4;
  /** Depth of the frames given to write(); default 8. 16 keeps ProRes' 10-bit precision. */
  inputBits?: 8 | 16;
  /** x264/x265 constant rate factor; default 18 (H.264) / 20 (H.265). */
  crf?: number;
  /** x264/x265 preset; default 'medium'. */
  preset?: string;
  audioFrom?: AudioSource;
  signal?: AbortSignal;
}

/** A movie being written. Call write() once per frame (awaiting each), then finish(), or abort(). */
export interface MovieEncoder {
  readonly path: string;
  readonly framesWritten: number;
  /** Sends one frame; resolves when ffmpeg has taken it (pipe backpressure). Other depths/channel counts are converted. */
  write(img: PixelImage): Promise<void>;
  /** Closes the input, waits for ffmpeg, then moves the temp file to `path`. */
  finish(): Promise<void>;
  /** Kills ffmpeg, waits for it (bounded), deletes the temp file. Safe to call more than once. */
  abort(): Promise<void>;
}

export type Container = 'mp4' | 'mov' | 'matroska';

/** The container for a target path, or FORMAT_UNSUPPORTED. */
export function containerFor(file: string, codec: MovieCodec): Container {
  const ext = path.extname(file).toLowerCase();
  const c: Container | undefined = ext === '.mp4' || ext === '.m4v' ? 'mp4' : ext === '.mov' ? 'mov' : ext === '.mkv' ? 'matroska' : undefined;
  if (!c) {
    throw new DreamLayerError('FORMAT_UNSUPPORTED', { message: `The movie "${file}" has an unsupported extension "${ext}".`, hint: 'Use .mp4 or .mov (ProRes: .mov).', stage: 'encode' });
  }
  if (codec === 'prores4444' && c === 'mp4') {
    throw new DreamLayerError('FORMAT_UNSUPPORTED', { message: `ProRes cannot be stored in the MP4 file "${file}".`, hint: 'Use a .mov file name for ProRes.', stage: 'encode' });
  }
  return c;
}

const ENCODER: Record<MovieCodec, string> = { h264: 'libx264', h265: 'libx265', prores4444: 'prores_ks' };

const SWS = 'accurate_rnd+full_chroma_int';

/** Codec, pixel format, BT.709 conversion and colour tags for the output stream. */
export function videoCodecArgs(codec: MovieCodec, opts: { crf?: number; preset?: string; alpha: boolean; container: Container; preFilter?: string }): string[] {
  const pixFmt = codec === 'prores4444' ? (opts.alpha ? 'yuva444p10le' : 'yuv444p10le') : 'yuv420p';
  // RGB → Y'CbCr with the BT.709 matrix into limited range, done explicitly so it never depends on defaults.
  const vf = `${opts.preFilter ? `${opts.preFilter},` : ''}scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+${SWS},format=${pixFmt}`;
  const tags = ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'];
  const args = ['-vf', vf];
  if (codec === 'h264') {
    args.push('-c:v', 'libx264', '-preset', opts.preset ?? 'medium', '-crf', String(opts.crf ?? 18), '-pix_fmt', pixFmt);
  } else if (codec === 'h265') {
    args.push('-c:v', 'libx265', '-preset', opts.preset ?? 'medium', '-crf', String(opts.crf ?? 20), '-pix_fmt', pixFmt, '-x265-params', 'log-level=error');
    if (opts.container !== 'matroska') args.push('-tag:v', 'hvc1'); // what QuickTime and Premiere expect
  } else {
    args.push('-c:v', 'prores_ks', '-profile:v', '4', '-pix_fmt', pixFmt, '-vendor', 'apl0');
    if (opts.alpha) args.push('-alpha_bits', '16');
  }
  args.push(...tags);
  if (opts.container !== 'matroska') args.push('-movflags', '+faststart+write_colr');
  return args;
}

const COPY_OK: Record<Container, (codec: string) => boolean> = {
  mp4: (c) => ['aac', 'mp3', 'ac3', 'eac3', 'alac'].includes(c),
  mov: (c) => ['aac', 'mp3', 'ac3', 'eac3', 'alac'].includes(c) || c.startsWith('pcm_'),
  matroska: (c) => c !== 'unknown',
};

/** ffmpeg arguments that add the source's first audio stream, trimmed to the range; none when it has no audio. */
async function audioArgs(audio: AudioSource | undefined, container: Container, inputIndex: number, signal?: AbortSignal): Promise<{ input: string[]; output: string[] }> {
  if (!audio) return { input: [], output: [] };
  const probe = await runTool(resolveFfmpeg().ffprobe, ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=codec_name', '-of', 'json', '-i', ffmpegPath(audio.path)], { signal });
  let codec: string | undefined;
  try {
    codec = (JSON.parse(probe.stdout.toString('utf8')) as { streams?: { codec_name?: string }[] }).streams?.[0]?.codec_name;
  } catch {
    codec = undefined;
  }
  if (probe.status.code !== 0 || !codec) return { input: [], output: [] }; // no (readable) audio: video only
  const input = ['-ss', Math.max(0, audio.startSeconds).toFixed(6), '-t', Math.max(0, audio.durationSeconds).toFixed(6), '-i', ffmpegPath(audio.path)];
  // Copy when the container takes the codec (no generation loss); otherwise AAC. No -shortest: it may cut video.
  const codecArgs = COPY_OK[container](codec) ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '192k'];
  return { input, output: ['-map', `${inputIndex}:a:0`, ...codecArgs] };
}

function checkEncoderAvailable(codec: MovieCodec): void {
  if (!hasEncoder(ENCODER[codec])) {
    throw new DreamLayerError('FORMAT_UNSUPPORTED', {
      message: `This ffmpeg (${resolveFfmpeg().version}) has no ${ENCODER[codec]} encoder for ${codec} output.`,
      hint: 'Choose another output format, or install an ffmpeg with that encoder on the PATH.',
      stage: 'encode',
    });
  }
}

function checkSize(codec: MovieCodec, width: number, height: number, file: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new DreamLayerError('PARAM_INVALID', { message: `Movie size must be positive integers, got ${width}x${height}.`, stage: 'encode' });
  }
  if (codec !== 'prores4444' && (width % 2 || height % 2)) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `${codec.toUpperCase()} (4:2:0) needs an even width and height, but "${file}" would be ${width}x${height}.`,
      hint: 'Choose an even output size, or ProRes / PNG output, which take any size.',
      stage: 'encode',
    });
  }
}

/** Error for an ffmpeg encode that failed, naming the output and carrying stderr. */
export function encodeFailure(target: string, status: ExitStatus, stderr: string, frame?: number): DreamLayerError {
  if (status.spawnError) return spawnFailure(resolveFfmpeg().ffmpeg, status.spawnError);
  const tail = lastLines(stderr);
  const common = { stage: 'encode' as const, frame, details: stderr || undefined };
  if (/No space left on device/i.test(stderr)) return new DreamLayerError('DISK_FULL', { ...common, message: `The disk is full while writing the movie "${target}".` });
  if (/Permission denied|Read-only file system/i.test(stderr)) return new DreamLayerError('OUTPUT_UNWRITABLE', { ...common, message: `Cannot write the movie "${target}" (${tail}).` });
  return new DreamLayerError('FFMPEG_FAILED', {
    ...common,
    message: `ffmpeg failed writing the movie "${target}" (exit ${status.code ?? status.signal})${tail ? `: ${tail}` : ''}.`,
  });
}

/** Moves a finished temp movie into place durably. */
async function publish(tmp: string, target: string): Promise<void> {
  await syncFile(tmp);
  await renameWithRetry(tmp, target);
  await syncDir(path.dirname(target));
}

/** Raw frames piped into one ffmpeg; subclasses may take ffmpeg's output from its stdout instead of a file. */
export class PipeMovieEncoder implements MovieEncoder {
  readonly path: string;
  framesWritten = 0;
  protected readonly tmp: string;
  private readonly starting: Promise<ToolProcess>;
  private tool?: ToolProcess;
  private state: 'open' | 'finishing' | 'done' | 'aborted' = 'open';
  private readonly bits: 8 | 16;

  constructor(protected readonly opts: MovieEncoderOptions) {
    this.path = opts.path;
    this.bits = opts.inputBits ?? 8;
    const container = containerFor(opts.path, opts.codec);
    checkSize(opts.codec, opts.width, opts.height, opts.path);
    if (opts.inputChannels !== 3 && opts.inputChannels !== 4) throw new DreamLayerError('PARAM_INVALID', { message: `inputChannels must be 3 or 4, got ${String(opts.inputChannels)}.` });
    const fps = toRational(opts.fps);
    this.tmp = tempPathFor(opts.path);
    this.starting = this.start(container, fps);
    this.starting.catch(() => {}); // surfaced by write()/finish()
    opts.signal?.addEventListener('abort', () => void this.abort(), { once: true });
  }

  private async start(container: Container, fps: Rational): Promise<ToolProcess> {
    const { opts } = this;
    throwIfAborted(opts.signal, 'encode');
    checkEncoderAvailable(opts.codec);
    await ensureWritableDir(path.dirname(path.resolve(opts.path)), { stage: 'encode' });
    const audio = await audioArgs(opts.audioFrom, container, 1, opts.signal);
    const alpha = opts.inputChannels === 4;
    const inPix = this.bits === 16 ? (alpha ? 'rgba64le' : 'rgb48le') : alpha ? 'rgba' : 'rgb24';
    const args = [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', inPix, '-s', `${opts.width}x${opts.height}`, '-r', `${fps.num}/${fps.den}`, '-i', 'pipe:0',
      ...audio.input,
      '-map', '0:v:0', ...audio.output,
      ...videoCodecArgs(opts.codec, { crf: opts.crf, preset: opts.preset, alpha: alpha && opts.codec === 'prores4444', container }),
      '-max_muxing_queue_size', '4096',
      ...this.outputArgs(container),
    ];
    throwIfAborted(opts.signal, 'encode');
    if (this.aborted()) throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    const tool = startTool(resolveFfmpeg().ffmpeg, args, { stdin: 'pipe', stdout: this.streamsOut ? 'pipe' : 'ignore' });
    this.tool = tool;
    this.started(tool);
    return tool;
  }

  /** Whether ffmpeg's output goes to its stdout (read by a subclass) instead of the temp file. */
  protected readonly streamsOut: boolean = false;

  /** The output part of ffmpeg's arguments. */
  protected outputArgs(container: Container): string[] {
    return ['-f', container, ffmpegPath(this.tmp)];
  }

  /** The error for ffmpeg having stopped (a subclass may know the real cause). */
  protected failure(status: ExitStatus, stderr: string): DreamLayerError {
    return encodeFailure(this.path, status, stderr, this.framesWritten);
  }

  /** Called once ffmpeg runs. */
  protected started(_tool: ToolProcess): void {}

  /** Called after ffmpeg exited with success: makes the result final (here: the temp file becomes the movie). */
  protected async complete(): Promise<void> {
    await publish(this.tmp, this.path);
  }

  /** Read through a method so TypeScript does not narrow the state across awaits. */
  private aborted(): boolean {
    return this.state === 'aborted';
  }

  private pack(img: PixelImage): Buffer {
    checkImage(img);
    const { width, height, inputChannels } = this.opts;
    if (img.width !== width || img.height !== height) {
      throw new DreamLayerError('PARAM_INVALID', { message: `Frame is ${img.width}x${img.height}, but the movie "${this.path}" is ${width}x${height}.`, stage: 'encode' });
    }
    let src = convertDepth(img, this.bits);
    if (src.channels !== inputChannels) src = convertChannels(src, inputChannels);
    const d = src.data;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }

  async write(img: PixelImage): Promise<void> {
    if (this.state === 'aborted') throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    if (this.state !== 'open') throw new DreamLayerError('INTERNAL', { message: `write() after finish() on the movie "${this.path}".`, stage: 'encode' });
    const buf = this.pack(img);
    const tool = await this.starting;
    if (this.aborted()) throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    if (tool.done) throw this.failure(await tool.exited, tool.stderr.text());
    // Resolve only once the bytes are in the pipe: the caller may reuse its buffer, and a slow ffmpeg holds us back.
    const written = new Promise<void>((resolve, reject) => tool.proc.stdin!.write(buf, (err) => (err ? reject(err) : resolve())));
    written.catch(() => {});
    const died = tool.exited.then(() => 'exit' as const);
    const r = await Promise.race([written.then(() => 'ok' as const, () => 'err' as const), died]);
    if (this.aborted()) throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    if (r !== 'ok') {
      const status = await tool.exited;
      throw this.failure(status, tool.stderr.text());
    }
    this.framesWritten++;
  }

  async finish(): Promise<void> {
    if (this.state === 'aborted') throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    if (this.state !== 'open') throw new DreamLayerError('INTERNAL', { message: `finish() called twice on the movie "${this.path}".`, stage: 'encode' });
    this.state = 'finishing';
    const tool = await this.starting;
    tool.proc.stdin!.end();
    const status = await tool.exited;
    if (this.state !== 'finishing') throw new DreamLayerError('CANCELLED', { stage: 'encode' });
    try {
      if (status.code !== 0) throw this.failure(status, tool.stderr.text());
      if (this.framesWritten === 0) throw new DreamLayerError('FFMPEG_FAILED', { message: `No frames were written to the movie "${this.path}".`, stage: 'encode' });
      await this.complete();
      this.state = 'done';
    } catch (e) {
      await fsp.rm(this.tmp, { force: true }).catch(() => {});
      this.state = 'done';
      if (e instanceof DreamLayerError) throw e;
      throw encodeFailure(this.path, { code: null, signal: null }, (e as Error).message);
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'done' || this.state === 'aborted') return;
    this.state = 'aborted';
    const tool = this.tool ?? (await this.starting.catch(() => undefined));
    if (tool) {
      tool.kill();
      await waitExit(tool, 5000);
    }
    await fsp.rm(this.tmp, { force: true }).catch(() => {});
  }
}

/** Gray → RGB(A), RGB ↔ RGBA (alpha added opaque, or dropped). */
function convertChannels(img: PixelImage, to: 3 | 4): PixelImage {
  const n = img.width * img.height;
  const from = img.channels;
  const wide = is16(img);
  const out = wide ? new Uint16Array(n * to) : new Uint8Array(n * to);
  const opaque = wide ? 65535 : 255;
  const src = img.data;
  for (let i = 0; i < n; i++) {
    const s = i * from;
    const d = i * to;
    if (from === 1) {
      out[d] = out[d + 1] = out[d + 2] = src[s];
    } else {
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
    if (to === 4) out[d + 3] = from === 4 ? src[s + 3] : opaque;
  }
  return { width: img.width, height: img.height, channels: to, data: out } as PixelImage;
}

/**
 * Starts a movie encoder fed with raw frames through a pipe. Option errors (extension, odd size for 4:2:0)
 * throw at once; an unwritable folder (OUTPUT_UNWRITABLE) or a missing encoder (FORMAT_UNSUPPORTED) surface on
 * the first write() or finish().
 */
export function createMovieEncoder(opts: MovieEncoderOptions): MovieEncoder {
  return new PipeMovieEncoder(opts);
}

export interface SequenceToMovieOptions {
  /** Folder of the frames (object form of {@link encodeSequenceToMovie}). */
  dir?: string;
  /** printf pattern of the frame files, e.g. frame_%06d.png (object form). */
  pattern?: string;
  /** Number of the first frame file (object form). */
  firstIndex?: number;
  /** Target movie file (.mp4 / .mov / .mkv). */
  path: string;
  fps: Rational;
  codec: MovieCodec;
  /** Number of frames to take; default all consecutive frames from `firstIndex`. */
  frameCount?: number;
  /** Alias of frameCount. */
  count?: number;
  /** ProRes only: keep the PNGs' alpha (default true). */
  alpha?: boolean;
  crf?: number;
  preset?: string;
  audioFrom?: AudioSource;
  signal?: AbortSignal;
}

/**
 * Encodes a finished, gap-free image sequence (`dir/pattern`, first file numbered `firstIndex`) into a movie with
 * ffmpeg's image2 reader, at the exact rate given. Temp file + rename like the pipe encoder. Positional
 * `(dir, pattern, firstIndex, opts)` or one object `{ dir, pattern, firstIndex, ...opts }`.
 */
export function encodeSequenceToMovie(dir: string, pattern: string, firstIndex: number, opts: SequenceToMovieOptions): Promise<void>;
export function encodeSequenceToMovie(opts: SequenceToMovieOptions & { dir: string; pattern: string; firstIndex: number }): Promise<void>;
export async function encodeSequenceToMovie(
  a: string | (SequenceToMovieOptions & { dir: string; pattern: string; firstIndex: number }),
  b?: string,
  c?: number,
  d?: SequenceToMovieOptions,
): Promise<void> {
  const opts: SequenceToMovieOptions = typeof a === 'string' ? d! : a;
  const dir = typeof a === 'string' ? a : a.dir;
  const pattern = typeof a === 'string' ? b! : a.pattern;
  const firstIndex = typeof a === 'string' ? c! : a.firstIndex;
  const frameCount = opts.frameCount ?? opts.count;
  if (!Number.isInteger(firstIndex) || firstIndex < 0) throw new DreamLayerError('PARAM_INVALID', { message: `First frame number must be a non-negative integer, got ${firstIndex}.` });
  const container = containerFor(opts.path, opts.codec);
  checkEncoderAvailable(opts.codec);
  const fps = toRational(opts.fps);
  // image2 stops quietly at the first gap; a missing frame must be an error, not a shorter movie.
  for (let i = 0; i < (frameCount ?? 1); i++) {
    const f = path.join(dir, frameFileName(pattern, firstIndex + i));
    if (!isNonEmptyFile(f)) {
      throw new DreamLayerError('INPUT_NOT_FOUND', { message: `The frame file "${f}" is missing, so the movie "${opts.path}" cannot be made.`, stage: 'encode' });
    }
  }
  await ensureWritableDir(path.dirname(path.resolve(opts.path)), { stage: 'encode' });
  const audio = await audioArgs(opts.audioFrom, container, 1, opts.signal);
  const tmp = tempPathFor(opts.path);
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-f', 'image2', '-framerate', `${fps.num}/${fps.den}`, '-start_number', String(firstIndex), '-i', ffmpegPath(path.join(dir, pattern)),
    ...audio.input,
    '-map', '0:v:0', ...audio.output,
    // The frame count is bounded by counting frames in the video filter (trim=end_frame): an output `-frames:v`
    // would also end the audio early (ffmpeg 4.1 stops all streams with it), and an input `-t` is a time bound
    // that ffmpeg 4.1 rounds at 24000/1001 so that it loses the last frame.
    ...videoCodecArgs(opts.codec, {
      crf: opts.crf,
      preset: opts.preset,
      alpha: opts.codec === 'prores4444' && opts.alpha !== false,
      container,
      preFilter: frameCount ? `trim=end_frame=${frameCount}` : undefined,
    }),
    '-max_muxing_queue_size', '4096',
    '-f', container, ffmpegPath(tmp),
  ];
  try {
    const out = await runTool(resolveFfmpeg().ffmpeg, args, { signal: opts.signal });
    if (out.status.code !== 0) throw encodeFailure(opts.path, out.status, out.stderr);
    await publish(tmp, opts.path);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => {});
  }
}

/**
 * Writes the source's first audio stream, trimmed to the range, into an audio-only movie (`target`: .mp4 or .mov),
 * copied when that container takes its codec, else AAC — the same choice as for a movie made in one go. Temp file +
 * rename. Returns false (and writes nothing) when the source has no readable audio.
 */
export async function extractAudio(audio: AudioSource, target: string, signal?: AbortSignal): Promise<boolean> {
  const container = containerFor(target, 'h264');
  const a = await audioArgs(audio, container, 0, signal);
  if (!a.input.length) return false;
  const tmp = tempPathFor(target);
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...a.input, ...a.output, '-vn', '-f', container, ffmpegPath(tmp)];
  try {
    const out = await runTool(resolveFfmpeg().ffmpeg, args, { signal });
    if (out.status.code !== 0) throw encodeFailure(target, out.status, out.stderr);
    await publish(tmp, target);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => {});
  }
  return true;
}
