/**
 * Tiny media made with the resolved ffmpeg for the io tests. Identity clips: frame k is a solid colour
 * (8k, 255-8k, 37k mod 256), so any decoded frame says which source frame it is.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpeg } from '../../../daemon/src/io/ffmpeg-binaries.ts';

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dl-io-${tag}-`));
}

export function ffmpeg(args: string[]): void {
  execFileSync(resolveFfmpeg().ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function ffprobeJson(file: string, args: string[]): any {
  return JSON.parse(execFileSync(resolveFfmpeg().ffprobe, ['-v', 'error', '-of', 'json', ...args, file], { encoding: 'utf8' }));
}

/** Raw frames of a file decoded by ffmpeg directly (an independent reference for decodeFrames). */
export function ffmpegRaw(file: string, pixFmt: string, extra: string[] = []): Buffer {
  return execFileSync(resolveFfmpeg().ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, ...extra, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1'], {
    maxBuffer: 256 << 20,
  });
}

/** The identity colour of frame k. */
export const idColour = (k: number): [number, number, number] => [(8 * k) % 256, (255 - 8 * k + 256 * 4) % 256, (37 * k) % 256];

/** Which frame a decoded colour belongs to (nearest identity colour), or -1 when none is within `tol`. */
export function frameOfColour(rgb: ArrayLike<number>, frames: number, tol = 6): number {
  for (let k = 0; k < frames; k++) {
    const c = idColour(k);
    if (Math.abs(c[0] - rgb[0]) <= tol && Math.abs(c[1] - rgb[1]) <= tol && Math.abs(c[2] - rgb[2]) <= tol) return k;
  }
  return -1;
}

const idSource = (w: number, h: number, rate: string, frames: number) =>
  `color=c=black:s=${w}x${h}:r=${rate},format=rgb24,geq=r='mod(8*N,256)':g='mod(255-8*N+1024,256)':b='mod(37*N,256)',trim=end_frame=${frames}`;

/** Lossless RGB identity clip in Matroska (FFV1): no nb_frames in the container, every frame a keyframe. */
export function makeIdentityMkv(file: string, frames = 30, w = 64, h = 48): string {
  ffmpeg(['-f', 'lavfi', '-i', idSource(w, h, '24', frames), '-c:v', 'ffv1', file]);
  return file;
}

/** Near-lossless H.264 identity clip (qp 0, yuv444p) with short GOPs and B-frames, at 24000/1001. */
export function makeIdentityMp4(file: string, frames = 30, w = 64, h = 48): string {
  ffmpeg([
    '-f', 'lavfi', '-i', `${idSource(w, h, '24000/1001', frames)},scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd,format=yuv444p`,
    '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p', '-g', '6', '-bf', '2', '-colorspace', 'bt709', '-color_range', 'tv', file,
  ]);
  return file;
}

/** H.264 + AAC sine clip (yuv420p) of `seconds` at 24 fps. */
export function makeAvClip(file: string, seconds = 1, w = 64, h = 48): string {
  ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=s=${w}x${h}:r=24`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file,
  ]);
  return file;
}

/** Mean of each channel over an interleaved image. */
export function meanRgb(data: ArrayLike<number>, channels: number): number[] {
  const sums = new Array(channels).fill(0);
  const n = data.length / channels;
  for (let i = 0; i < data.length; i++) sums[i % channels] += data[i];
  return sums.map((s) => s / n);
}
