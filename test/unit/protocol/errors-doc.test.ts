import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, ERROR_CODES } from '../../../shared/src/errors.ts';
import { REPO_ROOT } from '../../helpers/shared-path.ts';

describe('docs/errors.md', () => {
  it('documents every code of the catalogue with its catalogue message and hint', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    for (const code of ERROR_CODES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row).toContain(ERROR_CATALOG[code].message);
      expect(row).toContain(ERROR_CATALOG[code].hint);
    }
  });
});
