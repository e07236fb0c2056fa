import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ort } from '../../../daemon/src/runtime/ort.ts';
import { buildToonStyle, gaussianKernel, TOON_DEFAULTS, TOON_LUMA, type ToonStyleOptions } from '../../../daemon/src/onnx/builtin-styles.ts';
import { encodeModel, modelSignature } from '../../../daemon/src/onnx/proto.ts';
import { mulberry32 } from '../../../daemon/src/onnx/test-models.ts';
import { REPO_ROOT, sharedData } from '../../helpers/shared-path.ts';

/** Reflect index (edge not repeated), as ONNX Pad mode=reflect. */
const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);

/**
 * Independent float64 implementation of the toon formula documented on buildToonStyle.
 * Returns the output (CHW, px) and, per pixel, the distance of levels·Y to the nearest
 * integer (where float32 rounding may legitimately pick the other level).
 */
function toonReference(x: Float64Array, H: number, W: number, opts: ToonStyleOptions = {}) {
  const o = { ...TOON_DEFAULTS, ...opts };
  const n = H * W;
  let u = x.map((v) => v / 255);
  const k = gaussianKernel(o.smoothSigma);
  const r = (k.length - 1) / 2;
  for (let it = 0; it < o.smoothIterations; it++) {
    const tmp = new Float64Array(3 * n), b = new Float64Array(3 * n);
    for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r]! * u[c * n + y * W + reflect(xx + j, W)]!;
      tmp[c * n + y * W + xx] = s;
    }
    for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      let s = 0;
      for (let j = -r; j <= r; j++) s += k[j + r]! * tmp[c * n + reflect(y + j, H) * W + xx]!;
      b[c * n + y * W + xx] = s;
    }
    const next = new Float64Array(3 * n);
    for (let p = 0; p < n; p++) {
      let e = 0;
      for (let c = 0; c < 3; c++) e += (b[c * n + p]! - u[c * n + p]!) ** 2;
      const w = Math.exp(-e / (2 * o.rangeSigma ** 2));
      for (let c = 0; c < 3; c++) next[c * n + p] = u[c * n + p]! + w * (b[c * n + p]! - u[c * n + p]!);
    }
    u = next;
  }
  const Y = new Float64Array(n);
  for (let p = 0; p < n; p++) Y[p] = TOON_LUMA[0] * u[p]! + TOON_LUMA[1] * u[n + p]! + TOON_LUMA[2] * u[2 * n + p]!;
  const out = new Float64Array(3 * n);
  const levelMargin = new Float64Array(n);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const p = y * W + xx;
    const at = (dy: number, dx: number) => Y[reflect(y + dy, H) * W + reflect(xx + dx, W)]!;
    const gx = -at(-1, -1) + at(-1, 1) - 2 * at(0, -1) + 2 * at(0, 1) - at(1, -1) + at(1, 1);
    const gy = -at(-1, -1) - 2 * at(-1, 0) - at(-1, 1) + at(1, -1) + 2 * at(1, 0) + at(1, 1);
    const g = Math.sqrt(gx * gx + gy * gy);
    const e = 1 / (1 + Math.exp(-o.edgeSharpness * (g - o.edgeThreshold)));
    const t = o.levels * Y[p]!;
    levelMargin[p] = Math.abs(t - Math.round(t));
    const yq = (Math.floor(t) + 0.5) / o.levels;
    for (let c = 0; c < 3; c++) out[c * n + p] = 255 * Math.min(1, Math.max(0, (u[c * n + p]! + yq - Y[p]!) * (1 - o.edgeStrength * e)));
  }
  return { out, levelMargin };
}

async function runToon(x: Float32Array, H: number, W: number, opts?: ToonStyleOptions): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(buildToonStyle(opts)), { logSeverityLevel: 3 });
  const r = await s.run({ input1: new ort.Tensor('float32', x, [1, 3, H, W]) });
  expect(r.output1!.dims).toEqual([1, 3, H, W]);
  return r.output1!.data as Float32Array;
}

describe('buildToonStyle', () => {
  it('has the fast-neural-style contract (input1/output1, [1,3,H,W] px, free H/W)', () => {
    expect(modelSignature(buildToonStyle())).toEqual({
      inputs: [{ name: 'input1', type: 'float32', shape: [1, 3, 'H', 'W'] }],
      outputs: [{ name: 'output1', type: 'float32', shape: [1, 3, 'H', 'W'] }],
    });
  });

  for (const [label, opts] of [['defaults', {}], ['other settings', { levels: 4, smoothSigma: 1.2, smoothIterations: 1, edgeThreshold: 0.2, edgeStrength: 1 }]] as const) {
    it(`matches an independent float64 implementation on a random image (${label})`, async () => {
      const H = 23, W = 31; // odd sizes on purpose
      const rnd = mulberry32(11);
      // Smooth structure (so smoothing and posterisation matter) plus noise and a hard edge.
      const x64 = new Float64Array(3 * H * W);
      for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
        const v = 128 + 80 * Math.sin(xx / 5 + c) * Math.cos(y / 7) + (xx > 15 ? 40 : -40) + 20 * (rnd() - 0.5);
        x64[(c * H + y) * W + xx] = Math.round(Math.min(255, Math.max(0, v)));
      }
      const got = await runToon(Float32Array.from(x64), H, W, opts);
      const { out, levelMargin } = toonReference(x64, H, W, opts);
      let maxErr = 0, ambiguous = 0;
      for (let p = 0; p < H * W; p++) {
        if (levelMargin[p]! < 1e-4) { ambiguous++; continue; } // float32 may round to the neighbouring level here
        for (let c = 0; c < 3; c++) maxErr = Math.max(maxErr, Math.abs(got[c * H * W + p]! - out[c * H * W + p]!));
      }
      expect(ambiguous).toBeLessThan(0.01 * H * W);
      expect(maxErr).toBeLessThan(0.02); // px; measured ≈ 1e-4
      // and it is a real effect: far from the input
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff += Math.abs(got[i]! - x64[i]!);
      expect(diff / got.length).toBeGreaterThan(5);
    });
  }

  it('renders chelsea.png as a toon picture (test-output/toon-chelsea.png): few tones, inked edges, no dark border', async () => {
    const { data, info } = await sharp(sharedData('images/content/chelsea.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const H = info.height, W = info.width, n = H * W;
    const x = new Float32Array(3 * n);
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) x[c * n + p] = data[p * 3 + c]!;
    const y = await runToon(x, H, W);
    const rgb = Buffer.alloc(3 * n);
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(Math.min(255, Math.max(0, y[c * n + p]!)));
    const dir = path.join(REPO_ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'toon-chelsea.png');
    writeFileSync(`${file}.tmp`, await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
    renameSync(`${file}.tmp`, file);

    const luma = (buf: ArrayLike<number>, p: number, planar: boolean) =>
      planar ? 0.299 * buf[p]! + 0.587 * buf[n + p]! + 0.114 * buf[2 * n + p]! : 0.299 * buf[3 * p]! + 0.587 * buf[3 * p + 1]! + 0.114 * buf[3 * p + 2]!;
    // Inked pixels: a few percent of the picture, not none and not most of it.
    let dark = 0, borderDark = 0, border = 0;
    for (let yy = 0; yy < H; yy++) for (let xx = 0; xx < W; xx++) {
      const p = yy * W + xx;
      const isDark = luma(y, p, true) < 0.4 * luma(x, p, true);
      dark += +isDark;
      if (yy < 2 || xx < 2 || yy >= H - 2 || xx >= W - 2) { border++; borderDark += +isDark; }
    }
    expect(dark / n).toBeGreaterThan(0.005);
    expect(dark / n).toBeLessThan(0.2);
    expect(borderDark / border).toBeLessThan(Math.max(2 * (dark / n), 0.02)); // no ink frame around the picture
    // Posterised: away from ink and clipping, the luminance sits on the level centres (k + 0.5)/levels·255.
    const onLevel = (buf: ArrayLike<number>, planar: boolean) => {
      let count = 0;
      for (let p = 0; p < n; p++) {
        const t = (luma(buf, p, planar) / 255) * TOON_DEFAULTS.levels - 0.5;
        count += +(Math.abs(t - Math.round(t)) * (255 / TOON_DEFAULTS.levels) < 1.5);
      }
      return count / n;
    };
    expect(onLevel(y, true)).toBeGreaterThan(0.6);
    expect(onLevel(data, false)).toBeLessThan(0.15); // the photo is not (what a level centre hit looks like by chance)
    // Colours kept: the mean colour moves little.
    for (let c = 0; c < 3; c++) {
      let a = 0, b = 0;
      for (let p = 0; p < n; p++) { a += x[c * n + p]!; b += y[c * n + p]!; }
      expect(Math.abs(a - b) / n).toBeLessThan(25);
    }
  });
});
