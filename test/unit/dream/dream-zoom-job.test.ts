/**
 * The infinite-zoom job on a real picture with the real MobileNetV2 (tiny
 * settings): each step dreams on the zoomed previous frame as written; the
 * centre of each new start, shrunk back, matches the previous frame; a job
 * killed midway and run again writes the same frames as an uninterrupted one;
 * --reverse numbers the same frames backwards; bad settings are refused.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { runDreamZoom, type ZoomJobSpec } from '../../../daemon/src/effects/dream/dream-zoom-job.ts';
import { cropPlanes, image8ToPlanes } from '../../../daemon/src/effects/dream/planar-ops.ts';
import { zoomPlanes } from '../../../daemon/src/effects/dream/zoom-frame.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { resizePlanes } from '../../../daemon/src/runtime/resize.ts';
import type { PlanarImage } from '../../../daemon/src/runtime/tiling.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';

let dir: string;
const N = 4;

function spec(out: string, extra: Partial<ZoomJobSpec> = {}): ZoomJobSpec {
  return {
    input: sharedData(path.join('images', 'content', 'chelsea.png')),
    output: { dir: out, format: 'png' },
    model: sharedModel('classifier/mobilenet-v2-1.0_224.onnx'),
    device: 'cpu',
    params: { layers: 't62', width: 80, height: 60, octaves: 1, iterations: 2, step: 3, jitter: 4, seed: 5 },
    zoom: 1.25,
    framesOut: N,
    ...extra,
  };
}

async function frames(out: string): Promise<Uint8Array[]> {
  const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
  return Promise.all(files.map(async (f) => ((await readImage(path.join(out, f))) as Image8).data));
}

function meanAbs(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

let uninterrupted: Uint8Array[];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dl-dream-zoom-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('dream zoom job', () => {
  it('dreams on the zoomed previous frame; the centre of each start shrunk back matches the previous frame', async () => {
    const out = path.join(dir, 'a');
    const starts: PlanarImage[] = [];
    const written: Image8[] = [];
    const result = await runDreamZoom(spec(out), { onStep: (_t, start, img) => (starts.push(start), written.push(img)) });
    expect(result.frames.count).toBe(N);
    expect([result.width, result.height]).toEqual([80, 60]);
    expect(result.pattern).toBe('frame_%06d.png');
    expect(JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')).params.zoom).toBe(1.25);
    uninterrupted = await frames(out);
    expect(uninterrupted).toHaveLength(N);
    for (let t = 1; t < N; t++) {
      const prev = image8ToPlanes(written[t - 1]!);
      // The start of step t is exactly the zoom of what was written for step t − 1 …
      const z = zoomPlanes(prev, { zoom: 1.25, center: [0.5, 0.5], rotate: 0 });
      for (let i = 0; i < z.data.length; i++) z.data[i] = Math.min(255, Math.max(0, z.data[i]!));
      expect(starts[t]!.data).toEqual(z.data);
      // … so its centre, shrunk by the zoom, is the previous frame about the centre (64×48 of 80×60 from (8, 6)).
      const shrunk = resizePlanes(starts[t]!.data, 3, 60, 80, 48, 64, 'bicubic');
      const centre = cropPlanes(prev, 8, 6, 64, 48);
      const off = cropPlanes(prev, 12, 6, 64, 48);
      expect(meanAbs(shrunk, centre.data)).toBeLessThan(0.35 * meanAbs(shrunk, off.data));
      // The dream changed the frame it started from.
      expect(meanAbs(image8ToPlanes(written[t]!).data, starts[t]!.data)).toBeGreaterThan(1);
    }
  });

  it('resumes a job killed midway to the same frames, and --reverse numbers them backwards', async () => {
    const out = path.join(dir, 'b');
    const ac = new AbortController();
    await expect(runDreamZoom(spec(out), { signal: ac.signal, onStep: (t) => t === 1 && ac.abort() })).rejects.toThrow();
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(2);
    const steps: number[] = [];
    await runDreamZoom(spec(out), { onStep: (t) => steps.push(t) });
    expect(steps).toEqual([2, 3]);
    expect(await frames(out)).toEqual(uninterrupted);

    const rev = path.join(dir, 'c');
    await runDreamZoom(spec(rev, { reverse: true }));
    expect(await frames(rev)).toEqual([...uninterrupted].reverse());
  });

  it('refuses bad zoom settings with PARAM_INVALID', async () => {
    for (const bad of [{ zoom: 0.5 }, { framesOut: 0 }, { center: [1.5, 0.5] as [number, number] }, { rotate: 400 }]) {
      const err = await runDreamZoom(spec(path.join(dir, 'bad'), bad)).catch((e) => e);
      expect(err).toBeInstanceOf(DreamLayerError);
      expect((err as DreamLayerError).code).toBe('PARAM_INVALID');
    }
  });
});
