import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Image16, Image8 } from '../../../daemon/src/core/image.ts';
import { encodeJpeg, readImage, resizeImage, writePng } from '../../../daemon/src/io/image-file.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { ffmpegRaw, tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('image');
});

/** Pseudo-random values covering the whole range (a test must be able to fail on any bit). */
function noise16(n: number, seed = 1): Uint16Array {
  const a = new Uint16Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    a[i] = x >>> 16;
  }
  a[0] = 0;
  a[1] = 65535;
  return a;
}

describe('16-bit PNG round trip', () => {
  for (const channels of [1, 3, 4] as const) {
    it(`${channels}-channel 16-bit values come back exactly, and ffmpeg reads the same values`, async () => {
      const img: Image16 = { width: 7, height: 5, channels, data: noise16(7 * 5 * channels, channels) };
      const f = path.join(dir, `rt16-${channels}.png`);
      await writePng(f, img);
      const back = await readImage(f);
      expect(back.data).toBeInstanceOf(Uint16Array);
      expect(back).toMatchObject({ width: 7, height: 5, channels });
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
      // Independent reader: ffmpeg's PNG decoder.
      const fmt = channels === 1 ? 'gray16le' : channels === 3 ? 'rgb48le' : 'rgba64le';
      const raw = ffmpegRaw(f, fmt);
      expect(Array.from(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2))).toEqual(Array.from(img.data));
    });
  }

  it('8-bit gray/RGB/RGBA keep their channels; gray+alpha becomes RGBA', async () => {
    for (const channels of [1, 3, 4] as const) {
      const data = new Uint8Array(6 * 4 * channels).map((_, i) => (i * 37) % 256);
      const f = path.join(dir, `rt8-${channels}.png`);
      await writePng(f, { width: 6, height: 4, channels, data });
      const back = await readImage(f);
      expect(back.data).toBeInstanceOf(Uint8Array);
      expect(back.channels).toBe(channels);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
    const ga = path.join(dir, 'ga.png');
    await sharp(Buffer.from([10, 200, 20, 100]), { raw: { width: 2, height: 1, channels: 2 } }).png().toFile(ga);
    const back = await readImage(ga);
    expect(back.channels).toBe(4);
    expect(Array.from(back.data)).toEqual([10, 10, 10, 200, 20, 20, 20, 100]);
  });

  it('depth conversion on read is exact (8 → 16 is × 257)', async () => {
    const f = path.join(dir, 'to16.png');
    await writePng(f, { width: 3, height: 1, channels: 3, data: new Uint8Array([0, 1, 7, 128, 200, 255, 3, 4, 5]) });
    const wide = await readImage(f, { bits: 16 });
    expect(Array.from(wide.data)).toEqual([0, 1, 7, 128, 200, 255, 3, 4, 5].map((v) => v * 257));
  });
});

describe('writePng is atomic', () => {
  it('leaves no temp file and replaces the previous content', async () => {
    const sub = path.join(dir, 'atomic');
    fs.mkdirSync(sub);
    const f = path.join(sub, 'frame_000001.png');
    await writePng(f, { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(1) });
    await writePng(f, { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(9) });
    expect(fs.readdirSync(sub)).toEqual(['frame_000001.png']);
    expect((await readImage(f)).data[0]).toBe(9);
  });

  it('an unwritable place → OUTPUT_UNWRITABLE naming the file', async () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const f = path.join(blocker, 'frame.png');
    await expect(writePng(f, { width: 1, height: 1, channels: 1, data: new Uint8Array(1) })).rejects.toMatchObject({ code: 'OUTPUT_UNWRITABLE', message: expect.stringContaining(f) });
  });
});

describe('readImage errors', () => {
  it('missing, empty and garbage files get their codes, naming the file', async () => {
    const missing = path.join(dir, 'missing.png');
    await expect(readImage(missing)).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining(missing) });
    const empty = path.join(dir, 'empty.png');
    fs.writeFileSync(empty, '');
    await expect(readImage(empty)).rejects.toMatchObject({ code: 'INPUT_EMPTY', message: expect.stringContaining(empty) });
    const junk = path.join(dir, 'junk.png');
    fs.writeFileSync(junk, 'not a png at all');
    const err = await readImage(junk).catch((e) => e);
    expect(err).toBeInstanceOf(DreamLayerError);
    expect(err).toMatchObject({ code: 'INPUT_UNREADABLE', message: expect.stringContaining(junk) });
  });
});

describe('JPEG previews and resizing', () => {
  it('encodeJpeg makes a JPEG no larger than maxSize, flattening alpha', async () => {
    const img: Image8 = { width: 64, height: 32, channels: 4, data: new Uint8Array(64 * 32 * 4).fill(200) };
    const jpg = await encodeJpeg(img, 80, 16);
    expect(jpg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const meta = await sharp(jpg).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([16, 8, 3]);
    const small = await encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(192) }, 50, 100);
    expect((await sharp(small).metadata()).width).toBe(8);
  });

  it('resizeImage keeps depth and channels; a flat image stays flat; a ramp stays monotonic', async () => {
    const flat16: Image16 = { width: 16, height: 16, channels: 1, data: new Uint16Array(256).fill(40000) };
    const r16 = await resizeImage(flat16, 8, 4);
    expect(r16).toMatchObject({ width: 8, height: 4, channels: 1 });
    expect(r16.data).toBeInstanceOf(Uint16Array);
    expect(new Set(r16.data)).toEqual(new Set([40000]));
    const ramp: Image8 = { width: 32, height: 2, channels: 3, data: new Uint8Array(32 * 2 * 3).map((_, i) => Math.floor(i / 3) % 32 * 8) };
    const r8 = await resizeImage(ramp, 8, 2, 'linear');
    expect(r8).toMatchObject({ width: 8, height: 2, channels: 3 });
    const row = Array.from({ length: 8 }, (_, x) => r8.data[x * 3]);
    for (let x = 1; x < 8; x++) expect(row[x]).toBeGreaterThan(row[x - 1]);
    const rgba: Image8 = { width: 4, height: 4, channels: 4, data: new Uint8Array(64).fill(255) };
    expect((await resizeImage(rgba, 2, 2)).channels).toBe(4);
  });
});
