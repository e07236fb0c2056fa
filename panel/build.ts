/**
 * Builds the panel for every target into panel/dist/<target>:
 *   premiere-uxp  UXP plugin folder for Premiere Pro (manifest.json, host premierepro)
 *   ae-uxp        UXP plugin folder for After Effects (manifest.json, host aftereffects)
 *   ae-cep        CEP extension folder for After Effects (CSXS/manifest.xml, .debug, jsx/)
 *   web           the browser build the daemon serves at `/`
 *
 * `npm run panel:build` runs it (also `-- --port N` to list another daemon port
 * in the UXP manifests). The daemon calls `ensurePanelBuilt()` so a fresh
 * clone serves a current web build without a separate step.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_DAEMON_PORT } from '../shared/src/protocol/messages.ts';
import { cepDebugXml, cepManifestXml, uxpManifest, type UxpHost } from './manifests.ts';
import { checkCepManifest, checkUxpManifest } from './manifest-check.ts';

const PANEL_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(PANEL_DIR, '..');
export const PANEL_DIST = path.join(PANEL_DIR, 'dist');

export type PanelTarget = 'premiere-uxp' | 'ae-uxp' | 'ae-cep' | 'web';
export const PANEL_TARGETS: readonly PanelTarget[] = ['premiere-uxp', 'ae-uxp', 'ae-cep', 'web'];

const ENTRY: Record<PanelTarget, string> = {
  'premiere-uxp': 'src/entries/premiere-uxp.ts',
  'ae-uxp': 'src/entries/ae-uxp.ts',
  'ae-cep': 'src/entries/ae-cep.ts',
  web: 'src/entries/web.ts',
};
const UXP_HOST: Partial<Record<PanelTarget, UxpHost>> = { 'premiere-uxp': 'premierepro', 'ae-uxp': 'aftereffects' };

/** Folder of the browser build (what the daemon serves at `/`). */
export function panelWebDir(outDir: string = PANEL_DIST): string {
  return path.join(outDir, 'web');
}

export interface BuildOptions {
  outDir?: string;
  targets?: readonly PanelTarget[];
  /** Daemon port listed in the UXP manifests' network.domains. */
  port?: number;
  minify?: boolean;
}

export interface BuildResult {
  dirs: Record<string, string>;
  /** Source files bundled into each target (esbuild metafile), relative to the repository. */
  inputs: Record<string, string[]>;
}

// ------------------------------------------------------------------ icons

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** The DreamLayer icon (a blue-to-violet disc on transparent), drawn here so no binary lives in git. */
export function iconPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const r0 = size / 2 - 0.5;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const dx = x - r0;
      const dy = y - r0;
      const d = Math.sqrt(dx * dx + dy * dy);
      const a = Math.max(0, Math.min(1, size / 2 - d));
      const t = (x + y) / (2 * size);
      const ring = d < size * 0.22 ? 0.55 : 1;
      row.writeUInt8(Math.round((38 + 110 * t) * ring), 1 + x * 4);
      row.writeUInt8(Math.round((128 - 60 * t) * ring), 2 + x * 4);
      row.writeUInt8(Math.round(235 * ring), 3 + x * 4);
      row.writeUInt8(Math.round(255 * a), 4 + x * 4);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

// ------------------------------------------------------------------ build

function writeAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function writeIcons(dir: string): void {
  // UXP picks @2x files by suffix; CEP uses the plain one.
  for (const [name, size] of [['panel', 23], ['plugin', 48]] as const) {
    writeAtomic(path.join(dir, 'icons', `${name}.png`), iconPng(size));
    writeAtomic(path.join(dir, 'icons', `${name}@2x.png`), iconPng(size * 2));
  }
}

/**
 * Replaces `dir` with the finished `staging` folder, so a daemon serving the old
 * one never sees a half-written build. Two processes may build at once (the
 * daemon's background build and a test): the loser of the rename race keeps the
 * winner's (equally fresh) build.
 */
function swapIn(staging: string, dir: string): void {
  for (let attempt = 0; ; attempt++) {
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(staging, dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!['ENOTEMPTY', 'EEXIST', 'EPERM', 'EBUSY'].includes(code ?? '')) throw e;
      if (attempt >= 2) {
        fs.rmSync(staging, { recursive: true, force: true });
        if (fs.existsSync(path.join(dir, '.build-stamp'))) return;
        throw e;
      }
    }
  }
}

async function buildTarget(target: PanelTarget, outDir: string, opts: Required<Pick<BuildOptions, 'port' | 'minify'>>): Promise<{ dir: string; inputs: string[] }> {
  const { build } = await import('esbuild');
  const dir = path.join(outDir, target);
  const staging = `${dir}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const built = await build({
    absWorkingDir: REPO,
    metafile: true,
    entryPoints: [path.join(PANEL_DIR, ENTRY[target])],
    outfile: path.join(staging, 'main.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // UXP (V8) and CEP 11 (Chromium 87) both run ES2020; the browser build too.
    target: 'es2020',
    // Host modules come from the host at run time.
    external: ['premierepro', 'aftereffects', 'uxp', 'fs', 'os'],
    minify: opts.minify,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
  const st = (f: string): string => fs.readFileSync(path.join(PANEL_DIR, 'static', f), 'utf8');
  fs.writeFileSync(path.join(staging, 'index.html'), target === 'web' ? st('web.html') : st('panel.html'));
  fs.writeFileSync(path.join(staging, 'panel.css'), st('panel.css'));
  writeIcons(staging);
  const exists = (rel: string): boolean => fs.existsSync(path.join(staging, rel));
  const host = UXP_HOST[target];
  if (host) {
    const manifest = uxpManifest(host, opts.port);
    const problems = checkUxpManifest(manifest, host, { port: opts.port, fileExists: exists });
    if (problems.length) throw new Error(`The ${target} manifest is invalid: ${problems.join('; ')}`);
    fs.writeFileSync(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  }
  if (target === 'ae-cep') {
    fs.mkdirSync(path.join(staging, 'CSXS'), { recursive: true });
    fs.mkdirSync(path.join(staging, 'jsx'), { recursive: true });
    fs.copyFileSync(path.join(PANEL_DIR, 'jsx', 'dreamlayer-ae.jsx'), path.join(staging, 'jsx', 'dreamlayer-ae.jsx'));
    fs.writeFileSync(path.join(staging, 'CSXS', 'manifest.xml'), cepManifestXml());
    fs.writeFileSync(path.join(staging, '.debug'), cepDebugXml());
    const problems = checkCepManifest(cepManifestXml(), cepDebugXml(), { fileExists: exists });
    if (problems.length) throw new Error(`The CEP manifest is invalid: ${problems.join('; ')}`);
  }
  fs.writeFileSync(path.join(staging, '.build-stamp'), `${new Date().toISOString()}\n`);
  swapIn(staging, dir);
  return { dir, inputs: Object.keys(built.metafile.inputs) };
}

/** Bundles panel/src for each target. */
export async function buildPanel(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? PANEL_DIST;
  const opts = { port: options.port ?? DEFAULT_DAEMON_PORT, minify: options.minify ?? true };
  const dirs: Record<string, string> = {};
  const inputs: Record<string, string[]> = {};
  for (const t of options.targets ?? PANEL_TARGETS) ({ dir: dirs[t]!, inputs: inputs[t]! } = await buildTarget(t, outDir, opts));
  return { dirs, inputs };
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when the web build is missing or older than its sources. */
export function webBuildStale(outDir: string = PANEL_DIST): boolean {
  const stamp = path.join(panelWebDir(outDir), '.build-stamp');
  if (!fs.existsSync(path.join(panelWebDir(outDir), 'index.html')) || !fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  const sources = Math.max(...['panel/src', 'panel/static', 'panel/jsx', 'shared/src'].map((d) => newestMtime(path.join(REPO, d))));
  return sources > built;
}

let building: Promise<string> | null = null;

/**
 * For the daemon: returns the web build folder, building it first when it is
 * missing or stale (esbuild, well under a second). Concurrent callers share one build.
 */
export async function ensurePanelBuilt(): Promise<string> {
  if (!webBuildStale()) return panelWebDir();
  building ??= buildPanel({ targets: ['web'] })
    .then(() => panelWebDir())
    .finally(() => {
      building = null;
    });
  return building;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const invokedDirectly = process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  const port = argValue('--port') ? Number(argValue('--port')) : undefined;
  const t0 = Date.now();
  buildPanel({ port, minify: !process.argv.includes('--no-minify') }).then(
    (r) => {
      for (const [t, d] of Object.entries(r.dirs)) console.log(`${t.padEnd(13)} ${path.relative(process.cwd(), d)}`);
      console.log(`panel built in ${Date.now() - t0} ms`);
    },
    (e) => {
      console.error(`panel build failed: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
