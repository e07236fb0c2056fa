/**
 * Small ONNX models and catalogs for the model-store tests, built in code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder, type Dim } from '../../../daemon/src/onnx/graph-builder.ts';
import type { Catalog, CatalogEntry } from '../../../daemon/src/models/catalog.ts';
import { parseCatalog } from '../../../daemon/src/models/catalog.ts';

/** A 1x1-conv "style" net: NCHW RGB in, `outChannels` out; `extraFloats` pads the file with an unused initializer. */
export function styleModelBytes(opts: { inName?: string; outName?: string; inShape?: Dim[]; outChannels?: number; extraFloats?: number; seed?: number } = {}): Uint8Array {
  const outC = opts.outChannels ?? 3;
  const g = new GraphBuilder('style-test', { opset: 13 });
  const x = g.input(opts.inName ?? 'input1', 'float32', opts.inShape ?? [1, 3, 'H', 'W']);
  const w = new Float32Array(outC * 3);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7 + (opts.seed ?? 1)) % 5) / 5;
  const wt = g.initializer('w', w, [outC, 3, 1, 1]);
  const y = g.node('Conv', [x, wt], { kernel_shape: [1, 1] });
  if (opts.extraFloats) {
    const pad = new Float32Array(opts.extraFloats);
    let s = opts.seed ?? 1;
    for (let i = 0; i < pad.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      pad[i] = s / 2 ** 32;
    }
    g.initializer('padding', pad, [pad.length]);
  }
  g.output(y, opts.outName ?? 'output1', 'float32', [1, outC, 'H', 'W']);
  return g.encode();
}

/** A depth-like net: image in, one-channel map out (declared [N,1,H,W]). */
export function depthModelBytes(): Uint8Array {
  const g = new GraphBuilder('depth-test', { opset: 13 });
  const x = g.input('input', 'float32', [1, 3, 'H', 'W']);
  const y = g.node('ReduceMean', [x], { axes: [1], keepdims: 1 });
  g.output(y, 'output', 'float32', [1, 1, 'H', 'W']);
  return g.encode();
}

export function tempDir(prefix = 'dl-models-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const contract: CatalogEntry['contract'] = {
  inputs: [{ role: 'image', name: 'input1', layout: 'NCHW', colour: 'RGB', range: 'px', size: 'dynamic' }],
  outputs: [{ name: 'output1', meaning: 'stylised image' }],
};

/** A catalog entry with test defaults (a verified style download). */
export function entry(over: Partial<CatalogEntry> & { id: string }): CatalogEntry {
  return {
    task: 'style',
    title: `test ${over.id}`,
    distribution: 'download',
    file: `${over.id}.onnx`,
    urls: ['http://127.0.0.1:9/none'],
    size: null,
    sha256: null,
    verified: false,
    licence: 'MIT',
    source: 'test',
    contract,
    note: 'test entry',
    ...over,
  } as CatalogEntry;
}

/** A validated catalog (the schema runs, so fixtures cannot drift from it). */
export function catalogOf(models: CatalogEntry[]): Catalog {
  return parseCatalog({ version: 1, models }, 'test catalog');
}
