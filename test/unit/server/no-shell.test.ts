/**
 * "No shell is ever invoked with client-provided strings": only io/ may start
 * processes, and nothing in the daemon uses a shell (exec, execSync, shell: true).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/shared-path.ts';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('process spawning', () => {
  it('happens only in daemon/src/io and never through a shell', () => {
    const files = [...sources(path.join(REPO_ROOT, 'daemon', 'src')), ...sources(path.join(REPO_ROOT, 'shared', 'src'))];
    const spawning = files.filter((f) => /from ['"](node:)?child_process['"]/.test(fs.readFileSync(f, 'utf8')));
    for (const f of spawning) expect(path.relative(REPO_ROOT, f).split(path.sep).slice(0, 3).join('/'), f).toBe('daemon/src/io');
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      expect(/shell\s*:\s*true/.test(text), `${f} uses shell: true`).toBe(false);
      expect(/\b(exec|execSync)\s*\(/.test(text.replace(/\.exec\(/g, '')), `${f} uses exec`).toBe(false);
    }
  });
});
