import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeFlo, encodeFlo, readFlo, writeFlo } from '../../../daemon/src/flow/flo-file.ts';
import { sharedData } from '../../helpers/shared-path.ts';

describe('.flo files', () => {
  const flow = { width: 5, height: 3, u: Float32Array.from({ length: 15 }, (_, i) => i * 0.25 - 1), v: Float32Array.from({ length: 15 }, (_, i) => -i * 1.5 + 0.125) };

  it('writes the Middlebury layout byte for byte', () => {
    const bytes = encodeFlo(flow);
    expect(bytes.byteLength).toBe(12 + 8 * 15);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(dv.getFloat32(0, true)).toBe(202021.25);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('PIEH');
    expect(dv.getInt32(4, true)).toBe(5);
    expect(dv.getInt32(8, true)).toBe(3);
    // Pixel (x=2, y=1) is index 7: u then v, interleaved.
    expect(dv.getFloat32(12 + 8 * 7, true)).toBe(flow.u[7]);
    expect(dv.getFloat32(12 + 8 * 7 + 4, true)).toBe(flow.v[7]);
  });

  it('round-trips through a file exactly', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dl-flo-'));
    try {
      const file = path.join(dir, 'f.flo');
      await writeFlo(file, flow);
      const back = await readFlo(file);
      expect(back.width).toBe(5);
      expect(back.height).toBe(3);
      expect(Array.from(back.u)).toEqual(Array.from(flow.u));
      expect(Array.from(back.v)).toEqual(Array.from(flow.v));
      expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the Sintel ground truth (1024x436)', async () => {
    const gt = await readFlo(sharedData('flow/sintel_alley_1/gt/frame_0002.flo'));
    expect([gt.width, gt.height]).toEqual([1024, 436]);
    let mean = 0;
    for (let i = 0; i < gt.u.length; i++) mean += Math.hypot(gt.u[i], gt.v[i]);
    mean /= gt.u.length;
    expect(mean).toBeGreaterThan(2); // README: mean |flow| ≈ 3 px
    expect(mean).toBeLessThan(4);
  });

  it('refuses a wrong tag and a truncated body with INPUT_UNREADABLE', () => {
    const bytes = encodeFlo(flow);
    const bad = bytes.slice();
    bad[0] ^= 0xff;
    expect(() => decodeFlo(bad, 'bad.flo')).toThrow(/bad.flo is not a Middlebury .flo file: its tag/);
    expect(() => decodeFlo(bytes.subarray(0, 40), 'short.flo')).toThrow(expect.objectContaining({ code: 'INPUT_UNREADABLE' }));
  });

  it('names a missing file', async () => {
    await expect(readFlo(path.join(os.tmpdir(), 'no-such-dir-dl', 'x.flo'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
