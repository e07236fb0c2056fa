import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrameSequenceWriter, frameFileName, framePattern } from '../../../daemon/src/io/frame-sequence-writer.ts';
import { findSequenceInDir, matchFrameNumber, parseFramePattern } from '../../../daemon/src/io/frame-pattern.ts';
import { tempPathFor } from '../../../daemon/src/io/atomic-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('seqw');
});

const grey = (v: number) => ({ width: 4, height: 2, channels: 3 as const, data: new Uint8Array(24).fill(v) });

describe('frame patterns', () => {
  it('builds and parses printf patterns', () => {
    expect(framePattern()).toBe('frame_%06d.png');
    expect(framePattern('depth', 4, '.png')).toBe('depth_%04d.png');
    expect(frameFileName('frame_%06d.png', 42)).toBe('frame_000042.png');
    expect(frameFileName('x%d.png', 42)).toBe('x42.png');
    expect(frameFileName('a%%_%03d.png', 1234)).toBe('a%_1234.png');
    expect(matchFrameNumber('frame_%06d.png', 'frame_000042.png')).toBe(42);
    expect(matchFrameNumber('frame_%06d.png', 'frame_42.png')).toBeUndefined();
    expect(matchFrameNumber('frame_%06d.png', '.frame_000042.png.1-ab.tmp')).toBeUndefined();
    expect(() => parseFramePattern('frame.png')).toThrow(DreamLayerError);
    expect(() => parseFramePattern('%d_%d.png')).toThrow(DreamLayerError);
  });

  it('infers padded and unpadded patterns from a folder', () => {
    const a = path.join(dir, 'pad');
    fs.mkdirSync(a);
    for (const n of [998, 999, 1000]) fs.writeFileSync(path.join(a, `img.${String(n).padStart(4, '0')}.tif`), 'x');
    expect(findSequenceInDir(a)).toMatchObject({ pattern: 'img.%04d.tif', numbers: [998, 999, 1000] });
    const b = path.join(dir, 'nopad');
    fs.mkdirSync(b);
    for (const n of [8, 9, 10, 11]) fs.writeFileSync(path.join(b, `${n}.png`), 'x');
    expect(findSequenceInDir(b)).toMatchObject({ pattern: '%d.png', numbers: [8, 9, 10, 11] });
  });
});

describe('FrameSequenceWriter', () => {
  it('writes frames by source index; has/listFinished reflect finished files only', async () => {
    const out = path.join(dir, 'out', 'nested');
    const w = new FrameSequenceWriter(out);
    expect(w.has(120)).toBe(false);
    expect(w.listFinished()).toEqual([]);
    await w.write(120, grey(10));
    await w.write(122, grey(30));
    await w.write(121, grey(20));
    expect(fs.readdirSync(out).sort()).toEqual(['frame_000120.png', 'frame_000121.png', 'frame_000122.png']);
    expect([w.has(120), w.has(121), w.has(123)]).toEqual([true, true, false]);
    expect(w.listFinished()).toEqual([120, 121, 122]);
    expect((await w.read(121)).data[0]).toBe(20);
    const info = await probeMedia(out);
    expect(info.sequence).toMatchObject({ pattern: 'frame_%06d.png', firstNumber: 120 });
  });

  it('an interrupted write (temp written, never renamed) leaves no finished frame, and is cleaned up', async () => {
    const out = path.join(dir, 'crash');
    const w = new FrameSequenceWriter(out, { pattern: 'f_%04d.png' });
    await w.write(1, grey(1));
    // What a kill between write and rename leaves: a temp file with part of a PNG.
    const tmp = tempPathFor(w.pathFor(2));
    fs.writeFileSync(tmp, fs.readFileSync(w.pathFor(1)).subarray(0, 20));
    fs.writeFileSync(path.join(out, 'f_0003.png'), ''); // a zero-byte file is not finished either
    expect(w.has(2)).toBe(false);
    expect(w.has(3)).toBe(false);
    expect(w.listFinished()).toEqual([1]);
    expect((await probeMedia(out)).frameCount).toBe(2); // the temp is not taken for a frame
    expect(w.removeStaleTemps()).toBe(1);
    expect(fs.existsSync(tmp)).toBe(false);
    expect(w.has(1)).toBe(true);
  });

  it('writes 16-bit frames, converting 8-bit input exactly', async () => {
    const out = path.join(dir, 'deep');
    const w = new FrameSequenceWriter(out, { bits: 16, pattern: 'depth_%05d.png' });
    await w.write(0, { width: 2, height: 1, channels: 1, data: new Uint16Array([0, 54321]) });
    await w.write(1, { width: 2, height: 1, channels: 1, data: new Uint8Array([1, 255]) });
    const a = await readImage(w.pathFor(0));
    const b = await readImage(w.pathFor(1));
    expect([a.data instanceof Uint16Array, Array.from(a.data)]).toEqual([true, [0, 54321]]);
    expect(Array.from(b.data)).toEqual([257, 65535]);
  });

  it('an unwritable output folder → OUTPUT_UNWRITABLE naming the folder', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const out = path.join(blocker, 'frames');
    const w = new FrameSequenceWriter(out);
    await expect(w.write(0, grey(0))).rejects.toMatchObject({ code: 'OUTPUT_UNWRITABLE', message: expect.stringContaining(out) });
    expect(w.listFinished()).toEqual([]);
  });
});
