import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { hasDecoder } from '../../../daemon/src/io/ffmpeg-binaries.ts';
import { probeMedia, toRational, type MediaInfo } from '../../../daemon/src/io/probe.ts';
import { writePng } from '../../../daemon/src/io/image-file.ts';
import { DreamLayerError, type ErrorCode } from '../../../shared/src/errors.ts';
import { sharedData } from '../../helpers/shared-path.ts';
import { ffmpeg, ffprobeJson, makeAvClip, makeIdentityMkv, makeIdentityMp4, tempDir } from './fixtures.ts';

const DANCE = sharedData('video/dance-twirl_854x480_24fps.mp4');

async function expectError(p: Promise<unknown>, code: ErrorCode, mentions: string): Promise<DreamLayerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DreamLayerError);
    const err = e as DreamLayerError;
    expect(err.code, err.message).toBe(code);
    expect(err.message).toContain(mentions);
    return err;
  }
  throw new Error(`expected ${code}`);
}

/** A minimal QOI image (every pixel as QOI_OP_RGB): a format the bundled ffprobe knows and ffmpeg 4.1 cannot decode. */
function qoi(w: number, h: number): Buffer {
  const head = Buffer.alloc(14);
  head.write('qoif', 0, 'ascii');
  head.writeUInt32BE(w, 4);
  head.writeUInt32BE(h, 8);
  head[12] = 3;
  head[13] = 0;
  const px = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) px.set([0xfe, i % 256, 0, 0], i * 4);
  return Buffer.concat([head, px, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])]);
}

let dir: string;
beforeAll(() => {
  dir = tempDir('probe');
});

describe('probeMedia: movies', () => {
  it('reads the shared dance clip: 90 frames at exactly 24/1, as ffprobe counts them', async () => {
    const info = await probeMedia(DANCE);
    const counted = ffprobeJson(DANCE, ['-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames']).streams[0].nb_read_frames;
    expect(info).toMatchObject<Partial<MediaInfo>>({ kind: 'video', width: 854, height: 480, frameCount: 90, fps: { num: 24, den: 1 }, codec: 'h264', pixelFormat: 'yuv420p', bitDepth: 8, hasAlpha: false, rotation: 0, hasAudio: false });
    expect(info.frameCount).toBe(Number(counted));
    expect(info.fpsValue).toBe(24);
    expect(info.durationSeconds).toBeCloseTo(3.75, 6);
    expect(info.colour.matrix).toBe('bt470bg');
    expect(info.constantFrameRate).toBe(true);
  });

  it('counts packets when the container has no frame count (Matroska) and keeps NTSC rates exact', async () => {
    const mkv = makeIdentityMkv(path.join(dir, 'id.mkv'), 30);
    const a = await probeMedia(mkv);
    expect(a).toMatchObject({ kind: 'video', frameCount: 30, fps: { num: 24, den: 1 }, codec: 'ffv1', width: 64, height: 48 });
    const mp4 = makeIdentityMp4(path.join(dir, 'id.mp4'), 30);
    const b = await probeMedia(mp4);
    expect(b).toMatchObject({ frameCount: 30, fps: { num: 24000, den: 1001 }, colour: { matrix: 'bt709', range: 'tv' } });
    expect(b.fpsValue).toBeCloseTo(23.976, 3);
  });

  it('reports audio, and the displayed size of rotated footage', async () => {
    const av = await probeMedia(makeAvClip(path.join(dir, 'av.mp4'), 0.5));
    expect(av.hasAudio).toBe(true);
    expect(av.audio?.codec).toBe('aac');
    expect(av.frameCount).toBe(12);
    ffmpeg(['-i', path.join(dir, 'id.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path.join(dir, 'rot.mp4')]);
    const rot = await probeMedia(path.join(dir, 'rot.mp4'));
    expect([90, 270]).toContain(rot.rotation);
    expect([rot.width, rot.height]).toEqual([48, 64]);
    expect([rot.codedWidth, rot.codedHeight]).toEqual([64, 48]);
  });
});

describe('probeMedia: stills and sequences', () => {
  it('takes a 16-bit PNG as a one-frame image at 1/1', async () => {
    const f = path.join(dir, 'deep.png');
    await writePng(f, { width: 5, height: 3, channels: 3, data: new Uint16Array(45).fill(40000) });
    const info = await probeMedia(f);
    expect(info).toMatchObject({ kind: 'image', frameCount: 1, fps: { num: 1, den: 1 }, width: 5, height: 3, bitDepth: 16, hasAlpha: false, codec: 'png' });
  });

  it('finds a numbered sequence in a folder, ignoring temp files and strays', async () => {
    const seq = path.join(dir, 'seq');
    fs.mkdirSync(seq);
    for (let n = 7; n < 12; n++) await writePng(path.join(seq, `shot_${String(n).padStart(4, '0')}.png`), { width: 8, height: 6, channels: 4, data: new Uint8Array(8 * 6 * 4).fill(n) });
    fs.writeFileSync(path.join(seq, '.shot_0012.png.123-abcd.tmp'), 'partial');
    fs.writeFileSync(path.join(seq, 'notes.txt'), 'x');
    const info = await probeMedia(seq);
    expect(info.kind).toBe('sequence');
    expect(info.frameCount).toBe(5);
    expect(info.fps).toEqual({ num: 24, den: 1 });
    expect(info.hasAlpha).toBe(true);
    expect(info.sequence).toMatchObject({ dir: seq, pattern: 'shot_%04d.png', firstNumber: 7 });
    expect(info.sequence!.files.map((f) => path.basename(f))).toEqual(['shot_0007.png', 'shot_0008.png', 'shot_0009.png', 'shot_0010.png', 'shot_0011.png']);
    const byPattern = await probeMedia(path.join(seq, 'shot_%04d.png'), { sequenceFps: 23.976 });
    expect(byPattern.frameCount).toBe(5);
    expect(byPattern.fps).toEqual({ num: 24000, den: 1001 });
  });

  it('converts frame rates to exact rationals', () => {
    expect(toRational(25)).toEqual({ num: 25, den: 1 });
    expect(toRational(29.97)).toEqual({ num: 30000, den: 1001 });
    expect(toRational(59.94)).toEqual({ num: 60000, den: 1001 });
    expect(toRational(12.5)).toEqual({ num: 25, den: 2 });
    expect(toRational({ num: 48000, den: 2002 })).toEqual({ num: 24000, den: 1001 });
  });
});

describe('probeMedia: bad inputs', () => {
  it('missing file → INPUT_NOT_FOUND', async () => {
    const f = path.join(dir, 'nope.mp4');
    await expectError(probeMedia(f), 'INPUT_NOT_FOUND', f);
  });

  it('empty file → INPUT_EMPTY', async () => {
    const f = path.join(dir, 'empty.mp4');
    fs.writeFileSync(f, '');
    await expectError(probeMedia(f), 'INPUT_EMPTY', f);
  });

  it('a text file named .mp4 → INPUT_UNREADABLE', async () => {
    const f = path.join(dir, 'text.mp4');
    fs.writeFileSync(f, 'this is not a movie\n'.repeat(50));
    await expectError(probeMedia(f), 'INPUT_UNREADABLE', f);
  });

  it('the real clip cut in half → INPUT_UNREADABLE (truncated), though its header is intact', async () => {
    const f = path.join(dir, 'half.mp4');
    const bytes = fs.readFileSync(DANCE);
    fs.writeFileSync(f, bytes.subarray(0, bytes.length >> 1));
    const err = await expectError(probeMedia(f), 'INPUT_UNREADABLE', f);
    expect(err.message).toMatch(/truncated/);
  });

  it('a movie without a video stream → INPUT_UNREADABLE', async () => {
    const f = path.join(dir, 'tone.m4a');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.2', '-c:a', 'aac', f]);
    const err = await expectError(probeMedia(f), 'INPUT_UNREADABLE', f);
    expect(err.message).toMatch(/no video stream/);
  });

  it('a corrupt PNG → INPUT_UNREADABLE', async () => {
    const f = path.join(dir, 'bad.png');
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).png().toBuffer();
    fs.writeFileSync(f, png.subarray(0, 20));
    await expectError(probeMedia(f), 'INPUT_UNREADABLE', f);
  });

  it.skipIf(hasDecoder('qoi'))('a codec this ffmpeg cannot decode → CODEC_UNSUPPORTED', async () => {
    const f = path.join(dir, 'pic.qoi');
    fs.writeFileSync(f, qoi(4, 4));
    const err = await expectError(probeMedia(f), 'CODEC_UNSUPPORTED', f);
    expect(err.message).toContain('qoi');
  });

  it('an empty folder or a pattern with no frames → INPUT_NOT_FOUND', async () => {
    const empty = path.join(dir, 'nothing');
    fs.mkdirSync(empty);
    await expectError(probeMedia(empty), 'INPUT_NOT_FOUND', empty);
    await expectError(probeMedia(path.join(empty, 'f_%04d.png')), 'INPUT_NOT_FOUND', 'f_%04d.png');
  });
});
