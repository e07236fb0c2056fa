import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../../daemon/src/cli/main.ts';
import { toImage8, type FloatImage } from '../../../daemon/src/core/image.ts';
import { readFlo } from '../../../daemon/src/flow/flo-file.ts';
import { readImage, writePng } from '../../../daemon/src/io/image-file.ts';
import { render, textureFn } from './helpers.ts';

const tmp = fs.mkdtemp(path.join(os.tmpdir(), 'dl-flow-cli-'));
afterAll(async () => fs.rm(await tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function cli(args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const program = await buildProgram();
  program.exitOverride();
  await program.parseAsync(['node', 'dreamlayer', ...args]);
  return out.join('\n');
}

const W = 96, H = 64, fn = textureFn(31);
const frame = (t: number): FloatImage => render(fn, W, H, 3, 2 * t, t); // content moves by (−2, −1) per frame

describe('dreamlayer flow / eval warp-error', () => {
  it('writes the .flo (A→B) and its colour coding', async () => {
    const dir = await tmp;
    const a = path.join(dir, 'a.png'), b = path.join(dir, 'b.png');
    await writePng(a, toImage8(frame(0)));
    await writePng(b, toImage8(frame(1)));
    const flo = path.join(dir, 'ab.flo'), viz = path.join(dir, 'ab.png');
    const text = await cli(['flow', a, b, '-o', flo, '--viz', viz, '--method', 'builtin:medium']);
    expect(text).toMatch(/96x64 flow by builtin:medium/);
    const f = await readFlo(flo);
    // a(x) = T(x) = b(x − (2, 1)): the flow A→B is (−2, −1).
    expect(f.u[30 * W + 48]).toBeCloseTo(-2, 1);
    expect(f.v[30 * W + 48]).toBeCloseTo(-1, 1);
    const png = await readImage(viz);
    expect([png.width, png.height, png.channels]).toEqual([W, H, 3]);
  });

  it('measures the warping error of a result folder against its source sequence', async () => {
    const dir = await tmp;
    const src = path.join(dir, 'src'), res = path.join(dir, 'res');
    await fs.mkdir(src);
    await fs.mkdir(res);
    for (let t = 0; t < 4; t++) {
      await writePng(path.join(src, `src_${String(t).padStart(4, '0')}.png`), toImage8(frame(t)));
      // The "effect" output: the frame itself with ±0.04 flicker.
      const out = frame(t);
      out.data.forEach((v, i) => { out.data[i] = v + (t % 2 ? 0.04 : -0.04); });
      await writePng(path.join(res, `frame_${String(t).padStart(6, '0')}.png`), toImage8(out));
    }
    await fs.writeFile(path.join(res, 'result.json'), JSON.stringify({ pattern: 'frame_%06d.png', frames: { first: 0, last: 3, count: 4 } }));
    const json = JSON.parse(await cli(['eval', 'warp-error', path.join(src, 'src_%04d.png'), res, '--json', '--flow', 'builtin:fast']));
    expect(json.pairs).toBe(3);
    expect(json.flow).toBe('builtin:fast');
    expect(json.warpError).toBeGreaterThan(0.015); // 3 · 0.08² = 0.0192, less 8-bit rounding and flow error
    expect(json.warpError).toBeLessThan(0.025);
    // The default measuring flow: DIS medium without its own forward–backward repair (the metric does that test).
    const byDefault = JSON.parse(await cli(['eval', 'warp-error', path.join(src, 'src_%04d.png'), res, '--json']));
    expect(byDefault.flow).toBe('builtin:medium:one-way');
    expect(byDefault.warpError).toBeGreaterThan(0.015);
    expect(byDefault.warpError).toBeLessThan(0.025);
    await expect(cli(['eval', 'warp-error', path.join(src, 'src_%04d.png'), res, '--json', '--flow', 'builtin:medium:two-way'])).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    expect(json.mean).toHaveLength(3);
    expect(json.borderMean).toHaveLength(3);
    const text = await cli(['eval', 'warp-error', path.join(src, 'src_%04d.png'), res]);
    expect(text).toMatch(/warp error \(Lai et al\.\): 0\.0\d+ over 3 pairs/);
  });

  it('names a result folder without result.json', async () => {
    const dir = await tmp;
    await expect(cli(['eval', 'warp-error', path.join(dir, 'a.png'), path.join(dir, 'nowhere')])).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
