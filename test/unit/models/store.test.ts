import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultStoreDir, readLocalRegistry, resolveStoreDir, updateLocalRegistry } from '../../../daemon/src/models/store.ts';
import { cachedSha256, clearHashCache } from '../../../daemon/src/models/file-hash.ts';
import { tempDir } from './fixtures.ts';

describe('defaultStoreDir', () => {
  it('follows each platform convention', () => {
    expect(defaultStoreDir({}, 'linux', '/home/ada')).toBe('/home/ada/.local/share/dreamlayer/models');
    expect(defaultStoreDir({ XDG_DATA_HOME: '/data/ada' }, 'linux', '/home/ada')).toBe('/data/ada/dreamlayer/models');
    // A relative XDG_DATA_HOME is invalid per the XDG spec and ignored.
    expect(defaultStoreDir({ XDG_DATA_HOME: 'rel/dir' }, 'freebsd', '/home/ada')).toBe('/home/ada/.local/share/dreamlayer/models');
    expect(defaultStoreDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/DreamLayer/models');
    expect(defaultStoreDir({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Local\\DreamLayer\\models');
    expect(defaultStoreDir({}, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Local\\DreamLayer\\models');
  });

  it('DREAMLAYER_MODELS overrides it, an explicit folder overrides both', () => {
    expect(resolveStoreDir(undefined, { DREAMLAYER_MODELS: '/mnt/models' })).toBe(path.resolve('/mnt/models'));
    expect(resolveStoreDir('/x/y', { DREAMLAYER_MODELS: '/mnt/models' })).toBe(path.resolve('/x/y'));
  });
});

describe('local.json', () => {
  let t: { dir: string; cleanup: () => void };
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('is empty when absent, round-trips records, and is written without leftovers', () => {
    expect(readLocalRegistry(t.dir)).toEqual({ version: 1, models: {} });
    const rec = { origin: 'add' as const, task: 'style', file: 'local/a.onnx', sha256: 'a'.repeat(64), size: 3, at: '2025-01-01T00:00:00.000Z' };
    updateLocalRegistry(t.dir, (r) => void (r.models.a = rec));
    expect(readLocalRegistry(t.dir).models.a).toEqual(rec);
    expect(JSON.parse(readFileSync(path.join(t.dir, 'local.json'), 'utf8')).version).toBe(1);
    expect(readdirSync(t.dir).sort()).toEqual(['local', 'local.json']);
  });

  it('a corrupt registry is an error that names the file and the way out', () => {
    writeFileSync(path.join(t.dir, 'local.json'), '{"version": 1, "models": {"a": {"origin": "stolen"}}}');
    expect(() => readLocalRegistry(t.dir)).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('local.json'), hint: expect.stringMatching(/Move/) }));
  });
});

describe('hash cache', () => {
  let t: { dir: string; cleanup: () => void };
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('persists in the store, and a changed file (size or mtime) is hashed again', async () => {
    const f = path.join(t.dir, 'm.onnx');
    writeFileSync(f, 'first version');
    const first = await cachedSha256(f, t.dir);
    expect(first).toBe(createHash('sha256').update('first version').digest('hex'));
    const persisted = JSON.parse(readFileSync(path.join(t.dir, '.sha256-cache.json'), 'utf8'));
    expect(persisted[path.resolve(f)].sha256).toBe(first);

    clearHashCache(); // a new process: the persisted record is used
    writeFileSync(path.join(t.dir, '.sha256-cache.json'), JSON.stringify({ [path.resolve(f)]: { ...persisted[path.resolve(f)], sha256: 'b'.repeat(64) } }));
    expect(await cachedSha256(f, t.dir)).toBe('b'.repeat(64));

    writeFileSync(f, 'second, longer version');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(await cachedSha256(f, t.dir)).toBe(createHash('sha256').update('second, longer version').digest('hex'));
  });
});
