import { describe, expect, it } from 'vitest';
import { baseName, dirName, formatFramePattern, isStillImagePath, joinNative, safeFileName, separatorOf, stemOf } from '../../../panel/src/host/native-path.ts';
import { aeSourceFrameRange } from '../../../panel/src/host/ae-timing.ts';
import { cleanToken, discoveryFileCandidates, endpointFromDiscovery, parseDiscovery, resolveEndpoint } from '../../../panel/src/client/discovery.ts';
import { loadSettings, saveSettings, SETTINGS_KEY, defaultSettings } from '../../../panel/src/ui/settings.ts';
import { memoryStore } from '../../../panel/src/platform/panel-platform.ts';
import { niceStep, planControl } from '../../../panel/src/ui/param-controls.ts';
import { buildSubmitJob, modelRef, outputDirFor, pathInput, runStamp } from '../../../panel/src/ui/job-spec-builder.ts';
import { formatDuration, progressText } from '../../../panel/src/ui/format.ts';
import { formatStep } from '../../../panel/src/ui/widgets.ts';
import { base64 } from '../../../panel/src/ui/job-controller.ts';
import { SubmitJobSchema, DEFAULT_DAEMON_PORT } from '../../../shared/src/protocol/messages.ts';
import { STYLIZE } from '../../../shared/src/params/stylize.ts';
import type { LayerRef } from '../../../panel/src/host/host-adapter.ts';

const layer = (o: Partial<LayerRef> = {}): LayerRef => ({ id: 'x', name: 'plate.mov', kind: 'footage', sourcePath: '/shots/sh010/plate.mov', firstFrame: 12, lastFrame: 35, fps: 24, width: 1920, height: 1080, warnings: [], ...o });

describe('native paths', () => {
  it('keeps the separator of the path it is given', () => {
    expect(separatorOf('C:\\clips\\a.mov')).toBe('\\');
    expect(joinNative('C:\\clips\\', 'DreamLayer', 'f.png')).toBe('C:\\clips\\DreamLayer\\f.png');
    expect(joinNative('/shots/', 'out')).toBe('/shots/out');
    expect(dirName('C:\\clips\\a.mov')).toBe('C:\\clips');
    expect(dirName('/a.mov')).toBe('/');
    expect(baseName('/x/y/z.png')).toBe('z.png');
    expect(stemOf('/x/clip.final.mov')).toBe('clip.final');
  });
  it('fills printf frame patterns', () => {
    expect(formatFramePattern('frame_%06d.png', 12)).toBe('frame_000012.png');
    expect(formatFramePattern('f%d.png', 7)).toBe('f7.png');
    expect(formatFramePattern('f%04d.png', 123456)).toBe('f123456.png');
    expect(() => formatFramePattern('frame.png', 1)).toThrow(/printf/);
  });
  it('recognises stills and makes file-name-safe names', () => {
    expect(isStillImagePath('/a/B.PNG')).toBe(true);
    expect(isStillImagePath('/a/b.mov')).toBe(false);
    expect(safeFileName('a/b:c*? ')).toBe('a_b_c_');
  });
});

describe('AE frame range edge cases', () => {
  it('never returns a range outside the clip, and at least one frame', () => {
    const r = aeSourceFrameRange({ inPoint: 0, outPoint: 100, startTime: -50, stretch: 100, fps: 24, duration: 2, timeRemapEnabled: false });
    expect(r).toEqual({ first: 47, last: 47 });
    const rev = aeSourceFrameRange({ inPoint: 0, outPoint: 1, startTime: 2, stretch: -100, fps: 24, duration: 4, timeRemapEnabled: false });
    // Reversed: comp 0..1 s shows source (0−2)·(−1) = 2 s down to 1 s → frames 24..47.
    expect(rev).toEqual({ first: 24, last: 47 });
  });
});

describe('discovery and pairing', () => {
  it('looks where the daemon writes daemon.json on each OS', () => {
    expect(discoveryFileCandidates({ platform: 'darwin', home: '/Users/ana' })).toEqual(['/Users/ana/Library/Application Support/DreamLayer/daemon.json']);
    expect(discoveryFileCandidates({ platform: 'win10', home: 'C:\\Users\\ana' })).toEqual(['C:\\Users\\ana\\AppData\\Roaming\\DreamLayer\\daemon.json']);
    expect(discoveryFileCandidates({ platform: 'win32', home: 'C:\\Users\\ana', env: { APPDATA: 'D:\\Roam' } })).toEqual(['D:\\Roam\\DreamLayer\\daemon.json']);
    expect(discoveryFileCandidates({ platform: 'linux', home: '/home/ana', env: { DREAMLAYER_CONFIG_DIR: '/cfg' } })).toEqual(['/cfg/daemon.json', '/home/ana/.config/dreamlayer/daemon.json']);
  });
  it('parses the discovery file and trusts only loopback addresses in it', () => {
    const d = parseDiscovery(JSON.stringify({ port: 47823, token: 'ab'.repeat(32), pid: 7, ws: 'ws://127.0.0.1:47823/v1/ws' }))!;
    expect(endpointFromDiscovery(d)).toEqual({ url: 'ws://127.0.0.1:47823/v1/ws', token: 'ab'.repeat(32) });
    expect(endpointFromDiscovery({ ...d, ws: 'ws://evil.example:80/v1/ws' }).url).toBe('ws://127.0.0.1:47823/v1/ws');
    expect(parseDiscovery('{"port":"x"}')).toBeNull();
    expect(parseDiscovery('not json')).toBeNull();
  });
  it('prefers a user URL, then the discovery file, then the fallback', async () => {
    const disc = { port: 5000, token: 't-disc', pid: 1 };
    expect(await resolveEndpoint({ overrideUrl: 'ws://127.0.0.1:9/v1/ws', rememberedToken: 't-mem', readDiscovery: async () => disc, fallbackUrl: 'ws://f' })).toMatchObject({ url: 'ws://127.0.0.1:9/v1/ws', token: 't-mem' });
    expect(await resolveEndpoint({ overrideUrl: null, rememberedToken: 't-mem', readDiscovery: async () => disc, fallbackUrl: 'ws://f' })).toMatchObject({ url: 'ws://127.0.0.1:5000/v1/ws', token: 't-disc', fromDiscovery: true });
    expect(await resolveEndpoint({ overrideUrl: null, rememberedToken: null, readDiscovery: async () => Promise.reject(new Error('EACCES')), fallbackUrl: 'ws://f' })).toMatchObject({ url: 'ws://f', token: null });
  });
  it('accepts a token pasted with its label', () => {
    const t = 'a1'.repeat(32);
    expect(cleanToken(`Pairing token: ${t}\n`)).toBe(t);
    expect(cleanToken('  short ')).toBe('short');
    expect(DEFAULT_DAEMON_PORT).toBeGreaterThan(1024);
  });
});

describe('settings', () => {
  it('round-trips, and survives damaged storage', () => {
    const store = memoryStore();
    const s = { ...defaultSettings(), token: 'tok', effect: 'stylize', params: { stylize: { strength: 0.5 } }, outputRoot: '/out' };
    saveSettings(store, s);
    expect(loadSettings(store)).toEqual(s);
    store.setItem(SETTINGS_KEY, '{broken');
    expect(loadSettings(store)).toEqual(defaultSettings());
    store.setItem(SETTINGS_KEY, JSON.stringify({ daemonUrl: 'http://evil', jobs: [{ nope: 1 }] }));
    expect(loadSettings(store)).toMatchObject({ daemonUrl: null, jobs: [] });
  });
});

describe('parameter controls from specs', () => {
  it('maps every param type to its widget and keeps remembered values only when valid', () => {
    const byName = Object.fromEntries(STYLIZE.params.map((p) => [p.name, p]));
    expect(planControl(byName.strength!, 0.3)).toEqual({ widget: 'slider', min: 0, max: 1, step: 0.05, value: 0.3 });
    expect(planControl(byName.strength!, 7)).toMatchObject({ value: 1 });
    expect(planControl(byName.keyframeInterval!, 2.5)).toEqual({ widget: 'number', min: 0, max: 1000, value: 0 });
    expect(planControl(byName.preserveColors!, 'histogram')).toEqual({ widget: 'dropdown', options: ['off', 'luminance', 'histogram'], value: 'histogram' });
    expect(planControl(byName.preserveColors!, 'sepia')).toMatchObject({ value: 'off' });
    expect(planControl({ name: 'invert', label: 'Invert', help: '', type: 'boolean', default: false }, true)).toEqual({ widget: 'checkbox', value: true });
    expect(planControl({ name: 'classes', label: 'Classes', help: '', type: 'string', default: 'person' }, undefined)).toEqual({ widget: 'text', value: 'person' });
    expect(niceStep(1)).toBe(0.01);
    expect(niceStep(255)).toBe(2);
    expect(formatStep(0.8, 0.05)).toBe('0.80');
    expect(formatStep(3, 1)).toBe('3');
  });
});

describe('job spec', () => {
  it('puts each run in its own folder beside the source, or under the chosen root', () => {
    const d = new Date(2025, 0, 2, 3, 4, 5);
    expect(runStamp(d)).toBe('20250102-030405');
    expect(outputDirFor(layer(), 'stylize', '', d)).toBe('/shots/sh010/DreamLayer/plate-stylize-20250102-030405');
    expect(outputDirFor(layer({ sourcePath: 'C:\\sh\\p.mov', name: 'p.mov' }), 'depth', '', d)).toBe('C:\\sh\\DreamLayer\\p-depth-20250102-030405');
    expect(outputDirFor(layer({ sourcePath: null, kind: 'solid', name: 'Red Solid' }), 'stylize', '/out', d)).toBe('/out/Red Solid-stylize-20250102-030405');
    expect(outputDirFor(layer({ sourcePath: null, kind: 'solid' }), 'stylize', '', d)).toBeNull();
  });
  it('builds a job.submit payload the protocol schema accepts', () => {
    expect(modelRef('file:/m/candy.onnx')).toBe('/m/candy.onnx');
    expect(modelRef('')).toBeUndefined();
    const job = buildSubmitJob(pathInput(layer()), { effect: 'stylize', params: { strength: 0.5 }, model: 'file:/m/candy.onnx', format: 'png', device: 'cpu', outputRoot: '' }, '/out/run');
    const parsed = SubmitJobSchema.safeParse(job);
    expect(parsed.success).toBe(true);
    expect(job).toMatchObject({ model: '/m/candy.onnx', device: 'cpu', input: { path: '/shots/sh010/plate.mov', frames: { first: 12, last: 35 } }, output: { dir: '/out/run', format: 'png' } });
    expect(pathInput(layer({ kind: 'sequence', sourcePath: '/seq/shot_0001.png' }))).toEqual({ path: '/seq', frames: { first: 12, last: 35 } });
  });
  it('encodes previews as base64 exactly like Node does', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 1000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
  it('formats progress for a narrow panel', () => {
    expect(progressText({ done: 12, total: 48, fps: 3.21, etaSeconds: 11.2 })).toBe('12/48 frames · 3.2 fps · ETA 0:11');
    expect(progressText({ done: 48, total: 48, fps: 12, etaSeconds: 0 })).toBe('48/48 frames · 12 fps');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('…');
  });
});
