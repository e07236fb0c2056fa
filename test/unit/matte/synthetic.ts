/**
 * Test fixtures for the matte: ONNX graphs built in code that honour the real
 * families' contracts, and small synthetic clips (textured grey ground, coloured
 * discs, an occluding bar).
 */
import type { Image8, VideoFrame } from '../../../daemon/src/core/image.ts';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { MASK_RCNN_MEAN_BGR } from '../../../daemon/src/effects/matte/instance-segmenter.ts';
import type { Box } from '../../../daemon/src/effects/matte/matte-types.ts';

/**
 * A Mask R-CNN stand-in with exactly the zoo contract: input `image` float32 [3,H,W] (BGR minus mean), outputs
 * boxes [n,4], labels int64 [n], scores [n] (constants) and masks [n,1,28,28] = sigmoid(0.1·(R − mean)) pooled
 * over each box by RoiAlign — so a red object inside a box gives a mask of its shape.
 */
export function buildFakeMaskRcnn(boxes: Box[], labels: number[], scores: number[]): Uint8Array {
  const n = boxes.length;
  const g = new GraphBuilder('fake_maskrcnn', { opset: 16 });
  const x = g.input('image', 'float32', [3, 'height', 'width']);
  const x4 = g.node('Unsqueeze', [x, g.int64s([0])]);
  // Channel 2 of BGR is red; the mean is already subtracted by the pre-processing.
  const red = g.node('Slice', [x4, g.int64s([2]), g.int64s([3]), g.int64s([1])]);
  const rois = g.constant(boxes.flatMap((b) => [b.x0, b.y0, b.x1, b.y1]), [n, 4], 'rois');
  const idx = g.initializer('batch_idx', new Array(n).fill(0), [n], 'int64');
  const pooled = g.node('RoiAlign', [red, rois, idx], { output_height: 28, output_width: 28, sampling_ratio: 2, spatial_scale: 1.0, mode: 'avg' });
  const masks = g.node('Sigmoid', [g.node('Mul', [pooled, g.scalar(0.1)])]);
  g.output(g.node('Identity', [rois]), 'boxes', 'float32', [n, 4]);
  g.output(g.node('Identity', [g.initializer('labels_c', labels, [n], 'int64')]), 'labels', 'int64', [n]);
  g.output(g.node('Identity', [g.constant(scores, [n], 'scores_c')]), 'scores', 'float32', [n]);
  g.output(masks, 'masks', 'float32', [n, 1, 28, 28]);
  return g.encode();
}

/** Mask R-CNN-like, but without the masks output (a model with the wrong outputs for the instance family). */
export function buildMasklessDetector(): Uint8Array {
  const g = new GraphBuilder('maskless', { opset: 16 });
  const x = g.input('image', 'float32', [3, 'height', 'width']);
  const s = g.node('ReduceMean', [x], { keepdims: 0 });
  g.output(g.node('Identity', [g.constant([0, 0, 10, 10], [1, 4], 'b')]), 'boxes', 'float32', [1, 4]);
  g.output(g.node('Identity', [g.initializer('l', [1], [1], 'int64')]), 'labels', 'int64', [1]);
  g.output(g.node('Reshape', [s, g.int64s([1])]), 'scores', 'float32', [1]);
  return g.encode();
}

/** A "person" model (NHWC, RGB 0–1): probability = sigmoid(40·(R − max(G, B) − 0.3)), i.e. red things. */
export function buildRedPersonModel(): Uint8Array {
  const g = new GraphBuilder('red_person', { opset: 16 });
  const x = g.input('input_1', 'float32', [1, 'H', 'W', 3]);
  const ch = (c: number) => g.node('Slice', [x, g.int64s([c]), g.int64s([c + 1]), g.int64s([3])]);
  const r = ch(0), gg = ch(1), b = ch(2);
  const d = g.node('Sub', [g.node('Sub', [r, g.node('Max', [gg, b])]), g.scalar(0.3)]);
  g.output(g.node('Sigmoid', [g.node('Mul', [d, g.scalar(40)])]), 'prob', 'float32', [1, 'H', 'W', 1]);
  return g.encode();
}

export const MEAN_BGR = MASK_RCNN_MEAN_BGR;

/** Deterministic pseudo-random bytes. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface Disc {
  cx: number;
  cy: number;
  r: number;
  rgb: [number, number, number];
}

/** A textured grey frame (texture gives the optical flow something to hold on to) with discs and bars painted in order. */
export function paintFrame(w: number, h: number, discs: Disc[], bars: Box[] = [], seed = 7, noise = 0): Image8 {
  const data = new Uint8Array(w * h * 3);
  const rnd = rng(seed);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Static texture: a function of position only.
      const t = 100 + 30 * Math.sin(x * 0.7) * Math.cos(y * 0.5) + 15 * Math.sin((x + 2 * y) * 0.31);
      const i = (y * w + x) * 3;
      data[i] = data[i + 1] = data[i + 2] = Math.round(t);
    }
  }
  for (const d of discs) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Anti-aliased edge: coverage of the pixel by the disc.
        const dist = Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy) - d.r;
        const a = Math.max(0, Math.min(1, 0.5 - dist));
        if (a <= 0) continue;
        const i = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) data[i + c] = Math.round(a * d.rgb[c] + (1 - a) * data[i + c]);
      }
    }
  }
  for (const b of bars) {
    for (let y = Math.max(0, Math.floor(b.y0)); y < Math.min(h, Math.ceil(b.y1)); y++) {
      for (let x = Math.max(0, Math.floor(b.x0)); x < Math.min(w, Math.ceil(b.x1)); x++) {
        const i = (y * w + x) * 3;
        const v = 70 + ((x * 7 + y * 3) % 11) * 6;
        data[i] = data[i + 1] = data[i + 2] = v;
      }
    }
  }
  if (noise > 0) {
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i] + (rnd() - 0.5) * 2 * noise)));
  }
  return { width: w, height: h, channels: 3, data };
}

/** The true coverage (0..1) of a disc, for ground truth. */
export function discAlpha(w: number, h: number, d: Disc): Float32Array {
  const a = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[y * w + x] = Math.max(0, Math.min(1, 0.5 - (Math.hypot(x + 0.5 - d.cx, y + 0.5 - d.cy) - d.r)));
  return a;
}

export function asFrames(images: Image8[]): VideoFrame[] {
  return images.map((image, index) => ({ index, image }));
}
