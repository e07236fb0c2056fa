import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Image16 } from '../../../daemon/src/core/image.ts';
import { encodePng, readImage } from '../../../daemon/src/io/image-file.ts';
import { encodePng16, filterUp16 } from '../../../daemon/src/io/png16-encode.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-png16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Smooth ramps plus noise in the low byte, the extremes 0 and 65535 included. */
function image(width: number, height: number, channels: 1 | 3 | 4, seed: number): Image16 {
  let s = seed;
  const data = new Uint16Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const px = Math.floor(i / channels);
    data[i] = Math.min(65535, Math.floor(((px % width) / width) * 60000) + (s >>> 24));
  }
  data[0] = 0;
  data[data.length - 1] = 65535;
  return { width, height, channels, data };
}

describe('16-bit PNG encoder', () => {
  for (const channels of [1, 3, 4] as const) {
    for (const level of [0, 3, 9]) {
      it(`${channels} channel(s), level ${level}: libvips reads back exactly the samples written`, async () => {
        const img = image(37, 11, channels, channels * 10 + level);
        const file = path.join(dir, `c${channels}-l${level}.png`);
        writeFileSync(file, await encodePng16(img, { compressionLevel: level }));
        const back = (await readImage(file)) as Image16;
        expect(back.channels).toBe(channels);
        expect([back.width, back.height]).toEqual([37, 11]);
        expect(back.data).toBeInstanceOf(Uint16Array);
        expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(img.data.buffer))).toBe(true);
      });
    }
  }

  it('the Up filter is the byte-wise difference to the row above (independent decode)', () => {
    const img = image(5, 3, 1, 7);
    const f = filterUp16(img);
    const stride = 1 + 10;
    const prev = new Uint8Array(10);
    for (let y = 0; y < 3; y++) {
      expect(f[y * stride]).toBe(2);
      const row = new Uint8Array(10);
      for (let i = 0; i < 10; i++) row[i] = (f[y * stride + 1 + i] + prev[i]) & 255;
      for (let x = 0; x < 5; x++) expect(row[2 * x] * 256 + row[2 * x + 1]).toBe(img.data[y * 5 + x]);
      prev.set(row);
    }
  });

  it('encodePng sends 16-bit images here: IHDR says 16-bit grey and the IDAT inflates to the filtered rows', async () => {
    const img = image(20, 6, 1, 3);
    const png = await encodePng(img, { compressionLevel: 3 });
    expect(png.readUInt32BE(16)).toBe(20);
    expect(png.readUInt32BE(20)).toBe(6);
    expect(png[24]).toBe(16);
    expect(png[25]).toBe(0);
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('latin1')).toBe('IDAT');
    expect(inflateSync(png.subarray(41, 41 + idatLen)).equals(filterUp16(img))).toBe(true);
  });
});
