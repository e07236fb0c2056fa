import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveParams } from '../../../shared/src/params/param-spec.ts';
import { DEPTH } from '../../../shared/src/params/depth.ts';
import type { Image16, Image8, VideoFrame } from '../../../daemon/src/core/image.ts';
import type { EffectSetup, FrameProcessor } from '../../../daemon/src/effects/effect.ts';
import { depthEffect } from '../../../daemon/src/effects/depth/depth-effect.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { encodeModel } from '../../../daemon/src/onnx/proto.ts';
import { buildTinyDepthNet } from '../../../daemon/src/onnx/test-models.ts';
import type { MediaInfo } from '../../../daemon/src/io/probe.ts';
import { clearSessionCache } from '../../../daemon/src/runtime/session-cache.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';

const W = 32;
const H = 24;
const WEIGHTS = [0.5, 0.3, 0.2];
let dir: string;
const models: Record<string, string> = {};

/** depth = (0.5·R + 0.3·G + 0.2·B) / 255 by a 1×1 convolution on a fixed [1,3,24,32] input. */
function weightedSumNet(): Uint8Array {
  const g = new GraphBuilder('weighted_depth');
  const x = g.input('input', 'float32', [1, 3, H, W]);
  const w = g.initializer('w', Float32Array.from(WEIGHTS, (v) => v / 255), [1, 3, 1, 1]);
  g.output(g.node('Conv', [x, w], { kernel_shape: [1, 1] }), 'output', 'float32', [1, 1, H, W]);
  return g.encode();
}

/** A style-like network: a 3-channel image out, which is no depth map. */
function rgbOutNet(): Uint8Array {
  const g = new GraphBuilder('rgb_out');
  const x = g.input('input', 'float32', [1, 3, H, W]);
  g.output(g.node('Identity', [x]), 'output', 'float32', [1, 3, H, W]);
  return g.encode();
}

/** Symbolic channels in and out: only the run shows that the output has 3 channels (the check after inference). */
function sneakyNet(): Uint8Array {
  const g = new GraphBuilder('sneaky');
  const x = g.input('input', 'float32', [1, 'C', 'H', 'W']);
  g.output(g.node('Identity', [x]), 'output', 'float32', [1, 'C', 'H', 'W']);
  return g.encode();
}

function frames(count: number): VideoFrame[] {
  let s = 12345;
  const rnd = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  };
  return Array.from({ length: count }, (_, index) => {
    const data = new Uint8Array(W * H * 3);
    for (let i = 0; i < data.length; i++) data[i] = rnd();
    return { index, image: { width: W, height: H, channels: 3, data } as Image8 };
  });
}

function setupFor(model: string, params: Record<string, unknown>, clip: VideoFrame[]): EffectSetup {
  const res = resolveParams(DEPTH.params, params);
  if (!res.ok) throw new Error(res.problems.join('; '));
  return {
    params: res.params,
    model,
    device: 'cpu',
    source: { fps: { num: 10, den: 1 }, fpsValue: 10, width: W, height: H, frameCount: clip.length } as unknown as MediaInfo,
    range: { first: 0, last: clip.length - 1 },
    width: W,
    height: H,
    log: () => undefined,
    readFrames: async function* (first: number, last: number) {
      for (const f of clip) if (f.index >= first && f.index <= last) yield f;
    },
  };
}

async function render(proc: FrameProcessor, clip: VideoFrame[]): Promise<(Image16 | Image8)[]> {
  const out: (Image16 | Image8)[] = [];
  for (const f of clip) out.push((await proc.process(f)) as Image16 | Image8);
  return out;
}

/** numpy-style percentile of a float64 array. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const r = (p / 100) * (s.length - 1);
  const i = Math.floor(r);
  return i + 1 < s.length ? s[i] + (r - i) * (s[i + 1] - s[i]) : s[i];
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dl-depth-effect-'));
  const write = (name: string, bytes: Uint8Array) => {
    models[name] = path.join(dir, `${name}.onnx`);
    writeFileSync(models[name], bytes);
  };
  write('weighted', weightedSumNet());
  write('rgbout', rgbOutNet());
  write('sneaky', sneakyNet());
  write('tinydepth', encodeModel(buildTinyDepthNet()));
});

afterAll(async () => {
  await clearSessionCache();
  rmSync(dir, { recursive: true, force: true });
});

describe('depth effect output', () => {
  const clip = frames(4);
  // Independent reference: the network's output in float64, from the pixels and the weights.
  const raw = clip.map((f) => Array.from({ length: W * H }, (_, i) => (WEIGHTS[0] * f.image.data[3 * i] + WEIGHTS[1] * f.image.data[3 * i + 1] + WEIGHTS[2] * f.image.data[3 * i + 2]) / 255));
  const pooled = raw.flat();
  const lo = percentile(pooled, 1);
  const hi = percentile(pooled, 99);
  const expected = (r: number, max: number) => Math.round(Math.min(1, Math.max(0, (r - lo) / (hi - lo))) * max);

  it('is 16-bit grey, one clip mapping of the model output, monotonic in it (near = white)', async () => {
    const proc = await depthEffect.create(setupFor(models.weighted, { upsampling: 'bilinear', temporal: 0 }, clip));
    expect(proc.stateful).toBe(false);
    expect(proc.outputSize).toEqual({ width: W, height: H });
    const out = await render(proc, clip);
    let worst = 0;
    for (let k = 0; k < clip.length; k++) {
      const img = out[k];
      expect(img.data).toBeInstanceOf(Uint16Array);
      expect(img.channels).toBe(1);
      for (let i = 0; i < W * H; i++) worst = Math.max(worst, Math.abs(img.data[i] - expected(raw[k][i], 65535)));
    }
    expect(worst).toBeLessThanOrEqual(1); // float32 network vs float64 reference
    // Monotonic over the whole clip: a larger model output (as the network itself computes it) never gets a darker grey.
    const session = await createModelSession(models.weighted, 'weighted', { device: 'cpu' });
    const modelOut: Float32Array[] = [];
    for (const f of clip) {
      const chw = Float32Array.from({ length: 3 * W * H }, (_, j) => f.image.data[3 * (j % (W * H)) + Math.floor(j / (W * H))]);
      modelOut.push((await session.run({ input: { data: chw, dims: [1, 3, H, W] } })).output.data as Float32Array);
    }
    await session.release();
    const pairs = modelOut.flatMap((r, k) => Array.from(r, (v, i) => [v, out[k].data[i]] as const)).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pairs.length; i++) expect(pairs[i][1]).toBeGreaterThanOrEqual(pairs[i - 1][1]);
    expect(pairs[0][1]).toBe(0);
    expect(pairs[pairs.length - 1][1]).toBe(65535);
    // result.json gets the raw range and the mapping, to re-grade the map.
    const extra = proc.extra!() as { depth: { normalization: { mapping: { lo: number; hi: number }; raw: { min: number; max: number } }; output: { bits: number; white: string } } };
    expect(extra.depth.normalization.mapping.lo).toBeCloseTo(lo, 5);
    expect(extra.depth.normalization.mapping.hi).toBeCloseTo(hi, 5);
    expect(extra.depth.normalization.raw.min).toBeCloseTo(Math.min(...pooled), 5);
    expect(extra.depth.output).toMatchObject({ bits: 16, white: 'near' });
  });

  it('--invert makes far white: every code is 65535 minus the plain one', async () => {
    const plain = await render(await depthEffect.create(setupFor(models.weighted, { upsampling: 'bilinear', temporal: 0 }, clip)), clip);
    const inv = await render(await depthEffect.create(setupFor(models.weighted, { upsampling: 'bilinear', temporal: 0, invert: true }, clip)), clip);
    for (let k = 0; k < clip.length; k++) for (let i = 0; i < W * H; i++) expect(inv[k].data[i]).toBe(65535 - plain[k].data[i]);
  });

  it('--bits 8 gives 8-bit grey with the same mapping', async () => {
    const out = await render(await depthEffect.create(setupFor(models.weighted, { upsampling: 'bilinear', temporal: 0, bits: '8' }, clip)), clip);
    expect(out[0].data).toBeInstanceOf(Uint8Array);
    let worst = 0;
    for (let k = 0; k < clip.length; k++) for (let i = 0; i < W * H; i++) worst = Math.max(worst, Math.abs(out[k].data[i] - expected(raw[k][i], 255)));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('runs a TCMonoDepth-contract network at any frame size, with temporal smoothing and resume', async () => {
    const small = frames(3).map((f) => f); // 32×24 frames into a fixed 192×320 network
    const proc = await depthEffect.create(setupFor(models.tinydepth, { temporal: 0.7 }, small));
    expect(proc.stateful).toBe(true);
    const out = await render(proc, small);
    expect(out[2].width).toBe(W);
    expect(out[2].data).toBeInstanceOf(Uint16Array);
    const again = await depthEffect.create(setupFor(models.tinydepth, { temporal: 0.7 }, small));
    await again.restore!({ source: small[1], output: out[1] });
    const resumed = (await again.process(small[2])) as Image16;
    expect(Buffer.from(resumed.data.buffer).equals(Buffer.from((out[2] as Image16).data.buffer))).toBe(true);
  });
});

describe('depth effect with a model that is not a depth network', () => {
  const clip = frames(2);
  it('rejects a model that returns a colour image with MODEL_CONTRACT', async () => {
    await expect(depthEffect.create(setupFor(models.rgbout, {}, clip))).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
  });
  it('rejects a model whose declared output is symbolic but holds 3 channels, at the first run', async () => {
    const err = await depthEffect.create(setupFor(models.sneaky, {}, clip)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_CONTRACT' });
    expect(String((err as Error).message)).toMatch(/not a single-channel depth map/);
  });
});
