import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VideoFrame } from '../../../daemon/src/core/image.ts';
import { decodeFrames, openSource, resolveOutputSize, type VideoFrame16 } from '../../../daemon/src/io/decode.ts';
import { probeMedia, type MediaInfo } from '../../../daemon/src/io/probe.ts';
import { writePng } from '../../../daemon/src/io/image-file.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { sharedData } from '../../helpers/shared-path.ts';
import { ffmpeg, ffmpegRaw, frameOfColour, idColour, makeIdentityMkv, makeIdentityMp4, meanRgb, tempDir } from './fixtures.ts';

const DANCE = sharedData('video/dance-twirl_854x480_24fps.mp4');

async function collect<F>(gen: AsyncGenerator<F>): Promise<F[]> {
  const out: F[] = [];
  for await (const f of gen) out.push(f);
  return out;
}

/** Every pixel of a frame has the identity colour of one frame; returns that frame number. */
function frameNumberOf(f: VideoFrame, frames: number, tol = 3): number {
  const d = f.image.data;
  const k = frameOfColour(d.subarray(0, 3), frames, tol);
  const c = idColour(k);
  for (let i = 0; i < d.length; i += 3) {
    if (Math.abs(d[i] - c[0]) > tol || Math.abs(d[i + 1] - c[1]) > tol || Math.abs(d[i + 2] - c[2]) > tol) return -1;
  }
  return k;
}

let dir: string;
let mkv: MediaInfo;
let mp4: MediaInfo;
beforeAll(async () => {
  dir = tempDir('decode');
  mkv = await probeMedia(makeIdentityMkv(path.join(dir, 'id.mkv'), 30));
  mp4 = await probeMedia(makeIdentityMp4(path.join(dir, 'id.mp4'), 30));
});

describe('decodeFrames: frame exactness', () => {
  it('lossless clip: a middle range yields exactly those frames, pixel-exact', async () => {
    const frames = await collect(decodeFrames(mkv, { first: 9, last: 20 }));
    expect(frames.map((f) => f.index)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    for (const f of frames) {
      expect(f.image).toMatchObject({ width: 64, height: 48, channels: 3 });
      expect(frameNumberOf(f, 30, 0)).toBe(f.index);
    }
  });

  it('H.264 with B-frames and short GOPs: decode-from-start and pre-seek give the same, correct frames', async () => {
    for (const preSeek of [false, true]) {
      const frames = await collect(decodeFrames(mp4, { first: 13, last: 22, preSeek }));
      expect(frames.map((f) => f.index)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
      expect(frames.map((f) => frameNumberOf(f, 30))).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
    }
    const last = await collect(decodeFrames(mp4, { first: 29, last: 29, preSeek: true }));
    expect(frameNumberOf(last[0], 30)).toBe(29);
  });

  it('the real dance clip: a ranged decode equals the same frames of a full decode by ffmpeg', async () => {
    const info = await probeMedia(DANCE);
    expect(info.frameCount).toBe(90);
    const frameBytes = 854 * 480 * 3;
    // Reference: ffmpeg decoding from the start, frames counted in order; the clip is tagged BT.601 (bt470bg).
    const all = ffmpegRaw(DANCE, 'rgb24', ['-vf', 'scale=in_color_matrix=bt601:in_range=tv:out_range=pc:flags=lanczos+accurate_rnd+full_chroma_int+full_chroma_inp', '-frames:v', '24']);
    expect(all.length).toBe(24 * frameBytes);
    for (const preSeek of [false, true]) {
      const frames = await collect(decodeFrames(info, { first: 20, last: 23, preSeek }));
      expect(frames.map((f) => f.index)).toEqual([20, 21, 22, 23]);
      for (const f of frames) {
        const ref = all.subarray(f.index * frameBytes, (f.index + 1) * frameBytes);
        expect(Buffer.from(f.image.data).equals(ref), `frame ${f.index} preSeek=${preSeek}`).toBe(true);
      }
    }
  });
});

describe('decodeFrames: conversion', () => {
  it('resizes keeping the aspect ratio (even) and keeps colours', async () => {
    expect(resolveOutputSize({ width: 854, height: 480 }, 320)).toEqual({ width: 320, height: 180 });
    expect(resolveOutputSize({ width: 854, height: 480 }, undefined, 101)).toEqual({ width: 180, height: 101 });
    const [f] = await collect(decodeFrames(mkv, { first: 5, last: 5, width: 32 }));
    expect(f.image).toMatchObject({ width: 32, height: 24, channels: 3 });
    const m = meanRgb(f.image.data, 3);
    idColour(5).forEach((c, i) => expect(Math.abs(m[i] - c)).toBeLessThanOrEqual(1));
  });

  it('16-bit output keeps the 8-bit values scaled by 257', async () => {
    const frames = await collect(decodeFrames(mkv, { first: 3, last: 4, bits: 16 }));
    const f: VideoFrame16 = frames[1];
    expect(f.image.data).toBeInstanceOf(Uint16Array);
    expect(f.image.data.length).toBe(64 * 48 * 3);
    const c = idColour(4);
    expect([f.image.data[0], f.image.data[1], f.image.data[2]]).toEqual(c.map((v) => v * 257));
  });

  it('applies rotation metadata; frames have the probed (displayed) size', async () => {
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=black:s=64x48:r=24:d=0.25,drawbox=x=0:y=0:w=32:h=24:color=red:t=fill', '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p', path.join(dir, 'mark.mp4')]);
    ffmpeg(['-i', path.join(dir, 'mark.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path.join(dir, 'mark-rot.mp4')]);
    const info = await probeMedia(path.join(dir, 'mark-rot.mp4'));
    const [f] = await collect(decodeFrames(info, { first: 0, last: 0 }));
    expect([f.image.width, f.image.height]).toEqual([info.width, info.height]);
    expect([f.image.width, f.image.height]).toEqual([48, 64]);
    // The red top-left quadrant ends top-right after 90° clockwise, bottom-left after 270°.
    const red = (x: number, y: number) => f.image.data[(y * 48 + x) * 3] > 200;
    if (info.rotation === 90) expect([red(45, 2), red(2, 61)]).toEqual([true, false]);
    else expect([red(2, 61), red(45, 2)]).toEqual([true, false]);
  });
});

describe('decodeFrames: stills and sequences', () => {
  it('decodes a range of a 16-bit PNG sequence by file order, in 8 or 16 bits', async () => {
    const seq = path.join(dir, 'seq16');
    fs.mkdirSync(seq);
    for (let n = 0; n < 6; n++) await writePng(path.join(seq, `f_${String(100 + n).padStart(5, '0')}.png`), { width: 6, height: 4, channels: 1, data: new Uint16Array(24).fill(1000 * n + 7) });
    const info = await probeMedia(seq);
    expect(info.sequence?.firstNumber).toBe(100);
    const deep = await collect(decodeFrames(info, { first: 2, last: 4, bits: 16 }));
    expect(deep.map((f) => f.index)).toEqual([2, 3, 4]);
    expect(deep.map((f) => [f.image.channels, f.image.data[0], f.image.data[1], f.image.data[2]])).toEqual([
      [3, 2007, 2007, 2007],
      [3, 3007, 3007, 3007],
      [3, 4007, 4007, 4007],
    ]);
    const shallow = await collect(decodeFrames(info, { first: 5, last: 5, alpha: true }));
    expect(shallow[0].image.channels).toBe(4);
    expect(shallow[0].image.data[0]).toBe(Math.round(5007 / 257));
    expect(shallow[0].image.data[3]).toBe(255);
  });

  it('a still image yields its one frame, resized on request', async () => {
    const f = path.join(dir, 'still.png');
    await writePng(f, { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(77) });
    const src = await openSource(f, { width: 4 });
    expect(src.range).toEqual({ first: 0, last: 0 });
    const frames = await collect(src.frames);
    expect(frames).toHaveLength(1);
    expect(frames[0].image).toMatchObject({ width: 4, height: 4, channels: 3 });
    expect(frames[0].image.data[0]).toBe(77);
  });

  it('a sequence frame of the wrong size is INPUT_UNREADABLE naming that file', async () => {
    const seq = path.join(dir, 'odd');
    fs.mkdirSync(seq);
    for (let n = 1; n <= 3; n++) await writePng(path.join(seq, `${n}.png`), { width: n === 2 ? 5 : 4, height: 4, channels: 3, data: new Uint8Array((n === 2 ? 5 : 4) * 12) });
    const info = await probeMedia(seq);
    await expect(collect(decodeFrames(info, { first: 0, last: 2 }))).rejects.toMatchObject({ code: 'INPUT_UNREADABLE', frame: 1, message: expect.stringContaining(path.join(seq, '2.png')) });
  });
});

describe('decodeFrames: errors, cancel, early stop', () => {
  it('a range outside the clip → FRAME_RANGE_INVALID naming the clip and its frame count', async () => {
    for (const [first, last] of [[0, 30], [5, 4], [-1, 3], [1.5, 3]]) {
      try {
        await collect(decodeFrames(mkv, { first, last }));
        expect.unreachable();
      } catch (e) {
        expect((e as DreamLayerError).code).toBe('FRAME_RANGE_INVALID');
        expect((e as DreamLayerError).message).toContain(mkv.path);
        expect((e as DreamLayerError).message).toContain('30 frames');
      }
    }
  });

  it('abort kills ffmpeg and throws CANCELLED', async () => {
    const ac = new AbortController();
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const f of decodeFrames(mkv, { first: 0, last: 29, signal: ac.signal })) {
          got.push(f.index);
          if (f.index === 2) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(got).toEqual([0, 1, 2]);
  });

  it('breaking out early stops cleanly, and a new decode works', async () => {
    for await (const f of decodeFrames(mp4, { first: 0, last: 29 })) if (f.index === 1) break;
    const again = await collect(decodeFrames(mp4, { first: 0, last: 1 }));
    expect(again.map((f) => frameNumberOf(f, 30))).toEqual([0, 1]);
  });

  it('a file that ends early → INPUT_UNREADABLE with the frame reached and ffmpeg output in details', async () => {
    const f = path.join(dir, 'cut.mkv');
    fs.copyFileSync(mkv.path, f);
    const info = await probeMedia(f);
    const bytes = fs.readFileSync(f);
    fs.writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    try {
      await collect(decodeFrames(info, { first: 0, last: 29 }));
      expect.unreachable();
    } catch (e) {
      const err = e as DreamLayerError;
      expect(err.code).toBe('INPUT_UNREADABLE');
      expect(err.message).toContain(f);
      expect(err.frame).toBeGreaterThan(0);
      expect(err.frame).toBeLessThan(30);
      expect(err.details).toBeTruthy(); // ffmpeg's stderr tail
    }
  });

  it('a slow consumer still gets every frame in order (pipe backpressure, no loss)', async () => {
    const got: number[] = [];
    for await (const f of decodeFrames(mkv, { first: 0, last: 29 })) {
      if (f.index % 10 === 0) await new Promise((r) => setTimeout(r, 30));
      got.push(frameNumberOf(f, 30, 0));
    }
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
