/**
 * The octave loop: octave sizes; detail carried from octave to octave and the
 * step normalised by the mean |gradient| (checked exactly with a step graph
 * whose gradient is constant); on a real picture with the real MobileNetV2 the
 * objective rises at every octave (plain and guided), also on the
 * GoogLeNet-shaped test network (LRN, MaxPool, Concat); seeded reproducibility.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import type { DreamNetwork } from '../../../daemon/src/effects/dream/dream-gradient.ts';
import { layerTable } from '../../../daemon/src/effects/dream/dream-layers.ts';
import { loadClassifier, openDreamOn, type DreamClassifier } from '../../../daemon/src/effects/dream/dream-network.ts';
import { dreamPlanes, octaveSizes, type DreamSettings, type OctaveTrace } from '../../../daemon/src/effects/dream/dream-octaves.ts';
import { image8ToPlanes } from '../../../daemon/src/effects/dream/planar-ops.ts';
import { readImage, resizeImage } from '../../../daemon/src/io/image-file.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { buildTinyGoogLeNet } from '../../../daemon/src/onnx/test-models.ts';
import { createModelSession, type ModelSession } from '../../../daemon/src/runtime/model-session.ts';
import type { PlanarImage } from '../../../daemon/src/runtime/tiling.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

let mobilenet: DreamClassifier;
let cat: PlanarImage;
let coffee: string;

async function picture(name: string, width: number): Promise<PlanarImage> {
  const src = (await readImage(sharedData(path.join('images', 'content', name)), { bits: 8, channels: 3 })) as Image8;
  return image8ToPlanes(await resizeImage(src, width, Math.round((src.height * width) / src.width / 2) * 2));
}

beforeAll(async () => {
  mobilenet = await loadClassifier(sharedModel('classifier/mobilenet-v2-1.0_224.onnx'));
  cat = await picture('chelsea.png', 112);
  coffee = sharedData(path.join('images', 'content', 'coffee.png'));
});

const SETTINGS: DreamSettings = { octaves: 3, octaveScale: 1.4, iterations: 4, step: 1.5, jitter: 8, seed: 3 };

function expectRisingEveryOctave(trace: OctaveTrace[]): void {
  for (const o of trace) {
    expect(o.objectives).toHaveLength(SETTINGS.iterations);
    expect(o.final!).toBeGreaterThan(o.initial! * 1.05);
  }
}

describe('octave sizes', () => {
  it('shrink by the octave scale, smallest first, ending at the image size, dropping octaves below the minimum', () => {
    expect(octaveSizes(300, 451, 4, 1.4)).toEqual([
      { height: 109, width: 164 },
      { height: 153, width: 230 },
      { height: 214, width: 322 },
      { height: 300, width: 451 },
    ]);
    expect(octaveSizes(40, 60, 5, 2, 16)).toEqual([{ height: 20, width: 30 }, { height: 40, width: 60 }]);
    expect(octaveSizes(40, 60, 1, 2)).toEqual([{ height: 40, width: 60 }]);
  });
});

describe('detail carry and step normalisation (a step graph with a constant gradient)', () => {
  let session: ModelSession;
  let net: DreamNetwork;
  beforeAll(async () => {
    // objective = 0·Σx, gradient = 1 everywhere: each step must add exactly `step` to every pixel.
    const g = new GraphBuilder('constant_gradient', { opset: 13 });
    const x = g.input('x', 'float32', [1, 3, 'H', 'W']);
    g.output(g.node('Mul', [g.node('ReduceSum', [x], { keepdims: 0 }), g.scalar(0)]), 'objective', 'float32', []);
    g.output(g.node('Add', [g.node('Mul', [x, g.scalar(0)]), g.scalar(1)]), 'gradient', 'float32', [1, 3, 'H', 'W']);
    session = await createModelSession(g.encode(), 'constant-gradient', { device: 'cpu' });
    net = { session, inputName: 'x', map: { order: [0, 1, 2], scale: [1 / 128, 1 / 128, 1 / 128], offset: [-1, -1, -1], origin: 'test', summary: 'test' }, align: 1, tile: 4096, overlap: 0 };
  });
  afterAll(async () => {
    await session?.release();
  });

  it('adds step × iterations per octave, and each octave keeps the detail of the ones before (sum over octaves)', async () => {
    const h = 48;
    const w = 64;
    const data = new Float32Array(3 * h * w);
    for (let i = 0; i < data.length; i++) data[i] = 60 + 80 * (0.5 + 0.5 * Math.sin(i * 0.013) * Math.cos(i * 0.0007));
    const trace: OctaveTrace[] = [];
    const out = await dreamPlanes({ data, channels: 3, height: h, width: w }, net, { octaves: 3, octaveScale: 1.5, iterations: 2, step: 1.5, jitter: 5, seed: 1 }, { trace });
    expect(trace.map((t) => [t.width, t.height])).toEqual([[28, 21], [43, 32], [64, 48]]);
    // 3 octaves × 2 iterations × 1.5 levels: without the carried detail only the last octave's 3 levels would remain.
    let worst = 0;
    for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! - (data[i]! + 9)));
    expect(worst).toBeLessThan(1e-3);
  });

  it('clamps to the input range and leaves the picture unchanged with 0 iterations', async () => {
    const data = new Float32Array(3 * 32 * 32).fill(250);
    const out = await dreamPlanes({ data, channels: 3, height: 32, width: 32 }, net, { octaves: 2, octaveScale: 1.4, iterations: 3, step: 2, jitter: 0, seed: 0 });
    expect(Math.max(...out.data)).toBe(255);
    expect(Math.min(...out.data)).toBe(255);
    const same = await dreamPlanes(cat, net, { ...SETTINGS, iterations: 0 });
    expect(same.data).toEqual(cat.data);
  });
});

describe('dreaming on a real picture', () => {
  it('MobileNetV2 (default layer): the objective rises at every octave, the picture changes, and the same seed repeats it', async () => {
    const opened = await openDreamOn(mobilenet, { layers: '', device: 'cpu' });
    try {
      expect(opened.layers).toEqual([{ name: 't113_c' }]);
      const trace: OctaveTrace[] = [];
      const a = await dreamPlanes(cat, opened.net, SETTINGS, { trace, measure: true });
      expect(trace.map((t) => t.width)).toEqual([57, 80, 112]);
      expectRisingEveryOctave(trace);
      let change = 0;
      for (let i = 0; i < a.data.length; i++) change += Math.abs(a.data[i]! - cat.data[i]!);
      expect(change / a.data.length).toBeGreaterThan(3);
      const b = await dreamPlanes(cat, opened.net, SETTINGS);
      expect(b.data).toEqual(a.data);
      const c = await dreamPlanes(cat, opened.net, { ...SETTINGS, seed: 4 });
      expect(c.data).not.toEqual(a.data);
    } finally {
      await opened.dispose();
    }
  });

  it('guided by another picture: the guided objective rises at every octave', async () => {
    const opened = await openDreamOn(mobilenet, { layers: 't90', device: 'cpu', guide: coffee });
    try {
      expect(Object.keys(opened.net.guideFeeds ?? {})).toEqual(['guide_0']);
      expect(opened.net.guideFeeds!.guide_0!.dims[1]).toBe(192);
      const trace: OctaveTrace[] = [];
      await dreamPlanes(cat, opened.net, SETTINGS, { trace, measure: true });
      expectRisingEveryOctave(trace);
    } finally {
      await opened.dispose();
    }
  });

  it('GoogLeNet-shaped network (LRN, MaxPool, Concat): the objective rises at every octave on the default layer', async () => {
    const model = buildTinyGoogLeNet({ width: 2 });
    const tiny: DreamClassifier = { record: { id: 'tiny-googlenet', path: 'tiny-googlenet', sha256: '0'.repeat(64) }, model, table: layerTable(model) };
    const opened = await openDreamOn(tiny, { layers: '', device: 'cpu' });
    try {
      expect(opened.layers).toEqual([{ name: 'inception_3a/output' }]);
      expect(opened.net.align).toBe(8);
      const trace: OctaveTrace[] = [];
      await dreamPlanes(cat, opened.net, SETTINGS, { trace, measure: true });
      expectRisingEveryOctave(trace);
    } finally {
      await opened.dispose();
    }
  });

  it('refuses a layer behind an operator the gradient cannot pass, naming it (and dreams on the layers before it)', async () => {
    const g = new GraphBuilder('with_tanh', { opset: 13 });
    const x = g.input('image', 'float32', [1, 3, 'H', 'W']);
    const conv = g.node('Conv', [x, g.constant(new Float32Array(4 * 3 * 9).fill(0.1), [4, 3, 3, 3]), g.constant([0, 0, 0, 0], [4])], { pads: [1, 1, 1, 1] }, { outputs: ['conv'] });
    const relu = g.node('Relu', [conv], {}, { outputs: ['relu'] });
    g.output(g.node('Tanh', [relu], {}, { outputs: ['squash'] }), 'squash');
    const model = g.build();
    const c: DreamClassifier = { record: { id: 'with-tanh', path: 'with-tanh', sha256: '' }, model, table: layerTable(model) };
    const err = await openDreamOn(c, { layers: 'squash', device: 'cpu' }).catch((e) => e);
    expect(err).toBeInstanceOf(DreamLayerError);
    expect((err as DreamLayerError).code).toBe('MODEL_CONTRACT');
    expect((err as DreamLayerError).message).toContain('Tanh');
    const ok = await openDreamOn(c, { layers: 'relu', device: 'cpu' });
    await ok.dispose();
  });
});
