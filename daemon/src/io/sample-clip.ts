/** A synthetic sample clip made with ffmpeg's lavfi sources: for `dreamlayer demo` on a fresh machine, and tests. */
import path from 'node:path';
import fsp from 'node:fs/promises';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ensureWritableDir, renameWithRetry, tempPathFor } from './atomic-file.ts';
import { resolveFfmpeg } from './ffmpeg-binaries.ts';
import { ffmpegPath, lastLines, runTool } from './ffmpeg-process.ts';

// A landscape drawn per pixel by geq (rendered at half size, then scaled): a sun
// crossing the sky, hills, and a rolling meadow in front, so motion, occlusion
// and flat colour areas are all present — a fair first look at an effect.
const SUN = 'lt(hypot(X-W*(0.15+0.25*T),Y-H*0.3),W/14)';
const MEADOW = 'gt(Y,H*0.62+H/14*sin(X*6.28/W*1.5+T*1.5)+H/36*sin(X*6.28/W*4.5))';
const HILLS = 'gt(Y,H*0.5+H/9*sin(X*6.28/W+0.5))';
const shade = (sun: number, meadow: string, hills: string, sky: string) => `if(${SUN},${sun},if(${MEADOW},${meadow},if(${HILLS},${hills},${sky})))`;
const LANDSCAPE =
  `geq=r='${shade(255, '30+50*Y/H+20*sin(X/5)', '70+40*sin(X/20)', '120+100*(1-Y/H)')}'` +
  `:g='${shade(200, '110+60*Y/H+25*sin(X/5)', '90+40*sin(X/20)', '150+80*(1-Y/H)')}'` +
  `:b='${shade(80, '60+30*Y/H', '120+30*sin(X/20)', '230-40*Y/H')}'`;

export interface SampleClipOptions {
  width?: number;
  height?: number;
  /** Number of frames; default 48. */
  frames?: number;
  /** Frame rate; default 24. */
  fps?: number;
  /** Add a 440 Hz tone as AAC audio. */
  audio?: boolean;
  /** 'landscape' (default; drawn by geq) or ffmpeg's 'testsrc2' pattern (fast, for tests). */
  scene?: 'landscape' | 'testsrc2';
}

/**
 * Writes an H.264 MP4 (yuv420p, BT.709 tags) of a moving landscape (or ffmpeg's `testsrc2` pattern) to `file`, atomically.
 * Default 640×360, 48 frames at 24 fps.
 */
export async function makeSampleClip(file: string, opts: SampleClipOptions = {}): Promise<void> {
  const w = opts.width ?? 640;
  const h = opts.height ?? 360;
  const frames = opts.frames ?? 48;
  const fps = opts.fps ?? 24;
  await ensureWritableDir(path.dirname(path.resolve(file)), { stage: 'write' });
  const tmp = tempPathFor(file);
  const source =
    opts.scene === 'testsrc2'
      ? `testsrc2=size=${w}x${h}:rate=${fps}`
      : `color=c=black:s=${Math.round(w / 4) * 2}x${Math.round(h / 4) * 2}:r=${fps}:d=${(frames / fps).toFixed(6)},format=rgb24,${LANDSCAPE},scale=${w}:${h}:flags=bicubic`;
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', source];
  const seconds = (frames / fps).toFixed(6);
  if (opts.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  // `-frames:v` would also cut the audio short (ffmpeg 4.1): with audio, both inputs' durations bound the file.
  args.push(...(opts.audio ? ['-map', '0:v', '-map', '1:a', '-c:a', 'aac', '-t', seconds] : ['-frames:v', String(frames), '-map', '0:v']));
  args.push(
    '-vf', 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18',
    '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
    '-movflags', '+faststart', '-f', 'mp4', ffmpegPath(tmp),
  );
  try {
    const out = await runTool(resolveFfmpeg().ffmpeg, args);
    if (out.status.code !== 0) {
      throw new DreamLayerError('FFMPEG_FAILED', { message: `ffmpeg could not make the sample clip "${file}": ${lastLines(out.stderr)}.`, details: out.stderr });
    }
    await renameWithRetry(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => {});
  }
}
