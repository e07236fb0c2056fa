import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InstanceSegmenter, instanceInputSize } from '../../../daemon/src/effects/matte/instance-segmenter.ts';
import { detectFamily, familyLayout } from '../../../daemon/src/effects/matte/model-family.ts';
import { familyOfRef, openSegmenter, segmenterFromSession } from '../../../daemon/src/effects/matte/open-segmenter.ts';
import { fullRoi, roiAround } from '../../../daemon/src/effects/matte/plane-ops.ts';
import { maskIou } from '../../../daemon/src/effects/matte/plane-ops.ts';
import { modelSignature, readModelFile } from '../../../daemon/src/onnx/proto.ts';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { sharedModel } from '../../helpers/shared-path.ts';
import { buildFakeMaskRcnn, buildMasklessDetector, buildRedPersonModel, discAlpha, paintFrame } from './synthetic.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'matte-fam-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('family detection by contract', () => {
  it('reads each shelf model as its family', () => {
    const fam = (f: string) => {
      const s = modelSignature(readModelFile(sharedModel(f)));
      return detectFamily(s.inputs, s.outputs);
    };
    expect(fam('segmentation/deeplabv3-mnv2-pascal_513.onnx')).toBe('semantic');
    expect(fam('segmentation/mediapipe-selfie_256.onnx')).toBe('person');
    expect(fam('segmentation/u2netp_320.onnx')).toBe('salient');
  });

  it('reads the Mask R-CNN contract as instance, with its four outputs by role', () => {
    const bytes = buildFakeMaskRcnn([{ x0: 0, y0: 0, x1: 8, y1: 8 }], [1], [0.9]);
    const file = path.join(tmp, 'fake.onnx');
    writeFileSync(file, bytes);
    const s = modelSignature(readModelFile(file));
    expect(detectFamily(s.inputs, s.outputs)).toBe('instance');
    const l = familyLayout('instance', s.inputs, s.outputs, 'fake');
    expect(l.layout).toBe('CHW');
    expect(l.instance).toEqual({ boxes: 'boxes', labels: 'labels', scores: 'scores', masks: 'masks' });
  });

  it('refuses a model with the wrong outputs for its family, naming what is missing', async () => {
    const file = path.join(tmp, 'maskless.onnx');
    writeFileSync(file, buildMasklessDetector());
    const s = modelSignature(readModelFile(file));
    expect(() => familyLayout('instance', s.inputs, s.outputs, 'maskless.onnx')).toThrow(/masks \[n,1,28,28\]|masks \[n,1,h,w\]/);
    // Through the loader: --family instance on it fails with MODEL_CONTRACT before any frame.
    await expect(openSegmenter(file, { family: 'instance', device: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
    // A person model forced into the semantic family, and a 3-channel image output as a salient map.
    const red = await createModelSession(buildRedPersonModel(), 'red', { device: 'cpu' });
    expect(() => segmenterFromSession(red, 'instance')).toThrow(/does not fit the instance matte family/);
    const selfie = modelSignature(readModelFile(sharedModel('segmentation/mediapipe-selfie_256.onnx')));
    const rgbOut = [{ name: 'rgb', type: 'float32', shape: [1, 3, 64, 64] as (number | string | null)[] }];
    expect(() => familyLayout('salient', [{ name: 'x', type: 'float32', shape: [1, 3, 64, 64] }], [{ ...rgbOut[0], shape: [1, 5, 64, 64] }], 'x')).toThrow(/more than 2 channels/);
    expect(familyLayout('person', selfie.inputs, selfie.outputs, 'selfie').layout).toBe('NHWC');
  });

  it('finds the family of catalog ids and refuses a non-segmentation model', async () => {
    expect(await familyOfRef('mediapipe-selfie', 'auto')).toBe('person');
    expect(await familyOfRef('maskrcnn-r50-fpn', 'auto')).toBe('instance');
    await expect(familyOfRef('candy', 'auto')).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
    await expect(familyOfRef('u2netp', 'person')).rejects.toMatchObject({ code: 'PARAM_INVALID' });
  });
});

describe('instance path (Mask R-CNN contract, graph built in code)', () => {
  const W = 160, H = 96;
  const discA = { cx: 50, cy: 50, r: 22, rgb: [230, 40, 40] as [number, number, number] };
  const discB = { cx: 118, cy: 44, r: 16, rgb: [230, 40, 40] as [number, number, number] };
  const frame = paintFrame(W, H, [discA, discB]);

  it('sizes the input like Detectron: short side 800, long side ≤ 1333, padded to /32', () => {
    expect(instanceInputSize(854, 480)).toMatchObject({ rw: 1333, rh: 749, pw: 1344, ph: 768 });
    const s = instanceInputSize(160, 96);
    expect(s.rh).toBe(800);
    expect(s.ph % 32).toBe(0);
    expect(s.pw % 32).toBe(0);
  });

  it('pastes each detection mask into its box at frame resolution (whole frame and a crop)', async () => {
    const { scale } = instanceInputSize(W, H);
    const boxes = [discA, discB].map((d) => ({ x0: (d.cx - d.r - 4) * scale, y0: (d.cy - d.r - 4) * scale, x1: (d.cx + d.r + 4) * scale, y1: (d.cy + d.r + 4) * scale }));
    const session = await createModelSession(buildFakeMaskRcnn(boxes, [1, 3], [0.95, 0.8]), 'fake-maskrcnn', { device: 'cpu' });
    const seg = segmenterFromSession(session, 'auto');
    expect(seg).toBeInstanceOf(InstanceSegmenter);
    const res = await seg.segment(frame, fullRoi(W, H), null);
    expect(res.candidates.map((c) => [c.id, c.label, c.score])).toEqual([[1, 'person', expect.closeTo(0.95, 5)], [2, 'car', expect.closeTo(0.8, 5)]]);
    const truthA = { width: W, height: H, data: discAlpha(W, H, discA) };
    const truthB = { width: W, height: H, data: discAlpha(W, H, discB) };
    expect(maskIou(res.candidates[0].mask, truthA)).toBeGreaterThan(0.85);
    expect(maskIou(res.candidates[1].mask, truthB)).toBeGreaterThan(0.85);
    expect(res.candidates[0].box.x0).toBeCloseTo(discA.cx - discA.r - 4, 3);
    // Class filter, score threshold.
    expect((await seg.segment(frame, fullRoi(W, H), [3])).candidates.map((c) => c.label)).toEqual(['car']);
  });

  it('maps boxes from a crop back to the frame', async () => {
    const roi = roiAround({ x0: 20, y0: 20, x1: 80, y1: 80 }, W, H, 0.1, 4);
    const { scale } = instanceInputSize(roi.width, roi.height);
    const b = { x0: (discA.cx - discA.r - 4 - roi.x) * scale, y0: (discA.cy - discA.r - 4 - roi.y) * scale, x1: (discA.cx + discA.r + 4 - roi.x) * scale, y1: (discA.cy + discA.r + 4 - roi.y) * scale };
    const session = await createModelSession(buildFakeMaskRcnn([b], [1], [0.9]), 'fake-crop', { device: 'cpu' });
    const res = await segmenterFromSession(session, 'instance').segment(frame, roi, null);
    expect(res.candidates).toHaveLength(1);
    expect(res.candidates[0].box.x0).toBeCloseTo(discA.cx - discA.r - 4, 3);
    expect(maskIou(res.candidates[0].mask, { width: W, height: H, data: discAlpha(W, H, discA) })).toBeGreaterThan(0.85);
  });
});
