/**
 * A sample clip made by ffmpeg itself (lavfi sources: a moving Mandelbrot zoom
 * and a tone), so the main job runs on a fresh machine with no media and no
 * network.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { renameWithRetry, tempPathFor } from './atomic-file.ts';
import { resolveFfmpeg } from './ffmpeg-binaries.ts';
import { lastLines, runTool } from './ffmpeg-process.ts';

// A landscape drawn per pixel by geq (rendered at half size, then scaled): a sun
// crossing the sky, hills, and a rolling meadow in front, so motion, occlusion
// and flat colour areas are all present.
const SUN = 'lt(hypot(X-W*(0.15+0.25*T),Y-H*0.3),W/14)';
const MEADOW = 'gt(Y,H*0.62+H/14*sin(X*6.28/W*1.5+T*1.5)+H/36*sin(X*6.28/W*4.5))';
const HILLS = 'gt(Y,H*0.5+H/9*sin(X*6.28/W+0.5))';
const shade = (sun: number, meadow: string, hills: string, sky: string) => `if(${SUN},${sun},if(${MEADOW},${meadow},if(${HILLS},${hills},${sky})))`;
const LANDSCAPE = `geq=r='${shade(255, '30+50*Y/H+20*sin(X/5)', '70+40*sin(X/20)', '120+100*(1-Y/H)')}'` +
  `:g='${shade(200, '110+60*Y/H+25*sin(X/5)', '90+40*sin(X/20)', '150+80*(1-Y/H)')}'` +
  `:b='${shade(80, '60+30*Y/H', '120+30*sin(X/20)', '230-40*Y/H')}'`;

export interface SampleClipOptions {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  signal?: AbortSignal;
}

export async function makeSampleClip(file: string, opts: SampleClipOptions = {}): Promise<void> {
  const { width = 640, height = 360, seconds = 3, fps = 24 } = opts;
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tempPathFor(file) + '.mp4';
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=black:s=${Math.round(width / 2)}x${Math.round(height / 2)}:r=${fps}:d=${seconds},format=rgb24,${LANDSCAPE},scale=${width}:${height}:flags=bicubic`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000`,
    '-t', String(seconds), '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', '-preset', 'fast',
    '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709',
    '-c:a', 'aac', '-b:a', '96k', '-shortest', tmp,
  ];
  const r = await runTool(resolveFfmpeg().ffmpeg, args, { signal: opts.signal });
  if (r.status.code !== 0) {
    throw new DreamLayerError('FFMPEG_FAILED', { stage: 'encode', message: `Could not make the sample clip ${file}: ${lastLines(r.stderr)}`, details: r.stderr });
  }
  await renameWithRetry(tmp, file);
}
