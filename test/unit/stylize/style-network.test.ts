/**
 * The style network's input margin: the frame is mirrored outward before the
 * network runs and the output is cropped back exactly (an identity graph gives
 * the frame back), and a network that darkens its borders (zero-padded box
 * filter) no longer does so inside the crop.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../daemon/src/onnx/graph-builder.ts';
import { encodeModel } from '../../../daemon/src/onnx/proto.ts';
import { getSessionForBytes } from '../../../daemon/src/runtime/session-cache.ts';
import { mirroredInput, runStyleNetwork, STYLE_PAD } from '../../../daemon/src/effects/stylize/style-network.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';

function image(w: number, h: number, channels: 3 | 4, f: (x: number, y: number, c: number) => number): Image8 {
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = f(x, y, c);
  return { width: w, height: h, channels, data };
}

/** Reference mirror by repeated reflection (…2 1 0 1 2 …), written independently of the module. */
function reflectRef(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i > n - 1) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

const identity = () => {
  const g = new GraphBuilder('identity');
  const x = g.input('input1', 'float32', [1, 3, 'H', 'W']);
  g.output(g.node('Identity', [x]), 'output1', 'float32', [1, 3, 'H', 'W']);
  return encodeModel(g.build());
};

/** A 9×9 mean filter with zero padding: its output darkens towards the frame edge. */
const zeroPaddedBlur = () => {
  const g = new GraphBuilder('blur');
  const x = g.input('input1', 'float32', [1, 3, 'H', 'W']);
  const w = new Float32Array(3 * 81);
  for (let c = 0; c < 3; c++) for (let k = 0; k < 81; k++) w[c * 81 + k] = 1 / 81;
  const weight = g.initializer('w', w, [3, 1, 9, 9]);
  g.output(g.node('Conv', [x, weight], { kernel_shape: [9, 9], pads: [4, 4, 4, 4], group: 3 }), 'output1', 'float32', [1, 3, 'H', 'W']);
  return encodeModel(g.build());
};

describe('style network margin', () => {
  it('mirrors the frame outward on every side, then to a multiple of 4', () => {
    for (const [w, h, pad, ch] of [[7, 5, 3, 3], [5, 3, 12, 4], [1, 6, 4, 3], [9, 9, 0, 3]] as const) {
      const img = image(w, h, ch, (x, y, c) => (x * 17 + y * 31 + c * 7) % 256);
      const { data, width, height } = mirroredInput(img, pad);
      expect(width % 4).toBe(0);
      expect(height % 4).toBe(0);
      expect(width).toBeGreaterThanOrEqual(w + 2 * pad);
      expect(height).toBeGreaterThanOrEqual(h + 2 * pad);
      const n = width * height;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const sx = reflectRef(x - pad, w), sy = reflectRef(y - pad, h);
          for (let c = 0; c < 3; c++) expect(data[c * n + y * width + x]).toBe(img.data[(sy * w + sx) * ch + c]);
        }
      }
    }
  });

  it('crops the network output back to exactly the frame', async () => {
    const session = await getSessionForBytes('test:identity-style', identity, { device: 'cpu' });
    const img = image(37, 23, 3, (x, y, c) => (x * 5 + y * 11 + c * 60) % 256);
    const planes = await runStyleNetwork(session, img);
    const n = 37 * 23;
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) expect(planes[c * n + i]).toBe(img.data[3 * i + c]);
  });

  it('keeps a border artefact of the network outside the frame', async () => {
    const session = await getSessionForBytes('test:zero-padded-blur', zeroPaddedBlur, { device: 'cpu' });
    const img = image(40, 24, 3, () => 200);
    const bare = await runStyleNetwork(session, img, 0);
    const margin = await runStyleNetwork(session, img, STYLE_PAD);
    // Without the margin the corner pixel averages 25 of 81 taps: 200 · 25/81.
    expect(bare[0]).toBeCloseTo((200 * 25) / 81, 3);
    for (const v of margin) expect(v).toBeCloseTo(200, 3);
  });
});
