import { describe, expect, it } from 'vitest';
import type { Image16, Image8 } from '../../../daemon/src/core/image.ts';
import { BuiltinFlowEstimator } from '../../../daemon/src/flow/builtin-flow.ts';
import type { FlowField } from '../../../daemon/src/flow/types.ts';
import { DEPTH_FLOW_OPTIONS, DepthRenderer } from '../../../daemon/src/effects/depth/depth-renderer.ts';
import { DEFAULT_TEMPORAL, filterDepthStep } from '../../../daemon/src/effects/depth/temporal-depth-filter.ts';

const W = 96;
const H = 64;
const SIZE = 16; // object side
const SPEED = 3; // object moves 3 px right per frame
const FRAMES = 12;
const BG_DEPTH = (x: number) => 0.25 + (0.2 * x) / W;
const OBJ_DEPTH = 0.85;

function gauss(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

const objX = (k: number) => 10 + SPEED * k;
const OBJ_Y = 24;
const inObj = (k: number, x: number, y: number) => x >= objX(k) && x < objX(k) + SIZE && y >= OBJ_Y && y < OBJ_Y + SIZE;

/** Textured static background, a bright textured square moving right. */
function luma(k: number): Float32Array {
  const l = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      l[y * W + x] = inObj(k, x, y)
        ? 0.8 + 0.1 * Math.sin((x - objX(k)) / 1.5) * Math.cos((y - OBJ_Y) / 2)
        : 0.35 + 0.12 * Math.sin(x / 2.3) * Math.cos(y / 3.1) + 0.05 * Math.sin((x + 2 * y) / 1.7);
    }
  }
  return l;
}

/** The network's depth of frame k: the true depth plus per-pixel flicker (σ = 0.02) and a global wobble. */
function noisyDepth(k: number, rand: () => number): Float32Array {
  const d = new Float32Array(W * H);
  const wobble = 0.015 * Math.sin(k * 2.1);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = (inObj(k, x, y) ? OBJ_DEPTH : BG_DEPTH(x)) + 0.02 * rand() + wobble;
  return d;
}

/** The exact flow from frame k to frame k−1 (backward form): object pixels came from 3 px to the left. */
function trueFlow(k: number): FlowField {
  const u = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inObj(k, x, y)) u[y * W + x] = -SPEED;
  return { width: W, height: H, u, v: new Float32Array(W * H) };
}

/** Background pixels covered by the object in neither frame, away from the borders. */
const staticBg = (k: number, x: number, y: number) => !inObj(k, x, y) && !inObj(k - 1, x, y) && x > 2 && x < W - 3 && y > 2 && y < H - 3;

interface Scores {
  flickerIn: number;
  flickerOut: number;
  objectErr: number;
  uncoveredErr: number;
}

function score(inputs: Float32Array[], outputs: Float32Array[]): Scores {
  let fin = 0;
  let fout = 0;
  let n = 0;
  let oe = 0;
  let on = 0;
  let ue = 0;
  let un = 0;
  for (let k = 2; k < FRAMES; k++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        if (staticBg(k, x, y)) {
          fin += Math.abs(inputs[k][i] - inputs[k - 1][i]);
          fout += Math.abs(outputs[k][i] - outputs[k - 1][i]);
          n++;
        }
        // Inner object (2 px from its edges): must show the object's depth in the current frame.
        if (x >= objX(k) + 2 && x < objX(k) + SIZE - 2 && y >= OBJ_Y + 2 && y < OBJ_Y + SIZE - 2) {
          oe += Math.abs(outputs[k][i] - OBJ_DEPTH);
          on++;
        }
        // Background the object has just left: must not keep the object's depth (no smear, no lag).
        if (inObj(k - 1, x, y) && !inObj(k, x, y)) {
          ue += Math.abs(outputs[k][i] - BG_DEPTH(x));
          un++;
        }
      }
    }
  }
  return { flickerIn: fin / n, flickerOut: fout / n, objectErr: oe / on, uncoveredErr: ue / un };
}

describe('temporal depth filter', () => {
  it('with the exact flow: static flicker falls, the moving object is neither smeared nor late', () => {
    const rand = gauss(11);
    const inputs: Float32Array[] = [];
    const outputs: Float32Array[] = [];
    let prev: { depth: Float32Array; luma: Float32Array } | null = null;
    for (let k = 0; k < FRAMES; k++) {
      const d = noisyDepth(k, rand);
      const l = luma(k);
      const out: Float32Array = prev ? filterDepthStep(d, l, prev, trueFlow(k), { strength: 0.7, ...DEFAULT_TEMPORAL }).depth : d;
      inputs.push(d);
      outputs.push(out);
      prev = { depth: out, luma: l };
    }
    const s = score(inputs, outputs);
    expect(s.flickerOut).toBeLessThan(s.flickerIn / 2.5);
    expect(s.objectErr).toBeLessThan(0.03);
    expect(s.uncoveredErr).toBeLessThan(0.04);
  });

  it('strength 0 passes the new depth through unchanged', () => {
    const rand = gauss(2);
    const d0 = noisyDepth(0, rand);
    const d1 = noisyDepth(1, rand);
    const out = filterDepthStep(d1, luma(1), { depth: d0, luma: luma(0) }, trueFlow(1), { strength: 0, ...DEFAULT_TEMPORAL }).depth;
    expect(Array.from(out)).toEqual(Array.from(d1));
  });

  for (const [name, flowOpts] of [['the fast preset', { preset: 'fast' as const }], ["the effect's own (no variational refinement)", DEPTH_FLOW_OPTIONS]] as const) it(`through the renderer with the built-in optical flow (${name}), and identically after a resume`, async () => {
    const rand = gauss(5);
    const toImage = (l: Float32Array): Image8 => {
      const data = new Uint8Array(W * H * 3);
      for (let i = 0; i < W * H; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = Math.round(l[i] * 255);
      return { width: W, height: H, channels: 3, data };
    };
    const opts = DepthRenderer.defaults({ width: W, height: H, grid: { width: W, height: H }, upsampling: 'bilinear', temporal: { strength: 0.7, ...DEFAULT_TEMPORAL } });
    const renderer = new DepthRenderer(opts, new BuiltinFlowEstimator(flowOpts));
    const identity = () => ({ lo: 0, hi: 1 });
    const inputs: Float32Array[] = [];
    const outputs: Float32Array[] = [];
    const images: Image16[] = [];
    for (let k = 0; k < FRAMES; k++) {
      const d = noisyDepth(k, rand);
      inputs.push(d);
      const img = (await renderer.render(toImage(luma(k)), Promise.resolve({ width: W, height: H, data: d }), identity)) as Image16;
      images.push(img);
      outputs.push(Float32Array.from(img.data, (v) => v / 65535));
    }
    const s = score(inputs, outputs);
    expect(s.flickerOut).toBeLessThan(s.flickerIn / 1.8);
    expect(s.objectErr).toBeLessThan(0.04);
    expect(s.uncoveredErr).toBeLessThan(0.05);

    // Resume after frame 6: a fresh renderer restored from frame 6's source and written pixels renders frame 7 identically.
    const resumed = new DepthRenderer(opts, new BuiltinFlowEstimator(flowOpts));
    resumed.restore(toImage(luma(6)), images[6]);
    const again = (await resumed.render(toImage(luma(7)), Promise.resolve({ width: W, height: H, data: inputs[7] }), identity)) as Image16;
    expect(Buffer.from(again.data.buffer).equals(Buffer.from(images[7].data.buffer))).toBe(true);
  });
});
