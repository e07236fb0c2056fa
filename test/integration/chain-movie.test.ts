/**
 * Finished movies from a chain: frames streamed into the encoder in segments
 * whose coded frames are appended to the movie as they come (the checkpoint) —
 * the source's exact rate and frame count, its audio trimmed to the range,
 * BT.709 tags, nothing left behind.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image8 } from '../../daemon/src/core/image.ts';
import { decodeFrames } from '../../daemon/src/io/decode.ts';
import { resolveFfmpeg } from '../../daemon/src/io/ffmpeg-binaries.ts';
import { probeMedia } from '../../daemon/src/io/probe.ts';
import { makeSampleClip } from '../../daemon/src/io/sample-clip.ts';
import { runJob } from '../../daemon/src/pipeline/run-job.ts';
import { SEGMENT_FRAMES_ENV } from '../../daemon/src/pipeline/segmented-movie-sink.ts';
import type { JobSpecInput } from '../../shared/src/job-spec.ts';

let dir: string;
let clip: string;

const ffprobe = (file: string, args: string[]) => JSON.parse(execFileSync(resolveFfmpeg().ffprobe, ['-v', 'error', '-of', 'json', ...args, file], { encoding: 'utf8' }));
const streams = (file: string) =>
  ffprobe(file, ['-count_frames', '-show_entries', 'stream=codec_type,codec_name,codec_tag_string,width,height,pix_fmt,r_frame_rate,avg_frame_rate,nb_read_frames,duration,time_base,color_space,color_primaries,color_transfer,color_range']).streams as Record<string, string>[];
const videoPts = (file: string) => (ffprobe(file, ['-select_streams', 'v:0', '-show_entries', 'packet=pts']).packets as { pts: number }[]).map((p) => Number(p.pts)).sort((a, b) => a - b);

async function decodeAll(file: string): Promise<Image8[]> {
  const info = await probeMedia(file);
  const out: Image8[] = [];
  for await (const f of decodeFrames(info, { first: 0, last: info.frameCount - 1 })) out.push(f.image);
  return out;
}


beforeAll(async () => {
  process.env[SEGMENT_FRAMES_ENV] = '4';
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-chain-movie-'));
  clip = path.join(dir, 'clip.mp4');
  // testsrc2 with a 440 Hz tone, 24 frames at 24000/1001 (NTSC film rate).
  await makeSampleClip(clip, { width: 64, height: 48, frames: 24, fps: 24000 / 1001, audio: true, scene: 'testsrc2' });
});

const stylizeUp = (out: string, extra: Partial<JobSpecInput> = {}): JobSpecInput => ({
  effect: 'stylize', params: { temporal: 0.8 }, device: 'cpu', input: { path: clip },
  output: { dir: path.join(dir, out), format: 'mp4', movieName: 'out.mp4' }, then: [{ effect: 'upscale', params: { scale: 2 } }], ...extra,
});

describe('stylize → ×2 → H.264 in one pass', () => {
  it('has the source frame count, exact 24000/1001, the audio, BT.709 tags; no leftovers', async () => {
    const src = streams(clip);
    expect(src.find((s) => s.codec_type === 'video')).toMatchObject({ r_frame_rate: '24000/1001', nb_read_frames: '24' });
    const r = await runJob(stylizeUp('full'));
    expect(r).toMatchObject({ movie: 'out.mp4', pattern: null, fpsRational: '24000/1001', width: 128, height: 96, frames: { first: 0, last: 23, count: 24 } });
    const movie = path.join(dir, 'full', 'out.mp4');
    const [v, a] = [streams(movie).find((s) => s.codec_type === 'video')!, streams(movie).find((s) => s.codec_type === 'audio')];
    expect(v).toMatchObject({
      codec_name: 'h264', width: 128, height: 96, pix_fmt: 'yuv420p', r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', nb_read_frames: '24',
      color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709', color_range: 'tv',
    });
    // Six segments joined: every timestamp exactly k·1001 in 1/24000 s (a drifting join would show here).
    expect(v.time_base).toBe('1/24000');
    expect(videoPts(movie)).toEqual(Array.from({ length: 24 }, (_, k) => k * 1001));
    expect(a).toMatchObject({ codec_name: 'aac' });
    expect(Math.abs(Number(a!.duration) - (24 * 1001) / 24000)).toBeLessThan(0.03);
    // Only the movie and its record remain: no frames, no segments, no state images.
    expect(fs.readdirSync(path.join(dir, 'full')).sort()).toEqual(['out.mp4', 'out.mp4.result.json']);
  }, 120_000);

  it('frame k of the movie is source frame k across every segment join (an identity clip: frame k is a solid colour), at exact 30000/1001', async () => {
    const id = path.join(dir, 'identity.mp4');
    const colour = (k: number) => [(8 * k) % 256, (255 - 8 * k + 1024) % 256, (37 * k) % 256];
    execFileSync(resolveFfmpeg().ffmpeg, [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', "color=c=black:s=32x24:r=30000/1001,format=rgb24,geq=r='mod(8*N,256)':g='mod(255-8*N+1024,256)':b='mod(37*N,256)',trim=end_frame=30",
      '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p', id,
    ]);
    await runJob({ effect: 'upscale', device: 'cpu', input: { path: id }, output: { dir: path.join(dir, 'identity'), format: 'mp4', movieName: 'out.mp4' } });
    const movie = path.join(dir, 'identity', 'out.mp4');
    // Frame times (1001/30000 s) are not whole microseconds or milliseconds: every timestamp still exact.
    expect(streams(movie)[0]).toMatchObject({ nb_read_frames: '30', r_frame_rate: '30000/1001', avg_frame_rate: '30000/1001', time_base: '1/30000' });
    expect(videoPts(movie)).toEqual(Array.from({ length: 30 }, (_, k) => k * 1001));
    const frames = await decodeAll(movie);
    expect(frames).toHaveLength(30);
    frames.forEach((f, k) => {
      const c = colour(k);
      const centre = ((f.height / 2) * f.width + f.width / 2) * 3;
      for (let ch = 0; ch < 3; ch++) expect(Math.abs(f.data[centre + ch] - c[ch])).toBeLessThanOrEqual(6);
    });
  }, 60_000);

  it('a frame range keeps its own count and rate, and the audio of that range only', async () => {
    const r = await runJob(stylizeUp('range', { input: { path: clip, frames: { first: 5, last: 17 } } }));
    expect(r.frames).toEqual({ first: 5, last: 17, count: 13 });
    const movie = path.join(dir, 'range', 'out.mp4');
    const [v, a] = [streams(movie).find((s) => s.codec_type === 'video')!, streams(movie).find((s) => s.codec_type === 'audio')!];
    expect(v).toMatchObject({ nb_read_frames: '13', r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001' });
    expect(Math.abs(Number(a.duration) - (13 * 1001) / 24000)).toBeLessThan(0.03);
  }, 60_000);

  it('H.265 (hvc1) and ProRes 4444 (.mov) the same way', async () => {
    const h = await runJob(stylizeUp('hevc', { input: { path: clip, frames: { first: 0, last: 7 } }, output: { dir: path.join(dir, 'hevc'), format: 'h265', movieName: 'out.mp4', crf: 28 } }));
    const hv = streams(path.join(dir, 'hevc', h.movie!)).find((s) => s.codec_type === 'video')!;
    expect(hv).toMatchObject({ codec_name: 'hevc', codec_tag_string: 'hvc1', nb_read_frames: '8', avg_frame_rate: '24000/1001', color_primaries: 'bt709' });
    const p = await runJob(stylizeUp('prores', { input: { path: clip, frames: { first: 0, last: 7 } }, output: { dir: path.join(dir, 'prores'), format: 'prores', movieName: 'out.mov' } }));
    const pv = streams(path.join(dir, 'prores', p.movie!));
    expect(pv.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'prores', nb_read_frames: '8', avg_frame_rate: '24000/1001', color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709' });
    expect(pv.some((s) => s.codec_type === 'audio')).toBe(true);
  }, 60_000);

  it('keepFrames keeps the PNG frames beside the movie', async () => {
    const r = await runJob({ effect: 'upscale', device: 'cpu', input: { path: clip, frames: { first: 0, last: 4 } }, output: { dir: path.join(dir, 'keep'), format: 'mp4', movieName: 'out.mp4', keepFrames: true } });
    expect(r.pattern).toBe(path.join('.out.mp4.frames', 'frame_%06d.png'));
    expect(fs.readdirSync(path.join(dir, 'keep', '.out.mp4.frames')).filter((f) => f.endsWith('.png'))).toHaveLength(5);
  });
});

describe('resume in process', () => {
  it('a cancelled chain resumes at its first unfinished segment and ends identical; another job does not reuse its segments', async () => {
    const job = stylizeUp('resume', { input: { path: clip, frames: { first: 0, last: 11 } } });
    const whole = await runJob({ ...job, output: { ...job.output, dir: path.join(dir, 'whole') } });
    const ac = new AbortController();
    const logs: string[] = [];
    await expect(runJob(job, { signal: ac.signal, onProgress: (p) => p.done >= 9 && ac.abort() })).rejects.toThrow();
    const parts = fs.readdirSync(path.join(dir, 'resume', '.out.mp4.parts')).filter((f) => f.startsWith('piece_')).sort();
    expect(parts).toEqual(['piece_000000-000003.json', 'piece_000004-000007.json']); // no partial third segment
    expect(fs.existsSync(path.join(dir, 'resume', 'out.mp4'))).toBe(false);
    const again = await runJob(job, { log: (l) => logs.push(l) });
    expect(logs.join('\n')).toMatch(/resuming out\.mp4: 2 of 3 segments \(8 frames\)/);
    expect(again.frames.count).toBe(whole.frames.count);
    expect(fs.readFileSync(path.join(dir, 'resume', 'out.mp4')).equals(fs.readFileSync(path.join(dir, 'whole', 'out.mp4')))).toBe(true);

    // Same folder, other settings: the old segments are not taken for the new job's.
    const ac2 = new AbortController();
    await expect(runJob(job, { signal: ac2.signal, onProgress: (p) => p.done >= 5 && ac2.abort() })).rejects.toThrow();
    const other = await runJob({ ...job, then: [{ effect: 'upscale', params: { scale: 3 } }] }, { log: (l) => logs.push(l) });
    expect(logs.join('\n')).toMatch(/checkpoint of another job or other settings; starting over/);
    expect([other.width, other.height]).toEqual([192, 144]);
    const v = streams(path.join(dir, 'resume', 'out.mp4')).find((s) => s.codec_type === 'video')!;
    expect(v).toMatchObject({ width: 192, height: 144, nb_read_frames: '12' });
  }, 120_000);
});
