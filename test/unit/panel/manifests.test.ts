import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cepDebugXml, cepManifestXml, networkDomains, uxpManifest, type UxpHost } from '../../../panel/manifests.ts';
import { checkCepManifest, checkUxpManifest } from '../../../panel/manifest-check.ts';
import { buildPanel } from '../../../panel/build.ts';
import { DEFAULT_DAEMON_PORT } from '../../../shared/src/protocol/messages.ts';

const HOSTS: UxpHost[] = ['premierepro', 'aftereffects'];
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('UXP manifests', () => {
  it.each(HOSTS)('%s: valid manifest v5 with the exact loopback origins and fullAccess', (host) => {
    const m = uxpManifest(host);
    expect(checkUxpManifest(m, host, { port: DEFAULT_DAEMON_PORT })).toEqual([]);
    expect(m.requiredPermissions.network.domains).toEqual([`ws://127.0.0.1:${DEFAULT_DAEMON_PORT}`, `http://127.0.0.1:${DEFAULT_DAEMON_PORT}`, `ws://localhost:${DEFAULT_DAEMON_PORT}`, `http://localhost:${DEFAULT_DAEMON_PORT}`]);
    expect(m.host).toEqual(host === 'premierepro' ? { app: 'premierepro', minVersion: '25.6.0' } : { app: 'aftereffects', minVersion: '27.0' });
  });

  it('catches the documented traps', () => {
    const base = uxpManifest('premierepro');
    const bad = (mutate: (m: ReturnType<typeof clone<typeof base>>) => void): string[] => {
      const m = clone(base);
      mutate(m);
      return checkUxpManifest(m, 'premierepro', { port: DEFAULT_DAEMON_PORT });
    };
    expect(bad((m) => (m.requiredPermissions.network.domains = ['all']))).toEqual(expect.arrayContaining([expect.stringMatching(/silently denies/)]));
    expect(bad((m) => ((m.requiredPermissions.network as { domains: unknown }).domains = 'all'))).toEqual([expect.stringMatching(/exact loopback origins/)]);
    expect(bad((m) => (m.requiredPermissions.network.domains = ['ws://127.0.0.1:*']))).toEqual(expect.arrayContaining([expect.stringMatching(/without wildcards/)]));
    expect(bad((m) => (m.requiredPermissions.network.domains = ['https://example.com']))).toEqual(expect.arrayContaining([expect.stringMatching(/not a loopback origin/), expect.stringMatching(/lacks ws:\/\/127\.0\.0\.1/)]));
    expect(bad((m) => ((m.requiredPermissions as { localFileSystem: string }).localFileSystem = 'plugin'))).toEqual([expect.stringMatching(/fullAccess/)]);
    expect(bad((m) => ((m as { host: unknown }).host = [m.host]))).toEqual([expect.stringMatching(/dev-only/)]);
    expect(bad((m) => (m.host.minVersion = '25.2.0'))).toEqual([expect.stringMatching(/at least 25\.6\.0/)]);
    expect(bad((m) => ((m as { manifestVersion: number }).manifestVersion = 4))).toEqual(['manifestVersion must be 5']);
    expect(bad((m) => ((m as unknown as Record<string, unknown>).hosts = []))).toEqual(['unknown top-level key "hosts"']);
    expect(bad((m) => (m.entrypoints = []))).toEqual(['entrypoints must list at least one entry']);
    expect(checkUxpManifest(uxpManifest('premierepro'), 'aftereffects')).toEqual(expect.arrayContaining([expect.stringMatching(/host\.app must be "aftereffects"/)]));
  });

  it('lists another port when the build is asked to', () => {
    expect(networkDomains(5000)).toContain('ws://127.0.0.1:5000');
    expect(checkUxpManifest(uxpManifest('aftereffects', 5000), 'aftereffects', { port: 5000 })).toEqual([]);
  });
});

describe('CEP manifest', () => {
  it('is valid for After Effects 2024–2026 with CSXS 11 and a matching .debug', () => {
    expect(checkCepManifest(cepManifestXml(), cepDebugXml())).toEqual([]);
  });
  it('catches a wrong host range, a missing ScriptPath and a .debug for another extension', () => {
    expect(checkCepManifest(cepManifestXml().replace('[24.0,26.9]', '[25.0,26.9]'), null)).toEqual([expect.stringMatching(/2024 \(24\) to 2026/)]);
    expect(checkCepManifest(cepManifestXml().replace(/<ScriptPath>.*<\/ScriptPath>/, ''), null)).toEqual([expect.stringMatching(/ScriptPath is required/)]);
    expect(checkCepManifest(cepManifestXml(), cepDebugXml().replace('.main"', '.other"'))).toEqual(['.debug must name the same extension id']);
    expect(checkCepManifest(cepManifestXml().replace('Name="CSXS" Version="11.0"', 'Name="CSXS" Version="9.0"'), null)).toEqual([expect.stringMatching(/CSXS 11\.0 or 12\.0/)]);
  });
});

describe('panel build', () => {
  let out: string;
  let inputs: Record<string, string[]>;
  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-panel-build-'));
    ({ inputs } = await buildPanel({ outDir: out, minify: true }));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('writes a loadable folder per target, every referenced file present', () => {
    for (const [target, host] of [['premiere-uxp', 'premierepro'], ['ae-uxp', 'aftereffects']] as const) {
      const dir = path.join(out, target);
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as unknown;
      expect(checkUxpManifest(m, host, { port: DEFAULT_DAEMON_PORT, fileExists: (r) => fs.existsSync(path.join(dir, r)) })).toEqual([]);
      expect(fs.existsSync(path.join(dir, 'icons', 'panel@2x.png'))).toBe(true);
    }
    const cep = path.join(out, 'ae-cep');
    const xml = fs.readFileSync(path.join(cep, 'CSXS', 'manifest.xml'), 'utf8');
    expect(checkCepManifest(xml, fs.readFileSync(path.join(cep, '.debug'), 'utf8'), { fileExists: (r) => fs.existsSync(path.join(cep, r)) })).toEqual([]);
    expect(fs.readFileSync(path.join(out, 'web', 'index.html'), 'utf8')).toContain('id="timeline"');
  });

  it('keeps host modules external and node-only modules out of the bundles', () => {
    const premiere = fs.readFileSync(path.join(out, 'premiere-uxp', 'main.js'), 'utf8');
    // esbuild's require shim (minified name) calls the host's require at run time.
    expect(/[\w$]+\("premierepro"\)/.test(premiere)).toBe(true);
    for (const [target, files] of Object.entries(inputs)) {
      expect(files.some((f) => f.startsWith('shared/src/protocol/')), target).toBe(true); // the real schemas
      const nodeOnly = files.filter((f) => f.startsWith('daemon/') || /node_modules\/(ws|express|sharp|onnxruntime-node|fluent-ffmpeg|commander)\//.test(f));
      expect(nodeOnly, target).toEqual([]);
    }
    // UXP: no CSS grid, no animations or transitions.
    const css = fs.readFileSync(path.join(out, 'premiere-uxp', 'panel.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(/display:\s*grid|transition|animation|@keyframes/.test(css)).toBe(false);
  });
});
