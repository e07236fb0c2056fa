/** A synthetic sample clip made with ffmpeg's lavfi sources: for `dreamlayer demo` on a fresh machine, and tests. */
import path from 'node:path';
import fsp from 'node:fs/promises';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ensureWritableDir, renameWithRetry, tempPathFor } from './atomic-file.ts';
import { resolveFfmpeg } from './ffmpeg-binaries.ts';
import { ffmpegPath, lastLines, runTool } from './ffmpeg-process.ts';

export interface SampleClipOptions {
  width?: number;
  height?: number;
  /** Number of frames; default 48. */
  frames?: number;
  /** Frame rate; default 24. */
  fps?: number;
  /** Add a 440 Hz tone as AAC audio. */
  audio?: boolean;
}

/**
 * Writes an H.264 MP4 (yuv420p, BT.709 tags) of ffmpeg's moving `testsrc2` pattern to `file`, atomically.
 * Default 640×360, 48 frames at 24 fps.
 */
export async function makeSampleClip(file: string, opts: SampleClipOptions = {}): Promise<void> {
  const w = opts.width ?? 640;
  const h = opts.height ?? 360;
  const frames = opts.frames ?? 48;
  const fps = opts.fps ?? 24;
  await ensureWritableDir(path.dirname(path.resolve(file)), { stage: 'write' });
  const tmp = tempPathFor(file);
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${fps}`];
  if (opts.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000`);
  args.push('-frames:v', String(frames), '-map', '0:v');
  if (opts.audio) args.push('-map', '1:a', '-c:a', 'aac', '-t', (frames / fps).toFixed(6));
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
