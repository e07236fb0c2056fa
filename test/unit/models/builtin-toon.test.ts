import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findModel, loadCatalog } from '../../../daemon/src/models/catalog.ts';
import { checkContract } from '../../../daemon/src/models/check-contract.ts';
import { buildToonStyle } from '../../../daemon/src/onnx/builtin-styles.ts';
import { encodeModel, type ModelProto } from '../../../daemon/src/onnx/proto.ts';
import { tempDir } from './fixtures.ts';

describe('builtin:toon catalog entry', () => {
  it('matches the graph buildToonStyle() makes (task contract and tensor names)', () => {
    const t = tempDir();
    try {
      const f = path.join(t.dir, 'toon.onnx');
      writeFileSync(f, encodeModel(buildToonStyle() as ModelProto));
      const entry = findModel('builtin:toon', loadCatalog())!;
      expect(checkContract(f, 'style', entry).layout).toBe('NCHW');
    } finally {
      t.cleanup();
    }
  });
});
