/**
 * The layers a dream can target: `--layers` parsing, shapes and strides read
 * off the real MobileNetV2 and the GoogLeNet-shaped test network, default
 * layers, the contact sheet's picks, the pixel ↔ network input maps of the
 * catalog contracts, and the labels' bitmap font.
 */
import { describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { checkLayers, defaultLayers, layerStride, layerTable, parseLayerSpec, sheetLayers } from '../../../daemon/src/effects/dream/dream-layers.ts';
import { ASSUMED_INPUT, dreamInputMap, gradientToPixels, toNetworkInput } from '../../../daemon/src/effects/dream/dream-input.ts';
import { rollPlanes } from '../../../daemon/src/effects/dream/planar-ops.ts';
import { drawText, fitText, glyphPixel, textWidth } from '../../../daemon/src/effects/dream/label-font.ts';
import { formatLayerTable } from '../../../daemon/src/cli/commands/dream.ts';
import { readModelFile } from '../../../daemon/src/onnx/proto.ts';
import { buildTinyGoogLeNet } from '../../../daemon/src/onnx/test-models.ts';
import { sharedModel } from '../../helpers/shared-path.ts';

const mobilenet = layerTable(readModelFile(sharedModel('classifier/mobilenet-v2-1.0_224.onnx')));
const googlenet = layerTable(buildTinyGoogLeNet());

describe('layer list', () => {
  it('parses NAME[:WEIGHT],… including names with slashes and colons-free weights', () => {
    expect(parseLayerSpec('')).toEqual([]);
    expect(parseLayerSpec('inception_4c/output')).toEqual([{ name: 'inception_4c/output' }]);
    expect(parseLayerSpec(' t90:1.5 , t142:-0.25,t113_c ')).toEqual([{ name: 't90', weight: 1.5 }, { name: 't142', weight: -0.25 }, { name: 't113_c' }]);
    expect(() => parseLayerSpec(':2')).toThrow(DreamLayerError);
  });

  it('reads channels, spatial size at 224 and stride from the real MobileNetV2', () => {
    expect(mobilenet.input).toBe('input');
    expect(mobilenet.reference).toEqual([224, 224]);
    const at = (n: string) => mobilenet.layers.find((l) => l.name === n)!;
    expect(at('t62')).toMatchObject({ op: 'Clip', channels: 96, height: 112, width: 112, stride: 2 });
    expect(at('t113_c')).toMatchObject({ op: 'Add', channels: 64, height: 14, width: 14, stride: 16 });
    expect(at('t168')).toMatchObject({ channels: 1280, height: 7, stride: 32 });
    expect(at('t172').height).toBeNull(); // Flatten: no spatial extent
    expect(mobilenet.layers.map((l) => l.depth)).toEqual(mobilenet.layers.map((_, i) => i));
    expect(layerStride(mobilenet, [{ name: 't62' }, { name: 't113_c' }])).toBe(16);
  });

  it('reads the GoogLeNet-shaped network (LRN, MaxPool, Concat) and picks its block outputs', () => {
    const at = (n: string) => googlenet.layers.find((l) => l.name === n)!;
    expect(at('conv2/norm2')).toMatchObject({ op: 'LRN', channels: 24, height: 56, stride: 4 });
    expect(at('inception_3a/output')).toMatchObject({ op: 'Concat', channels: 32, height: 28, stride: 8 });
    expect(defaultLayers(googlenet)).toEqual([{ name: 'inception_3a/output' }]);
    const sheet = sheetLayers(googlenet, 2).map((l) => l.name);
    expect(sheet).toContain('inception_3a/output');
    expect(sheet).toContain('inception_3b/output');
    expect(sheet).toContain('conv2/norm2');
  });

  it('defaults to the classic layers and spreads the contact sheet over the network', () => {
    expect(defaultLayers(mobilenet)).toEqual([{ name: 't113_c' }]);
    const picks = sheetLayers(mobilenet, 2, 24);
    expect(new Set(picks.map((l) => l.stride))).toEqual(new Set([2, 4, 8, 16, 32]));
    expect(picks.every((l) => ['Clip', 'Add'].includes(l.op))).toBe(true);
    expect(sheetLayers(mobilenet, 3, 6)).toHaveLength(6);
    const table = formatLayerTable(mobilenet);
    expect(table).toMatch(/\*\s+63\s+t113_c\s+Add\s+64×14×14\s+16/);
    expect(table.split('\n')).toHaveLength(mobilenet.layers.length + 2);
  });

  it('refuses a layer the model does not have, naming similar ones', () => {
    expect(() => checkLayers(mobilenet, [{ name: 't11' }])).toThrow(/no layer "t11" \(similar: t110_c, t110, /);
    expect(() => checkLayers(mobilenet, [{ name: 't90' }])).not.toThrow();
  });
});

describe('pixels ↔ network input', () => {
  it('follows the catalog contract (TF-slim MobileNetV2 by its shelf checksum, GoogLeNet BGR mean) with the chain rule back', () => {
    const tfslim = dreamInputMap({ id: '/x/mobilenet.onnx', path: '/x', sha256: 'd01aacc67c6e05735438221926733c313dd852e4c341f46fc083a950a8a6bdfc' });
    expect(tfslim.origin).toBe('mobilenet-v2-tfslim');
    const px = Float32Array.of(0, 128, 255, 10, 20, 30);
    expect([...toNetworkInput(px, tfslim)]).toEqual([-1, 0, 127 / 128, 10 / 128 - 1, 20 / 128 - 1, 30 / 128 - 1].map((v) => Math.fround(v)));
    const google = dreamInputMap({ id: 'googlenet', path: '/x', sha256: '0' });
    const x = toNetworkInput(px, google);
    // Planar RGB of two pixels; BGR: network channel 0 is blue (px 20, 30) minus 103.939, channel 2 red.
    expect(x[0]).toBeCloseTo(20 - 103.939, 4);
    expect(x[4]).toBeCloseTo(0 - 123.68, 4);
    // Chain rule: ⟨g, d x/d px · v⟩ = ⟨gradientToPixels(g), v⟩ for a linear map.
    const g = Float32Array.of(0.5, -2, 1, 3, 0.25, -1);
    const v = Float32Array.of(1, 2, 3, 4, 5, 6);
    const lhs = (() => {
      const a = toNetworkInput(v, tfslim);
      const b = toNetworkInput(new Float32Array(6), tfslim);
      return g.reduce((s, gi, i) => s + gi * (a[i]! - b[i]!), 0);
    })();
    const gp = gradientToPixels(g, tfslim);
    expect(gp.reduce((s, gi, i) => s + gi * v[i]!, 0)).toBeCloseTo(lhs, 5);
    expect(dreamInputMap({ id: '/x/unknown.onnx', path: '/x', sha256: '1' })).toBe(ASSUMED_INPUT);
  });

  it('rolls (the jitter) on the way in and back on the way out, like np.roll', () => {
    const w = 7;
    const h = 5;
    const img = { data: Float32Array.from({ length: 3 * w * h }, (_, i) => (i * 37) % 101), channels: 3, height: h, width: w };
    const rolled = rollPlanes(img, 2, -3);
    for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      expect(rolled.data[c * w * h + ((y - 3 + h) % h) * w + ((x + 2) % w)]).toBe(img.data[c * w * h + y * w + x]);
    }
    const google = dreamInputMap({ id: 'googlenet', path: '/x', sha256: '0' });
    for (const [dx, dy] of [[2, -3], [-9, 4], [0, 0]]) {
      expect(toNetworkInput(img.data, google, w, h, dx, dy)).toEqual(toNetworkInput(rollPlanes(img, dx, dy).data, google, w, h));
      expect(gradientToPixels(img.data, google, w, h, dx, dy)).toEqual(rollPlanes({ ...img, data: gradientToPixels(img.data, google, w, h) }, -dx, -dy).data);
    }
  });
});

describe('label font', () => {
  it('draws printable ASCII, measures and fits text', () => {
    expect(glyphPixel(' ', 2, 3)).toBe(false);
    expect(glyphPixel('_', 0, 6)).toBe(true);
    expect(glyphPixel('|', 2, 0)).toBe(true);
    expect(textWidth('abc', 2)).toBe(34);
    expect(fitText('inception_4c/output', 60, 2)).toBe('inc..');
    expect(fitText('t90', 60, 2)).toBe('t90');
    const img = { width: 40, height: 10, channels: 3 as const, data: new Uint8Array(1200) };
    drawText(img, 'T', 0, 0, 1, [255, 255, 255]);
    // 'T': full top row, then the middle column.
    expect([0, 1, 2, 3, 4].map((x) => img.data[x * 3])).toEqual([255, 255, 255, 255, 255]);
    expect(img.data[(6 * 40 + 2) * 3]).toBe(255);
    expect(img.data[(6 * 40 + 0) * 3]).toBe(0);
  });
});
