import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWritableDir, isTempNameFor, tempPathFor, writeError, writeFileAtomic } from '../../../daemon/src/io/atomic-file.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = tempDir('atomic');
});

describe('writeFileAtomic', () => {
  it('writes strings and bytes, replaces old content, leaves no temp file', async () => {
    const f = path.join(dir, 'job.json');
    await writeFileAtomic(f, '{"a":1}');
    await writeFileAtomic(f, new Uint8Array([123, 125]));
    expect(fs.readFileSync(f, 'utf8')).toBe('{}');
    expect(fs.readdirSync(dir)).toEqual(['job.json']);
  });

  it('temp names are hidden, end in .tmp and never look like the target', () => {
    const t = tempPathFor(path.join(dir, 'frame_000001.png'));
    expect(path.dirname(t)).toBe(dir);
    expect(path.basename(t)).toMatch(/^\.frame_000001\.png\.\d+-[0-9a-f]+\.tmp$/);
    expect(isTempNameFor('frame_000001.png', path.basename(t))).toBe(true);
    expect(isTempNameFor('frame_000002.png', path.basename(t))).toBe(false);
  });

  it('a path under a regular file → OUTPUT_UNWRITABLE naming the file, and nothing is left behind', async () => {
    const blocker = path.join(dir, 'plain-file');
    fs.writeFileSync(blocker, 'x');
    const f = path.join(blocker, 'out.json');
    const err = await writeFileAtomic(f, 'data').catch((e) => e);
    expect(err).toBeInstanceOf(DreamLayerError);
    expect(err.code).toBe('OUTPUT_UNWRITABLE');
    expect(err.message).toContain(f);
    expect(fs.readFileSync(blocker, 'utf8')).toBe('x');
  });

  it('maps ENOSPC to DISK_FULL and EACCES/EROFS to OUTPUT_UNWRITABLE, naming the target', () => {
    const sys = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
    const full = writeError(sys('ENOSPC'), '/x/frame.png');
    expect([full.code, full.message.includes('/x/frame.png')]).toEqual(['DISK_FULL', true]);
    for (const code of ['EACCES', 'EROFS', 'EPERM']) {
      const e = writeError(sys(code), '/x/frame.png');
      expect([e.code, e.message.includes('/x/frame.png')]).toEqual(['OUTPUT_UNWRITABLE', true]);
    }
  });
});

describe('ensureWritableDir', () => {
  it('creates nested folders and leaves no probe file', async () => {
    const d = path.join(dir, 'a', 'b', 'c');
    await ensureWritableDir(d);
    expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('a folder below a regular file, or a file in place of the folder → OUTPUT_UNWRITABLE naming the folder', async () => {
    const blocker = path.join(dir, 'blocker');
    fs.writeFileSync(blocker, 'x');
    for (const d of [path.join(blocker, 'sub'), blocker]) {
      const err = await ensureWritableDir(d).catch((e) => e);
      expect(err).toBeInstanceOf(DreamLayerError);
      expect(err.code).toBe('OUTPUT_UNWRITABLE');
      expect(err.message).toContain(d);
    }
  });
});
