import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { createMovieEncoder, encodeSequenceToMovie } from '../../../daemon/src/io/encode.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { FrameSequenceWriter } from '../../../daemon/src/io/frame-sequence-writer.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ffmpeg, ffmpegRaw, ffprobeJson, makeAvClip, meanRgb, tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('encode');
});

const solid = (w: number, h: number, rgb: number[]): Image8 => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3];
  return { width: w, height: h, channels: 3, data };
};

async function collect<F>(gen: AsyncGenerator<F>): Promise<F[]> {
  const out: F[] = [];
  for await (const f of gen) out.push(f);
  return out;
}

const videoStream = (f: string) =>
  ffprobeJson(f, ['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,codec_tag_string,pix_fmt,r_frame_rate,avg_frame_rate,nb_frames,color_space,color_primaries,color_transfer,color_range']).streams[0];

describe('H.264 / H.265 movies', () => {
  it('H.264: yuv420p, BT.709 tags, exact 24000/1001, BT.709 matrix, no temp file left', async () => {
    const f = path.join(dir, 'red.mp4');
    const enc = createMovieEncoder({ path: f, width: 64, height: 48, fps: { num: 24000, den: 1001 }, codec: 'h264', inputChannels: 3 });
    for (let i = 0; i < 12; i++) await enc.write(solid(64, 48, [255, 0, 0]));
    expect(fs.existsSync(f)).toBe(false); // only the temp exists until finish
    await enc.finish();
    expect(enc.framesWritten).toBe(12);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(videoStream(f)).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', nb_frames: '12', color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709', color_range: 'tv' });
    const info = await probeMedia(f);
    expect(info).toMatchObject({ frameCount: 12, fps: { num: 24000, den: 1001 } });
    // Independent check of the matrix: pure red has Y' = 16 + 219·0.2126 ≈ 63 in BT.709 (BT.601 would give 81).
    // The stored planes, unconverted: the first 64×48 bytes of a yuv420p frame are Y'.
    const y = ffmpegRaw(f, 'yuv420p', ['-frames:v', '1']).subarray(0, 64 * 48);
    expect(Math.abs(meanRgb(y, 1)[0] - 63)).toBeLessThan(1.5);
    // And it decodes back to red.
    const [fr] = await collect(decodeFrames(info, { first: 3, last: 3 }));
    const m = meanRgb(fr.image.data, 3);
    expect(m[0]).toBeGreaterThan(248);
    expect(m[1]).toBeLessThan(6);
    expect(m[2]).toBeLessThan(6);
  });

  it('H.265: hvc1-tagged yuv420p with BT.709 tags', async () => {
    const f = path.join(dir, 'grey.mov');
    const enc = createMovieEncoder({ path: f, width: 64, height: 64, fps: { num: 25, den: 1 }, codec: 'h265', inputChannels: 4, preset: 'ultrafast' });
    const rgba: Image8 = { width: 64, height: 64, channels: 4, data: new Uint8Array(64 * 64 * 4).fill(128) };
    for (let i = 0; i < 5; i++) await enc.write(rgba);
    await enc.finish();
    expect(videoStream(f)).toMatchObject({ codec_name: 'hevc', codec_tag_string: 'hvc1', pix_fmt: 'yuv420p', r_frame_rate: '25/1', color_space: 'bt709', color_range: 'tv' });
    expect((await probeMedia(f)).frameCount).toBe(5);
  });

  it('copies the source audio, trimmed to the range', async () => {
    const src = makeAvClip(path.join(dir, 'av-src.mp4'), 1);
    const f = path.join(dir, 'with-audio.mp4');
    const enc = createMovieEncoder({
      path: f, width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'h264', inputChannels: 3, preset: 'ultrafast',
      audioFrom: { path: src, startSeconds: 0.25, durationSeconds: 0.25 },
    });
    for (let i = 0; i < 6; i++) await enc.write(solid(64, 48, [0, 0, 255]));
    await enc.finish();
    const a = ffprobeJson(f, ['-select_streams', 'a:0', '-show_entries', 'stream=codec_name,duration']).streams[0];
    expect(a.codec_name).toBe('aac');
    expect(Math.abs(Number(a.duration) - 0.25)).toBeLessThan(0.06);
    const info = await probeMedia(f);
    expect(info.hasAudio).toBe(true);
    expect(info.frameCount).toBe(6); // audio never cuts the video
  });

  it('PCM audio is copied into .mov but becomes AAC in .mp4 (which cannot hold PCM)', async () => {
    const src = path.join(dir, 'pcm-src.mov');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-f', 'lavfi', '-i', 'sine', '-t', '0.5', '-map', '0:v', '-map', '1:a', '-c:v', 'prores_ks', '-c:a', 'pcm_s16le', src]);
    for (const [ext, codec] of [['mov', 'pcm_s16le'], ['mp4', 'aac']]) {
      const f = path.join(dir, `pcm-out.${ext}`);
      const enc = createMovieEncoder({ path: f, width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'h264', inputChannels: 3, preset: 'ultrafast', audioFrom: { path: src, startSeconds: 0, durationSeconds: 0.25 } });
      for (let i = 0; i < 6; i++) await enc.write(solid(64, 48, [9, 9, 9]));
      await enc.finish();
      expect(ffprobeJson(f, ['-select_streams', 'a:0', '-show_entries', 'stream=codec_name']).streams[0].codec_name).toBe(codec);
    }
  });
});

describe('ProRes 4444', () => {
  it('keeps alpha: RGBA in, RGBA back within tolerance', async () => {
    const w = 64;
    const h = 32;
    const frame: Image8 = { width: w, height: h, channels: 4, data: new Uint8Array(w * h * 4) };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) frame.data.set([200, 100, 50, Math.round((x * 255) / (w - 1))], (y * w + x) * 4);
    }
    const f = path.join(dir, 'alpha.mov');
    const enc = createMovieEncoder({ path: f, width: w, height: h, fps: { num: 30000, den: 1001 }, codec: 'prores4444', inputChannels: 4 });
    for (let i = 0; i < 3; i++) await enc.write(frame);
    await enc.finish();
    const info = await probeMedia(f);
    expect(info).toMatchObject({ codec: 'prores', hasAlpha: true, bitDepth: 16, frameCount: 3, fps: { num: 30000, den: 1001 } });
    const [back] = await collect(decodeFrames(info, { first: 1, last: 1, alpha: true }));
    expect(back.image.channels).toBe(4);
    let worstA = 0;
    let worstC = 0;
    for (let i = 0; i < frame.data.length; i++) {
      const d = Math.abs(back.image.data[i] - frame.data[i]);
      if (i % 4 === 3) worstA = Math.max(worstA, d);
      else worstC = Math.max(worstC, d);
    }
    expect(worstA).toBeLessThanOrEqual(1);
    expect(worstC).toBeLessThanOrEqual(3);
    // The 10-bit source decoded at 16 bits agrees with the 8-bit decode.
    const [deep] = await collect(decodeFrames(info, { first: 1, last: 1, alpha: true, bits: 16 }));
    expect(deep.image.data).toBeInstanceOf(Uint16Array);
    let worst16 = 0;
    for (let i = 0; i < frame.data.length; i++) worst16 = Math.max(worst16, Math.abs(deep.image.data[i] / 257 - frame.data[i]));
    expect(worst16).toBeLessThanOrEqual(3);
  });
});

describe('encodeSequenceToMovie', () => {
  it('encodes a PNG sequence numbered by source frame, at the exact rate', async () => {
    const frames = path.join(dir, 'seq');
    const w = new FrameSequenceWriter(frames);
    for (let i = 50; i < 60; i++) await w.write(i, solid(32, 32, [i * 4, 0, 0]));
    const positional = path.join(dir, 'seq.mp4');
    await encodeSequenceToMovie(frames, 'frame_%06d.png', 50, { path: positional, fps: { num: 25, den: 1 }, codec: 'h264', frameCount: 10, preset: 'ultrafast' });
    expect(await probeMedia(positional)).toMatchObject({ frameCount: 10, fps: { num: 25, den: 1 } });
    const obj = path.join(dir, 'seq.mov');
    await encodeSequenceToMovie({ dir: frames, pattern: 'frame_%06d.png', firstIndex: 52, count: 4, path: obj, fps: { num: 24000, den: 1001 }, codec: 'prores4444' });
    const info = await probeMedia(obj);
    expect(info).toMatchObject({ frameCount: 4, fps: { num: 24000, den: 1001 }, codec: 'prores' });
    const [first] = await collect(decodeFrames(info, { first: 0, last: 0 }));
    expect(Math.abs(first.image.data[0] - 52 * 4)).toBeLessThanOrEqual(2);
    // With audio: exactly the frames asked for, and the audio is not cut by the frame bound.
    const withAudio = path.join(dir, 'seq-audio.mp4');
    const src = makeAvClip(path.join(dir, 'seq-av-src.mp4'), 1);
    await encodeSequenceToMovie(frames, 'frame_%06d.png', 50, {
      path: withAudio, fps: { num: 24000, den: 1001 }, codec: 'h264', count: 7, preset: 'ultrafast',
      audioFrom: { path: src, startSeconds: 0, durationSeconds: (7 * 1001) / 24000 },
    });
    const av = await probeMedia(withAudio);
    expect(av).toMatchObject({ frameCount: 7, hasAudio: true });
    const aDur = Number(ffprobeJson(withAudio, ['-select_streams', 'a:0', '-show_entries', 'stream=duration']).streams[0].duration);
    expect(Math.abs(aDur - (7 * 1001) / 24000)).toBeLessThan(0.05);
    await expect(encodeSequenceToMovie(frames, 'frame_%06d.png', 55, { path: path.join(dir, 'gap.mp4'), fps: { num: 25, den: 1 }, codec: 'h264', frameCount: 10 })).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
      message: expect.stringContaining('frame_000060.png'),
    });
  });
});

describe('encoder errors and cancellation', () => {
  it('an unwritable output folder → OUTPUT_UNWRITABLE naming the folder, on first write', async () => {
    const blocker = path.join(dir, 'file-not-dir');
    fs.writeFileSync(blocker, 'x');
    const target = path.join(blocker, 'out', 'movie.mp4');
    const enc = createMovieEncoder({ path: target, width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'h264', inputChannels: 3 });
    await expect(enc.write(solid(64, 48, [0, 0, 0]))).rejects.toMatchObject({ code: 'OUTPUT_UNWRITABLE', message: expect.stringContaining(path.join(blocker, 'out')) });
    await enc.abort();
  });

  it('rejects bad options at once: odd 4:2:0 size, ProRes in .mp4, unknown extension', () => {
    const base = { width: 64, height: 48, fps: { num: 24, den: 1 }, inputChannels: 3 as const };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as DreamLayerError).code;
      }
      return 'no error';
    };
    expect(code(() => createMovieEncoder({ ...base, path: path.join(dir, 'odd.mp4'), width: 63, codec: 'h264' }))).toBe('PARAM_INVALID');
    expect(code(() => createMovieEncoder({ ...base, path: path.join(dir, 'p.mp4'), codec: 'prores4444' }))).toBe('FORMAT_UNSUPPORTED');
    expect(code(() => createMovieEncoder({ ...base, path: path.join(dir, 'x.avi'), codec: 'h264' }))).toBe('FORMAT_UNSUPPORTED');
  });

  it('a frame of the wrong size → PARAM_INVALID', async () => {
    const enc = createMovieEncoder({ path: path.join(dir, 'size.mp4'), width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'h264', inputChannels: 3 });
    await expect(enc.write(solid(32, 48, [0, 0, 0]))).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    await enc.abort();
  });

  it('abort (or the signal) kills ffmpeg and leaves neither the movie nor a temp file', async () => {
    const sub = path.join(dir, 'aborted');
    fs.mkdirSync(sub);
    const ac = new AbortController();
    const f = path.join(sub, 'cut.mov');
    const enc = createMovieEncoder({ path: f, width: 64, height: 48, fps: { num: 24, den: 1 }, codec: 'prores4444', inputChannels: 3, signal: ac.signal });
    await enc.write(solid(64, 48, [1, 2, 3]));
    await enc.write(solid(64, 48, [1, 2, 3]));
    ac.abort();
    await expect(enc.write(solid(64, 48, [1, 2, 3]))).rejects.toMatchObject({ code: 'CANCELLED' });
    await enc.abort();
    await expect(enc.finish()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(sub)).toEqual([]);
  });
});
