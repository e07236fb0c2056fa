import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { encodePng } from '../../../daemon/src/io/image-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { writeFileSync } from 'node:fs';
import { sharedData } from '../../helpers/shared-path.ts';

const CLIP = sharedData('video/person-walk_768x432_10fps.mp4');
const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-pick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(gen: AsyncGenerator<{ index: number; image: { data: Uint8Array } }>): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for await (const f of gen) out.set(f.index, Buffer.from(f.image.data));
  return out;
}

describe('decodeFrames pick', () => {
  it('a movie: exactly the picked frames of a full decode, in order, with their indices (trimmed start too)', async () => {
    const info = await probeMedia(CLIP);
    const all = await collect(decodeFrames(info, { first: 3, last: 24, width: 192, height: 108 }));
    const pick = [3, 4, 11, 20, 24];
    const got = await collect(decodeFrames(info, { first: 3, last: 24, width: 192, height: 108, pick }));
    expect([...got.keys()]).toEqual(pick);
    for (const i of pick) expect(got.get(i)!.equals(all.get(i)!)).toBe(true);
  });

  it('an image sequence: only the picked files', async () => {
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `f_${String(i).padStart(3, '0')}.png`), await encodePng({ width: 4, height: 2, channels: 3, data: new Uint8Array(24).fill(i * 40) }));
    const info = await probeMedia(path.join(dir, 'f_%03d.png'), { sequenceFps: 24 });
    const got = await collect(decodeFrames(info, { first: 0, last: 4, pick: [1, 4] }));
    expect([...got.keys()]).toEqual([1, 4]);
    expect(got.get(4)![0]).toBe(160);
  });

  it('refuses picks outside the range or out of order', async () => {
    const info = await probeMedia(CLIP);
    await expect(collect(decodeFrames(info, { first: 3, last: 9, pick: [2, 5] }))).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    await expect(collect(decodeFrames(info, { first: 3, last: 9, pick: [6, 5] }))).rejects.toMatchObject({ code: 'PARAM_INVALID' });
  });
});
