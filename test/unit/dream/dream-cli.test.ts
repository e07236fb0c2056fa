/**
 * `dreamlayer dream` end to end with the real MobileNetV2 at tiny sizes: the
 * layer list (no input, no output needed), a still, the contact sheet (PNG with
 * labels + JSON legend), the infinite zoom into a movie, and refusals.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../daemon/src/cli/main.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

const MODEL = sharedModel('classifier/mobilenet-v2-1.0_224.onnx');
const CAT = sharedData('images/content/chelsea.png');
let dir: string;
let stdout: string[];

async function cli(...args: string[]): Promise<void> {
  const program = await buildProgram();
  program.exitOverride();
  await program.parseAsync(['node', 'dreamlayer', ...args]);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dl-dream-cli-'));
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const TINY = ['--model', MODEL, '--device', 'cpu', '--octaves', '1', '--iterations', '2', '--json'];

describe('dreamlayer dream', () => {
  it('--list-layers prints the layers without an input or an output', async () => {
    stdout.length = 0;
    await cli('dream', '--list-layers', '--model', MODEL, '--json');
    const listed = JSON.parse(stdout.join('').trim());
    expect(listed.default).toEqual([{ name: 't113_c' }]);
    expect(listed.layers.find((l: { name: string }) => l.name === 't90')).toMatchObject({ op: 'Clip', channels: 192, height: 28, stride: 8 });
    stdout.length = 0;
    await cli('dream', '--list-layers', '--model', MODEL);
    expect(stdout.join('')).toMatch(/t113_c\s+Add\s+64×14×14/);
  });

  it('dreams a still into a PNG folder', async () => {
    const out = path.join(dir, 'still');
    await cli('dream', CAT, '-o', out, ...TINY, '--width', '64', '--layers', 't62:2');
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result.extra.dream.layers).toEqual([{ name: 't62', weight: 2 }]);
    expect(existsSync(path.join(out, 'frame_000000.png'))).toBe(true);
  });

  it('--layers-sheet writes a labelled grid and a legend', async () => {
    const sheet = path.join(dir, 'sheet', 'sheet.png');
    await cli('dream', CAT, '-o', sheet, ...TINY, '--width', '64', '--layers-sheet', '--layers', 't58,t70,t90');
    const legend = JSON.parse(readFileSync(sheet.replace(/\.png$/, '.json'), 'utf8'));
    expect(legend.cells.map((c: { layer: string }) => c.layer)).toEqual(['t58', 't70', 't90']);
    const img = (await readImage(sheet)) as Image8;
    expect([img.width, img.height]).toEqual([legend.width, legend.height]);
    const cell = legend.cells[0];
    // The label strip under the first picture holds light text pixels; the pictures differ per layer.
    let light = 0;
    for (let y = cell.y + cell.height; y < cell.y + cell.height + 18; y++) for (let x = cell.x; x < cell.x + cell.width; x++) if (img.data[(y * img.width + x) * 3]! > 200) light++;
    expect(light).toBeGreaterThan(20);
    const pixel = (c: { x: number; y: number }, dx: number, dy: number) => img.data[((c.y + dy) * img.width + c.x + dx) * 3];
    let differ = 0;
    for (let dy = 0; dy < cell.height; dy += 3) for (let dx = 0; dx < cell.width; dx += 3) if (pixel(legend.cells[0], dx, dy) !== pixel(legend.cells[2], dx, dy)) differ++;
    expect(differ).toBeGreaterThan(50);
    for (const c of legend.cells) expect(c.objectiveEnd).toBeGreaterThan(c.objectiveStart * 0.5);
  });

  it('--zoom … --frames-out writes a movie of the zoom', async () => {
    const movie = path.join(dir, 'zoom', 'zoom.mp4');
    await cli('dream', CAT, '-o', movie, ...TINY, '--width', '64', '--height', '48', '--layers', 't62', '--zoom', '1.1', '--frames-out', '3', '--center', '0.4,0.5', '--rotate', '1', '--fps', '12');
    const info = await probeMedia(movie);
    expect([info.width, info.height, info.frameCount]).toEqual([64, 48, 3]);
    const result = JSON.parse(readFileSync(`${movie}.result.json`, 'utf8'));
    expect(result.params).toMatchObject({ zoom: 1.1, framesOut: 3, center: [0.4, 0.5], rotate: 1, reverse: false });
  });

  it('refuses a missing output, half a zoom and a bad centre', async () => {
    await expect(cli('dream', CAT, ...TINY)).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    await expect(cli('dream', CAT, '-o', path.join(dir, 'z2'), ...TINY, '--zoom', '1.1')).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    await expect(cli('dream', CAT, '-o', path.join(dir, 'z3'), ...TINY, '--zoom', '1.1', '--frames-out', '2', '--center', 'middle')).rejects.toMatchObject({ code: 'PARAM_INVALID' });
    await expect(cli('dream', CAT, '-o', path.join(dir, 'sheet.jpg'), ...TINY, '--layers-sheet')).rejects.toMatchObject({ code: 'FORMAT_UNSUPPORTED' });
  });
});
