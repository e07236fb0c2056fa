import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExr, encodeExr, readExr, writeExr } from '../../../daemon/src/io/exr-file.ts';
import { resolveFfmpeg } from '../../../daemon/src/io/ffmpeg-binaries.ts';
import { FrameSequenceWriter } from '../../../daemon/src/io/frame-sequence-writer.ts';
import type { Image16 } from '../../../daemon/src/core/image.ts';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-exr-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A 16-bit image whose samples sweep all levels (odd size: blocks of 16 lines end short, rows are odd). */
function ramp(width: number, height: number, channels: 1 | 3 | 4, step: number): Image16 {
  const data = new Uint16Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * step) % 65536;
  return { width, height, channels, data };
}

/** ffmpeg's own EXR decoder: an independent reader of our files. */
function ffmpegDecode(file: string, pixFmt: 'gray16le' | 'rgb48le' | 'rgba64le'): Uint16Array {
  const out = execFileSync(resolveFfmpeg().ffmpeg, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'], { maxBuffer: 1 << 26 });
  return new Uint16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length));
}

describe('float OpenEXR frames', () => {
  it.each([
    [1, 'gray16le'],
    [3, 'rgb48le'],
    [4, 'rgba64le'],
  ] as const)('%i channel(s): ffmpeg reads back the same levels, and our reader exactly', async (channels, pixFmt) => {
    const img = ramp(37, 21, channels, 977);
    const file = path.join(dir, `ramp${channels}.exr`);
    await writeExr(file, img);
    const viaFfmpeg = ffmpegDecode(file, pixFmt);
    expect(viaFfmpeg.length).toBe(img.data.length);
    let maxDiff = 0;
    for (let i = 0; i < img.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(viaFfmpeg[i] - img.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(1); // ffmpeg rounds float → 16-bit its own way
    expect((await readExr(file)).data).toEqual(img.data);
  });

  it('stores n/65535 as float32 and compresses smooth planes', () => {
    const w = 256;
    const h = 64;
    const data = new Uint16Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x * 256 + y;
    const buf = encodeExr({ width: w, height: h, channels: 1, data });
    expect(buf.length).toBeLessThan(w * h * 4 * 0.5);
    const y = decodeExr(buf).channels.get('Y')!;
    for (let i = 0; i < y.length; i += 97) expect(y[i]).toBe(Math.fround(data[i] / 65535));
  });

  it('refuses a truncated or foreign file with INPUT_UNREADABLE naming it', () => {
    const buf = encodeExr(ramp(40, 40, 3, 31));
    expect(() => decodeExr(buf.subarray(0, buf.length - 100), 'cut.exr')).toThrow(expect.objectContaining({ code: 'INPUT_UNREADABLE', message: expect.stringContaining('cut.exr') }));
    expect(() => decodeExr(Buffer.from('not an exr at all'), 'x.exr')).toThrow(/not an OpenEXR file/);
  });

  it('a frame sequence with an .exr pattern writes and reads EXR frames', async () => {
    const writer = new FrameSequenceWriter(path.join(dir, 'seq'), { pattern: 'frame_%06d.exr' });
    const img = ramp(19, 17, 1, 4099);
    await writer.write(7, img);
    expect(writer.listFinished()).toEqual([7]);
    expect(fs.readFileSync(writer.pathFor(7)).readInt32LE(0)).toBe(20000630);
    expect((await writer.read(7)).data).toEqual(img.data);
  });
});
