import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelFor, findModel, listModels, loadCatalog, MODEL_TASKS, parseCatalog } from '../../../daemon/src/models/catalog.ts';
import { checkContract } from '../../../daemon/src/models/check-contract.ts';
import { SHARED, sharedModel } from '../../helpers/shared-path.ts';
import { entry } from './fixtures.ts';

const catalog = loadCatalog();
const shelfSums = new Map<string, string>();
const sumsFile = path.join(SHARED, 'models', 'SHA256SUMS');
if (existsSync(sumsFile)) {
  for (const line of readFileSync(sumsFile, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?\.?\/?(.+)$/.exec(line.trim());
    if (m) shelfSums.set(m[2], m[1]);
  }
}

describe('models/catalog.json', () => {
  it('parses against the schema and covers every task with a default', () => {
    expect(catalog.models.length).toBeGreaterThanOrEqual(20);
    for (const task of MODEL_TASKS) {
      expect(listModels({ task, catalog }).length, task).toBeGreaterThan(0);
      expect(defaultModelFor(task, catalog), `default for ${task}`).toBeDefined();
    }
    expect(findModel('builtin:toon', catalog)?.distribution).toBe('builtin');
    expect(defaultModelFor('style', catalog)?.id).toBe('builtin:toon');
  });

  it('every entry has a licence, a source, a contract, and a url unless it is manual or built in', () => {
    for (const m of catalog.models) {
      expect(m.licence.length, m.id).toBeGreaterThan(0);
      expect(m.source.length, m.id).toBeGreaterThan(0);
      expect(m.contract.inputs.length, m.id).toBeGreaterThan(0);
      expect(m.contract.outputs.length, m.id).toBeGreaterThan(0);
      if (m.distribution === 'download') {
        expect(m.urls.length, m.id).toBeGreaterThan(0);
        for (const u of m.urls) expect(u, m.id).toMatch(/^https:\/\//);
      } else {
        expect(m.urls, m.id).toEqual([]);
      }
    }
  });

  it('sha256 is 64 hex or null; null means verified=false with a note; verified names its source', () => {
    for (const m of catalog.models) {
      if (m.sha256 === null) {
        expect(m.verified, m.id).toBe(false);
        if (m.distribution !== 'builtin') expect(m.note, m.id).toBeTruthy();
      } else {
        expect(m.sha256, m.id).toMatch(/^[0-9a-f]{64}$/);
      }
      if (m.verified) {
        expect(m.checksumSource, m.id).toBeTruthy();
        expect(m.size, m.id).toBeGreaterThan(0);
      }
    }
    // Checksums copied by hand: no two different files may share one.
    const shas = catalog.models.map((m) => m.sha256).filter(Boolean);
    expect(new Set(shas).size).toBe(shas.length);
  });

  it('the ONNX Model Zoo checksums are the ones read from onnx/models (spot check)', () => {
    expect(findModel('udnie', catalog)?.sha256).toBe('8656b6ce7dec8f22ee13c2d557d6b67bd6f550dde88d0f2e7c9972aeb765cc0d');
    expect(findModel('maskrcnn-r50-fpn', catalog)?.size).toBe(177970010);
  });

  it.skipIf(shelfSums.size === 0)('shelfSha256 values equal ../shared/models/SHA256SUMS', () => {
    const withShelf = catalog.models.filter((m) => m.shelfPath);
    expect(withShelf.length).toBeGreaterThan(10);
    for (const m of withShelf) expect(m.shelfSha256, m.id).toBe(shelfSums.get(m.shelfPath!));
  });

  it.skipIf(!existsSync(sharedModel('segmentation/u2netp_320.onnx')))('u2netp: the shelf copy has the MD5 rembg publishes, so its SHA-256 is the upstream one', () => {
    const m = findModel('u2netp', catalog)!;
    const bytes = readFileSync(sharedModel('segmentation/u2netp_320.onnx'));
    expect(createHash('md5').update(bytes).digest('hex')).toBe(m.md5);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
    expect(bytes.length).toBe(m.size);
  });

  it.skipIf(!existsSync(SHARED))('every shelf copy satisfies its task contract and the tensor names its entry promises', () => {
    let n = 0;
    for (const m of catalog.models.filter((e) => e.shelfPath)) {
      const file = sharedModel(m.shelfPath!);
      if (!existsSync(file)) continue;
      // The mediapipe shelf copy is another conversion (the entry's names are null anyway).
      const report = checkContract(file, m.task, m);
      expect(report.inputs.length, m.id).toBeGreaterThan(0);
      n++;
    }
    expect(n).toBeGreaterThan(10);
    expect(checkContract(sharedModel('segmentation/mediapipe-selfie_256.onnx'), 'segmentation-person').layout).toBe('NHWC');
  });
});

describe('catalog schema rejects', () => {
  const bad = (models: unknown[]) => () => parseCatalog({ version: 1, models }, 'bad');
  it('a verified entry without a checksum', () => {
    expect(bad([entry({ id: 'a', verified: true, checksumSource: 'x' })])).toThrow(/verified/);
  });
  it('a malformed sha256', () => {
    expect(bad([entry({ id: 'a', sha256: 'ABC' })])).toThrow(/sha256/);
  });
  it('an entry without sha256 and without a note', () => {
    expect(bad([entry({ id: 'a', note: undefined })])).toThrow(/note/);
  });
  it('a download entry without urls, duplicate ids, two defaults of a task', () => {
    expect(bad([entry({ id: 'a', urls: [] })])).toThrow(/urls/);
    expect(bad([entry({ id: 'a' }), entry({ id: 'a', file: 'b.onnx' })])).toThrow(/duplicate id/);
    expect(bad([entry({ id: 'a', default: true }), entry({ id: 'b', default: true })])).toThrow(/two defaults/);
  });
  it('an unknown field (typo) and an unknown task', () => {
    expect(bad([{ ...entry({ id: 'a' }), licens: 'MIT' }])).toThrow(/licens/);
    expect(bad([entry({ id: 'a', task: 'pose' as never })])).toThrow(/task/);
  });
});
