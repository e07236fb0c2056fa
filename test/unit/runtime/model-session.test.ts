import { describe, expect, it } from 'vitest';
import { createModelSession } from '../../../daemon/src/runtime/model-session.ts';
import { availableProviders, parseDevice, providerCandidates } from '../../../daemon/src/runtime/providers.ts';
import { getSession } from '../../../daemon/src/runtime/session-cache.ts';
import { sharedModel } from '../../helpers/shared-path.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const depth = sharedModel('depth/tcmonodepth-small_192x320.onnx');

describe('providers', () => {
  it('lists cpu and rejects unknown devices with the valid list', () => {
    expect(availableProviders().find((p) => p.name === 'cpu')?.installed).toBe(true);
    expect(providerCandidates('auto').at(-1)).toBe('cpu');
    try {
      parseDevice('gpu0');
      expect.unreachable();
    } catch (e) {
      expect((e as DreamLayerError).code).toBe('PARAM_INVALID');
      expect((e as DreamLayerError).hint).toContain('cuda');
    }
  });

  it('falls back to CPU when CUDA cannot load, and says why', async () => {
    const s = await createModelSession(depth, 'tcmonodepth', { device: 'cuda' });
    expect(s.provider).toBe('cpu');
    expect(s.fallbackReason).toMatch(/cuda/i);
    await expect(createModelSession(depth, 'tcmonodepth', { device: 'cuda', strict: true })).rejects.toMatchObject({ code: 'DEVICE_UNAVAILABLE' });
  });
});

describe('ModelSession feeds', () => {
  it('names the model, the input and the expected shape on a wrong feed', async () => {
    const s = await getSession(depth, { device: 'cpu' });
    expect(s.inputs[0]).toMatchObject({ name: 'input', shape: [1, 3, 192, 320] });
    const bad = { input: { data: new Float32Array(3 * 100 * 100), dims: [1, 3, 100, 100] } };
    await expect(s.run(bad)).rejects.toThrow(/tcmonodepth-small_192x320\.onnx input "input" expects shape \[1,3,192,320\], got \[1,3,100,100\]/);
    await expect(s.run({ image: bad.input })).rejects.toMatchObject({ code: 'MODEL_CONTRACT' });
    const ok = await s.run({ input: { data: new Float32Array(3 * 192 * 320).fill(128), dims: [1, 3, 192, 320] } });
    expect(ok.output.dims).toEqual([1, 1, 192, 320]);
  });

  it('caches one session per file and device', async () => {
    const a = await getSession(depth, { device: 'cpu' });
    const b = await getSession(depth, { device: 'cpu' });
    expect(a).toBe(b);
  });

  it('refuses a file that is not ONNX, a truncated one, and a missing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dl-ms-'));
    const txt = path.join(dir, 'notes.onnx');
    writeFileSync(txt, 'this is not a model\n');
    await expect(getSession(txt)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    const { readFileSync } = await import('node:fs');
    const cut = path.join(dir, 'cut.onnx');
    writeFileSync(cut, readFileSync(depth).subarray(0, 100_000));
    await expect(getSession(cut)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    expect(() => getSession(path.join(dir, 'missing.onnx'))).toThrow(DreamLayerError);
  });
});

describe('fixed-size models', () => {
  it('resizes a frame to the model input and the output back to the frame', async () => {
    const { runResized, fixedInputSize } = await import('../../../daemon/src/runtime/fixed-size.ts');
    const s = await getSession(depth, { device: 'cpu' });
    expect(fixedInputSize(s)).toEqual([192, 320]);
    const h = 90;
    const w = 160;
    const chw = new Float32Array(3 * h * w);
    // near at the bottom: a vertical ramp scene
    for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) chw[c * h * w + y * w + x] = 40 + (200 * y) / h;
    const out = await runResized(s, chw, 3, h, w);
    expect(out.output.dims).toEqual([1, 1, h, w]);
  });
});
