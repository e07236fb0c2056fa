import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../../daemon/src/cli/commands/models.ts';
import { clearHashCache } from '../../../daemon/src/models/file-hash.ts';
import { entry, styleModelBytes, tempDir } from './fixtures.ts';
import { startFileServer, type FileServer } from './http-fixture.ts';

const MODEL = styleModelBytes({ extraFloats: 50_000, seed: 8 });
const sha = createHash('sha256').update(MODEL).digest('hex');

let server: FileServer;
let t: { dir: string; cleanup: () => void };
let out: string[];
const saved = { models: process.env.DREAMLAYER_MODELS, catalog: process.env.DREAMLAYER_CATALOG };

beforeAll(async () => {
  server = await startFileServer();
  server.routes.set('/good.onnx', { body: MODEL });
});
afterAll(() => server.close());

beforeEach(() => {
  t = tempDir('dl-cli-');
  clearHashCache();
  const catalogFile = path.join(t.dir, 'catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      version: 1,
      models: [
        entry({ id: 'good', urls: [`${server.base}/good.onnx`], sha256: sha, size: MODEL.length, verified: true, checksumSource: 'test', note: undefined, default: true }),
        entry({ id: 'builtin:toon', distribution: 'builtin', file: null, urls: [], note: undefined }),
      ],
    }),
  );
  process.env.DREAMLAYER_MODELS = path.join(t.dir, 'store');
  process.env.DREAMLAYER_CATALOG = catalogFile;
  out = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s).trimEnd()), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const [k, v] of [['DREAMLAYER_MODELS', saved.models], ['DREAMLAYER_CATALOG', saved.catalog]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.cleanup();
});

async function run(...args: string[]): Promise<void> {
  const program = new Command('dreamlayer').exitOverride();
  register(program);
  await program.parseAsync(['node', 'dreamlayer', 'models', ...args]);
}

describe('dreamlayer models', () => {
  it('path prints the store folder (DREAMLAYER_MODELS)', async () => {
    await run('path');
    expect(out).toEqual([path.join(t.dir, 'store')]);
  });

  it('pull --json prints one JSON event per line, then list shows it installed and verify passes', async () => {
    await run('pull', 'good', '--json');
    const events = out.map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'done', status: 'downloaded', verified: true, sha256: sha });
    expect(events.some((e) => e.event === 'progress' && e.phase === 'download')).toBe(true);

    out.length = 0;
    await run('list', '--json');
    const rows = JSON.parse(out.join('\n'));
    expect(rows.find((r: { id: string }) => r.id === 'good')).toMatchObject({ installed: true, verified: true, size: MODEL.length, licence: 'MIT' });

    out.length = 0;
    await run('list');
    expect(out[0]).toMatch(/^ID\s+TASK\s+SIZE\s+INSTALLED\s+VERIFIED\s+LICENCE/);
    expect(out.find((l) => l.startsWith('good *'))).toMatch(/yes\s+yes\s+MIT/);

    out.length = 0;
    await run('verify', 'good');
    expect(out).toEqual(['good: OK (published checksum).']);
  });

  it('add registers a file; verify fails with MODEL_CHECKSUM once the store file is corrupted', async () => {
    const src = path.join(t.dir, 'mine.onnx');
    writeFileSync(src, MODEL);
    await run('add', src, '--task', 'style', '--id', 'mine');
    expect(out.join('\n')).toMatch(/added mine \(style/);
    writeFileSync(path.join(t.dir, 'store', 'local', 'mine.onnx'), styleModelBytes({ seed: 1 }));
    clearHashCache();
    await expect(run('verify')).rejects.toMatchObject({ code: 'MODEL_CHECKSUM', message: expect.stringContaining('mine') });
  });

  it('add refuses a missing --task', async () => {
    await expect(run('add', 'x.onnx')).rejects.toThrow(/--task/);
  });
});
