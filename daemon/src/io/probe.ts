/**
 * probeMedia: what a piece of footage is — movie, still image or numbered image sequence — with its exact
 * frame count and rational frame rate, pixel format, rotation and colour tags.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { hasDecoder, resolveFfmpeg } from './ffmpeg-binaries.ts';
import { ffmpegPath, lastLines, runTool } from './ffmpeg-process.ts';
import { findSequenceInDir, isFramePattern, isImagePath, listPatternFiles, type FoundSequence } from './frame-pattern.ts';
import { checkInputPath } from './input-file.ts';
import { readImageInfo } from './image-file.ts';

/** An exact frame rate (e.g. 24000/1001). */
export interface Rational {
  num: number;
  den: number;
}

/** What {@link probeMedia} finds. Frame indices everywhere in DreamLayer are 0-based into this clip. */
export interface MediaInfo {
  path: string;
  kind: 'video' | 'image' | 'sequence';
  /** Displayed size: after rotation metadata is applied (as decodeFrames delivers frames). */
  width: number;
  height: number;
  frameCount: number;
  fps: Rational;
  fpsValue: number;
  durationSeconds: number;
  /** Codec id as ffprobe names it ('h264', 'prores', 'png'…), or the image format for stills and sequences. */
  codec: string;
  pixelFormat: string;
  /** 8 for 8-bit sources; 16 for anything deeper (10/12/16-bit, float), which decode can keep with `bits: 16`. */
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  /** Clockwise display rotation in degrees (0, 90, 180, 270) that decoding applies. */
  rotation: number;
  colour: { primaries?: string; transfer?: string; matrix?: string; range?: string };
  hasAudio: boolean;
  sequence?: { dir: string; pattern: string; firstNumber: number; files: string[] };
  /** Extra detail, for decode/encode: */
  /** Index of the video stream in the container (ffmpeg `-map 0:N`). */
  streamIndex?: number;
  /** Container name as ffprobe reports it ('mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm', 'image2'…). */
  container?: string;
  /** Seconds from the container's start to the video stream's first frame (for frame-exact seeking). */
  videoStartSeconds?: number;
  /** Whether frames are evenly spaced (r_frame_rate equals avg_frame_rate), so time and frame index agree. */
  constantFrameRate: boolean;
  /** Coded size before rotation. */
  codedWidth?: number;
  codedHeight?: number;
  /** First audio stream, when there is one. */
  audio?: { codec: string; sampleRate?: number; channels?: number; streamIndex: number };
}

export interface ProbeOptions {
  /** Frame rate of an image sequence (default 24/1) or a still image (default 1/1). A number is converted to a rational (23.976 → 24000/1001). */
  sequenceFps?: number | Rational;
  signal?: AbortSignal;
}

/** Reduces a fraction. */
export function reduceRational(r: Rational): Rational {
  const g = (a: number, b: number): number => (b === 0 ? a : g(b, a % b));
  const d = g(Math.abs(r.num), Math.abs(r.den)) || 1;
  return { num: r.num / d, den: r.den / d };
}

/** Parses "24000/1001" or "25"; undefined for "0/0" or garbage. */
export function parseRational(s: string | undefined): Rational | undefined {
  if (!s) return undefined;
  const m = /^\s*(\d+)(?:\s*\/\s*(\d+))?\s*$/.exec(s);
  if (!m) return undefined;
  const r = { num: Number(m[1]), den: m[2] === undefined ? 1 : Number(m[2]) };
  return r.num > 0 && r.den > 0 ? reduceRational(r) : undefined;
}

/**
 * A frame rate as a rational. Integers stay n/1; the NTSC family (23.976, 29.97, 59.94, 47.952, 119.88) snaps to
 * n*1000/1001; anything else becomes a fraction with denominator up to 1001.
 */
export function toRational(fps: number | Rational): Rational {
  if (typeof fps !== 'number') {
    if (!(fps.num > 0 && fps.den > 0 && Number.isInteger(fps.num) && Number.isInteger(fps.den))) {
      throw new DreamLayerError('PARAM_INVALID', { message: `Frame rate ${fps.num}/${fps.den} is not a positive fraction.` });
    }
    return reduceRational(fps);
  }
  if (!(fps > 0 && Number.isFinite(fps))) throw new DreamLayerError('PARAM_INVALID', { message: `Frame rate ${fps} is not positive.` });
  if (Math.abs(fps - Math.round(fps)) < 1e-9) return { num: Math.round(fps), den: 1 };
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(fps - (ntsc * 1000) / 1001) < 0.0015) return { num: ntsc * 1000, den: 1001 };
  let best = { num: Math.round(fps), den: 1 };
  for (let den = 1; den <= 1001; den++) {
    const num = Math.round(fps * den);
    if (Math.abs(num / den - fps) < Math.abs(best.num / best.den - fps) - 1e-12) best = { num, den };
  }
  return reduceRational(best);
}

interface FfStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  start_time?: string;
  bit_rate?: string;
  bits_per_raw_sample?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface FfFormat {
  format_name?: string;
  duration?: string;
  start_time?: string;
  size?: string;
}

function unreadable(file: string, why: string, details?: string, cause?: unknown): DreamLayerError {
  return new DreamLayerError('INPUT_UNREADABLE', { message: `The input "${file}" is not a readable video or image: ${why}.`, stage: 'probe', details, cause });
}

async function ffprobeJson(file: string, args: string[], signal?: AbortSignal): Promise<{ streams?: FfStream[]; format?: FfFormat }> {
  const { ffprobe } = resolveFfmpeg();
  const out = await runTool(ffprobe, ['-v', 'error', '-hide_banner', '-print_format', 'json', ...args, '-i', ffmpegPath(file)], { signal });
  if (out.status.code !== 0) {
    throw unreadable(file, lastLines(out.stderr) || `ffprobe exited with code ${out.status.code}`, out.stderr);
  }
  try {
    return JSON.parse(out.stdout.toString('utf8')) as { streams?: FfStream[]; format?: FfFormat };
  } catch (e) {
    throw unreadable(file, 'ffprobe gave no readable answer', out.stderr, e);
  }
}

const num = (s: string | number | undefined): number | undefined => {
  const v = typeof s === 'number' ? s : s === undefined ? NaN : Number(s);
  return Number.isFinite(v) ? v : undefined;
};

/** 16 when a pixel format carries more than 8 bits per component. */
export function bitDepthOfPixFmt(pixFmt: string, bitsPerRawSample?: number): 8 | 16 {
  if (bitsPerRawSample && bitsPerRawSample > 8) return 16;
  return /(p9|p10|p12|p14|p16|9le|9be|10le|10be|12le|12be|14le|14be|16le|16be|48|64|f16|f32|gray16|ya16|y210|y212|p010|p016|x2rgb10|x2bgr10|xv30|xv36|v30x)/.test(pixFmt) ? 16 : 8;
}

/** Whether a pixel format has an alpha plane. */
export function pixFmtHasAlpha(pixFmt: string): boolean {
  return /^(yuva|gbrap|rgba|bgra|argb|abgr|ya8|ya16|rgba64|bgra64|ayuv|vuya|rgbaf)/.test(pixFmt);
}

function rotationOf(s: FfStream): number {
  const tag = num(s.tags?.rotate);
  let deg = 0;
  if (tag !== undefined) deg = tag; // legacy tag: clockwise
  else {
    const dm = s.side_data_list?.find((d) => d.rotation !== undefined);
    // The display matrix angle is counter-clockwise; clockwise is its negation.
    if (dm?.rotation !== undefined) deg = -dm.rotation;
  }
  return (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
}

const CLEAN = (v: string | undefined): string | undefined => (v && v !== 'unknown' && v !== 'reserved' ? v : undefined);

/**
 * Probes a movie file, a still image, a folder holding a numbered image sequence, or a printf pattern
 * (`dir/frame_%05d.png`).
 *
 * Frame counts are exact: a MOV/MP4 sample table (`nb_frames`) is used when it is consistent with the duration;
 * otherwise packets are counted (`-count_packets`). Frame rates are exact rationals from r_frame_rate/avg_frame_rate.
 *
 * Errors (each naming the file): INPUT_NOT_FOUND, INPUT_EMPTY, INPUT_UNREADABLE (not media, no video stream,
 * truncated), CODEC_UNSUPPORTED (the resolved ffmpeg has no decoder for the codec).
 */
export async function probeMedia(input: string, opts: ProbeOptions = {}): Promise<MediaInfo> {
  if (isFramePattern(path.basename(input))) {
    const dir = path.dirname(input);
    const st = await fsp.stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new DreamLayerError('INPUT_NOT_FOUND', { message: `The folder of the image sequence "${input}" does not exist.`, stage: 'probe' });
    const found = listPatternFiles(dir, path.basename(input));
    if (found.files.length === 0) throw new DreamLayerError('INPUT_NOT_FOUND', { message: `No frames match the image sequence "${input}".`, stage: 'probe' });
    return probeSequence(input, found, opts);
  }
  const st = await checkInputPath(input, { stage: 'probe' });
  if (st.isDirectory()) {
    const found = findSequenceInDir(input);
    if (!found) {
      throw new DreamLayerError('INPUT_NOT_FOUND', {
        message: `The folder "${input}" holds no numbered images (e.g. frame_0001.png).`,
        hint: 'Point to a movie file, an image, or a folder of numbered PNG/JPEG/TIFF/EXR frames.',
        stage: 'probe',
      });
    }
    return probeSequence(input, found, opts);
  }
  if (isImagePath(input) && !/\.exr$/i.test(input)) return probeStill(input, opts);
  return probeWithFfprobe(input, opts);
}

async function probeStill(file: string, opts: ProbeOptions): Promise<MediaInfo> {
  const img = await readImageInfo(file, 'probe');
  const fps = toRational(opts.sequenceFps ?? 1);
  return {
    path: file,
    kind: 'image',
    width: img.width,
    height: img.height,
    frameCount: 1,
    fps,
    fpsValue: fps.num / fps.den,
    durationSeconds: fps.den / fps.num,
    codec: img.format,
    pixelFormat: pixelFormatName(img.channels, img.bitDepth),
    bitDepth: img.bitDepth,
    hasAlpha: img.hasAlpha,
    rotation: 0,
    colour: {},
    hasAudio: false,
    constantFrameRate: true,
  };
}

function pixelFormatName(channels: number, bits: 8 | 16): string {
  const base = channels <= 2 ? (channels === 2 ? 'ya' : 'gray') : channels === 4 ? 'rgba' : 'rgb';
  if (bits === 8) return channels === 2 ? 'ya8' : base === 'rgb' ? 'rgb24' : base;
  return base === 'gray' ? 'gray16' : base === 'ya' ? 'ya16' : base === 'rgb' ? 'rgb48' : 'rgba64';
}

async function probeSequence(input: string, found: FoundSequence, opts: ProbeOptions): Promise<MediaInfo> {
  const first = found.files[0];
  // EXR frames are read by ffmpeg (sharp has no EXR reader); the rest by sharp, as decode will.
  const head = /\.exr$/i.test(first) ? await probeWithFfprobe(first, { ...opts, sequenceFps: 1 }) : await probeStill(first, { sequenceFps: 1 });
  const fps = toRational(opts.sequenceFps ?? 24);
  const n = found.files.length;
  return {
    ...head,
    path: input,
    kind: 'sequence',
    frameCount: n,
    fps,
    fpsValue: fps.num / fps.den,
    durationSeconds: (n * fps.den) / fps.num,
    hasAudio: false,
    audio: undefined,
    constantFrameRate: true,
    sequence: { dir: found.dir, pattern: found.pattern, firstNumber: found.numbers[0], files: found.files },
  };
}

async function probeWithFfprobe(file: string, opts: ProbeOptions): Promise<MediaInfo> {
  const j = await ffprobeJson(file, ['-show_streams', '-show_format'], opts.signal);
  const streams = j.streams ?? [];
  const format = j.format ?? {};
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!v) throw unreadable(file, streams.length ? 'it has no video stream' : 'ffprobe found no streams');
  const codec = v.codec_name ?? 'unknown';
  const container = format.format_name ?? '';
  const still = /image2|_pipe$/.test(container) || isImagePath(file);
  if (codec === 'unknown' || codec === 'none' || !hasDecoder(codec)) {
    throw new DreamLayerError('CODEC_UNSUPPORTED', {
      message: `The input "${file}" uses the codec "${codec}", which this ffmpeg (${resolveFfmpeg().version}) cannot decode.`,
      stage: 'probe',
    });
  }
  if (!v.width || !v.height) throw unreadable(file, `its video stream (${codec}) has no frame size`);
  const a = streams.find((s) => s.codec_type === 'audio');

  const r = parseRational(v.r_frame_rate);
  const avg = parseRational(v.avg_frame_rate);
  let fps: Rational;
  let cfr = true;
  if (still) {
    fps = toRational(opts.sequenceFps ?? 1);
  } else if (r && avg) {
    // Equal (within 0.1%) means constant rate: take r_frame_rate, the clean rational. Otherwise the average is the
    // true mean rate (VFR footage, or r_frame_rate doubled by field coding).
    cfr = Math.abs(r.num / r.den - avg.num / avg.den) <= 0.001 * (r.num / r.den);
    fps = cfr ? r : avg;
  } else if (r || avg) {
    fps = (r ?? avg)!;
  } else {
    throw unreadable(file, 'its video stream has no frame rate');
  }
  const fpsValue = fps.num / fps.den;

  const streamDuration = num(v.duration);
  const formatDuration = num(format.duration);
  const duration = streamDuration ?? formatDuration;

  let frameCount: number;
  if (still) {
    frameCount = 1;
  } else {
    const nb = num(v.nb_frames);
    const isMov = /\bmov\b|\bmp4\b/.test(container);
    const consistent = nb !== undefined && nb > 0 && (duration === undefined || Math.abs(nb - duration * fpsValue) <= Math.max(2, 0.01 * nb));
    if (isMov && nb !== undefined && nb > 0 && (consistent || !cfr)) {
      frameCount = nb;
      const short = movShortfall(streams, format);
      if (short) {
        // The byte count is only a trigger: confirm by counting what can actually be read.
        const readable = await countPackets(file, v.index, opts.signal);
        if (readable < nb) {
          throw unreadable(file, `it is truncated (${short}; ${readable} of ${nb} frames can be read)`);
        }
      }
    } else {
      frameCount = await countPackets(file, v.index, opts.signal);
    }
  }
  if (frameCount <= 0) throw unreadable(file, 'it contains no video frames');

  const rotation = rotationOf(v);
  const swap = rotation === 90 || rotation === 270;
  const pixFmt = v.pix_fmt ?? 'unknown';
  const colour: MediaInfo['colour'] = {};
  if (CLEAN(v.color_primaries)) colour.primaries = v.color_primaries;
  if (CLEAN(v.color_transfer)) colour.transfer = v.color_transfer;
  if (CLEAN(v.color_space)) colour.matrix = v.color_space;
  if (CLEAN(v.color_range)) colour.range = v.color_range;

  const videoStart = num(v.start_time);
  const formatStart = num(format.start_time);
  return {
    path: file,
    kind: still ? 'image' : 'video',
    width: swap ? v.height : v.width,
    height: swap ? v.width : v.height,
    frameCount,
    fps,
    fpsValue,
    durationSeconds: still ? fps.den / fps.num : duration ?? frameCount / fpsValue,
    codec,
    pixelFormat: pixFmt,
    bitDepth: bitDepthOfPixFmt(pixFmt, num(v.bits_per_raw_sample)),
    hasAlpha: pixFmtHasAlpha(pixFmt),
    rotation,
    colour,
    hasAudio: Boolean(a),
    streamIndex: v.index,
    container,
    videoStartSeconds: videoStart !== undefined && formatStart !== undefined ? Math.max(0, videoStart - formatStart) : 0,
    constantFrameRate: cfr,
    codedWidth: v.width,
    codedHeight: v.height,
    audio: a ? { codec: a.codec_name ?? 'unknown', sampleRate: num(a.sample_rate), channels: a.channels, streamIndex: a.index } : undefined,
  };
}

/**
 * A MOV/MP4 whose sample table promises more bytes than the file holds was cut short (copy interrupted, render
 * crashed). ffprobe reads such a header happily, so compare: the demuxer derives each stream's bit rate from its
 * sample sizes, so rate × duration is the media the index points at. Returns a description when short.
 */
function movShortfall(streams: FfStream[], format: FfFormat): string | undefined {
  const size = num(format.size);
  if (!size) return undefined;
  let promised = 0;
  for (const s of streams) {
    const br = num(s.bit_rate);
    const d = num(s.duration);
    if (br && d) promised += (br * d) / 8;
  }
  return promised > size * 1.02 + 4096 ? `the file has ${size} bytes, its index refers to about ${Math.round(promised)}` : undefined;
}

async function countPackets(file: string, streamIndex: number, signal?: AbortSignal): Promise<number> {
  const j = await ffprobeJson(file, ['-select_streams', String(streamIndex), '-count_packets', '-show_entries', 'stream=nb_read_packets'], signal);
  const n = num(j.streams?.[0]?.nb_read_packets);
  if (n === undefined) throw unreadable(file, 'its video packets could not be counted');
  return n;
}
