import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AfterEffectsAdapter } from '../../../panel/src/host/aftereffects-adapter.ts';
import { AeUxpBackend } from '../../../panel/src/host/ae-uxp-backend.ts';
import { AeCepBackend } from '../../../panel/src/host/ae-cep-backend.ts';
import { HostError, type ImportRequest } from '../../../panel/src/host/host-adapter.ts';
import { REPO_ROOT } from '../../helpers/shared-path.ts';
import { FakeAeApp, extendScriptGlobals, uxpModule, type Flavour } from './fakes/fake-ae.ts';

const JSX = fs.readFileSync(path.join(REPO_ROOT, 'panel', 'jsx', 'dreamlayer-ae.jsx'), 'utf8');

/** The adapter over each backend: UXP DOM directly, or the real JSX in an ExtendScript-like context via evalScript. */
function adapterFor(flavour: Flavour, app: FakeAeApp): AfterEffectsAdapter {
  if (flavour === 'uxp') return new AfterEffectsAdapter(new AeUxpBackend(uxpModule(app)));
  const ctx = vm.createContext(extendScriptGlobals(app));
  vm.runInContext(JSX, ctx);
  const evalScript = async (script: string): Promise<string> => {
    try {
      return String(vm.runInContext(script, ctx));
    } catch {
      return 'EvalScript error.'; // what CEP answers when a script throws
    }
  };
  return new AfterEffectsAdapter(new AeCepBackend(evalScript));
}

function result(dir: string, first: number, count: number): ImportRequest {
  return { effect: 'stylize', dir, pattern: 'frame_%06d.png', movie: null, frames: { first, last: first + count - 1, count }, fps: 24, width: 160, height: 90 };
}

describe.each<Flavour>(['uxp', 'extendscript'])('After Effects adapter (%s)', (flavour) => {
  it('maps a stretched, offset layer to its source frames and places the result aligned above it', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main', 25);
    app.activeItem = comp;
    const clip = app.footage({ name: 'plate.mov', path: '/media/plate.mov', fps: 24, duration: 10 });
    comp.addLayer(null, { name: 'Title' });
    // Starts at 2 s, plays at half speed (stretch 200 %), trimmed to comp 3 s … 5 s.
    const src = comp.addLayer(clip, { name: 'plate', startTime: 2, stretch: 200, inPoint: 3, outPoint: 5, selected: true });
    const host = adapterFor(flavour, app);

    const layer = await host.getSelectedLayer();
    // source time = (t − 2)·100/200 → 0.5 s … 1.5 s → frames 12 … 35 at 24 fps.
    expect([layer.firstFrame, layer.lastFrame]).toEqual([12, 35]);
    expect(layer).toMatchObject({ kind: 'footage', sourcePath: '/media/plate.mov', fps: 24, name: 'plate' });

    const imported = await host.importResult(layer, result('/out/run1', 12, 24));
    expect(imported).toMatchObject({ name: 'plate – stylize', path: '/out/run1/frame_000012.png', replaced: false });
    const added = comp.layersArr.find((l) => l.name === 'plate – stylize')!;
    expect(added.index).toBe(src.index - 1); // directly above the source
    // Result frame 0 = source frame 12 = source time 0.5 s, shown at comp 2 + 0.5·2 = 3 s.
    expect(added.startTime).toBeCloseTo(3, 9);
    expect(added.stretch).toBe(200);
    expect([added.inPoint, added.outPoint]).toEqual([3, 5]);
    expect((added.source as { mainSource: { conformFrameRate: number } }).mainSource.conformFrameRate).toBe(24);
    expect(app.log).toEqual([
      'beginUndoGroup:DreamLayer: stylize',
      'importFile:/out/run1/frame_000012.png:sequence=true',
      'layers.add:frame_000012.png',
      'layer.name=plate – stylize',
      'layer.stretch=200',
      'layer.startTime=3',
      'moveBefore:plate',
      'endUndoGroup',
    ]);
  });

  it('handles a negative start offset (layer starts before the comp)', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main', 25);
    app.activeItem = comp;
    const clip = app.footage({ name: 'walk.mp4', path: '/media/walk.mp4', fps: 25, duration: 8 });
    comp.addLayer(clip, { name: 'walk', startTime: -1.5, inPoint: 0, outPoint: 2, selected: true });
    const host = adapterFor(flavour, app);
    const layer = await host.getSelectedLayer();
    // Comp 0 s shows source 1.5 s (frame 37.5 → 37); comp 2 s is source 3.5 s (frame 87.5, exclusive) → last 87.
    expect([layer.firstFrame, layer.lastFrame]).toEqual([37, 87]);
    await host.importResult(layer, result('/out/w', 37, 51));
    const added = comp.layersArr.find((l) => l.name === 'walk – stylize')!;
    expect(added.startTime).toBeCloseTo(-1.5 + 37 / 25, 9);
    expect([added.inPoint, added.outPoint]).toEqual([0, 2]);
  });

  it('replaces the earlier result on a re-run instead of adding a layer', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main');
    app.activeItem = comp;
    comp.addLayer(app.footage({ name: 'a.mov', path: '/m/a.mov', fps: 24 }), { name: 'a', inPoint: 0, outPoint: 1, selected: true });
    const host = adapterFor(flavour, app);
    const layer = await host.getSelectedLayer();
    await host.importResult(layer, result('/out/r1', 0, 24));
    const count = comp.numLayers;
    app.log.length = 0;
    const again = await host.importResult(layer, result('/out/r2', 0, 24));
    expect(again.replaced).toBe(true);
    expect(comp.numLayers).toBe(count);
    expect(app.log).toContain('replaceWithSequence:/out/r2/frame_000000.png:false');
    expect(app.log.some((l) => l.startsWith('importFile'))).toBe(false);
  });

  it('imports a still as a still over the layer’s own span', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main', 30);
    app.activeItem = comp;
    comp.addLayer(app.footage({ name: 'logo.png', path: '/m/logo.png', still: true }), { name: 'logo', startTime: 1, inPoint: 1, outPoint: 4, selected: true });
    const host = adapterFor(flavour, app);
    const layer = await host.getSelectedLayer();
    expect(layer).toMatchObject({ kind: 'still', firstFrame: 0, lastFrame: 0, fps: 30 });
    await host.importResult(layer, { ...result('/out/s', 0, 1), frames: { first: 0, last: 0, count: 1 } });
    expect(app.log).toContain('importFile:/out/s/frame_000000.png:sequence=false');
    const added = comp.layersArr.find((l) => l.name === 'logo – stylize')!;
    expect([added.startTime, added.inPoint, added.outPoint, added.stretch]).toEqual([1, 1, 4, 100]);
  });

  it('says plainly when nothing, several, or no comp is selected', async () => {
    const app = new FakeAeApp(flavour);
    const host = adapterFor(flavour, app);
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION', message: 'No composition is active.' });
    const comp = app.comp('Edit');
    app.activeItem = comp;
    const clip = app.footage({ name: 'a.mov', path: '/m/a.mov' });
    const l1 = comp.addLayer(clip, { name: 'one' });
    const l2 = comp.addLayer(clip, { name: 'two' });
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION', message: 'No layer is selected in "Edit".' });
    l1.selected = l2.selected = true;
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION', message: expect.stringContaining('2 layers are selected') });
  });

  it('reports missing footage with the path and how to re-link', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main');
    app.activeItem = comp;
    comp.addLayer(app.footage({ name: 'gone.mov', path: '/m/gone.mov', missing: true }), { name: 'gone', selected: true });
    const err = await adapterFor(flavour, app).getSelectedLayer().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect(err).toMatchObject({ code: 'SOURCE_MISSING', message: expect.stringContaining('/m/gone.mov'), hint: expect.stringContaining('Replace Footage') });
  });

  it('renders a precomp layer through the render queue over the layer’s span', async () => {
    const app = new FakeAeApp(flavour);
    const main = app.comp('Main', 24);
    const pre = app.comp('Pre-comp 1', 24, 6);
    app.activeItem = main;
    main.addLayer(pre, { name: 'Pre-comp 1', startTime: 1, inPoint: 2, outPoint: 3, selected: true });
    const host = adapterFor(flavour, app);
    const layer = await host.getSelectedLayer();
    expect(layer).toMatchObject({ kind: 'comp', sourcePath: null, firstFrame: 24, lastFrame: 47 });
    const r = await host.renderLayer(layer, '/out/.renders/pre');
    expect(r).toEqual({ path: '/out/.renders/pre/frame_%05d.png', first: 24, last: 47 });
    expect(app.renders).toEqual([{ comp: 'Pre-comp 1', timeSpanStart: 1, timeSpanDuration: 1, template: 'PNG Sequence', file: '/out/.renders/pre/frame_[#####].png' }]);
    expect(app.log).toContain('rq.render');
  });

  it('refuses to render a solid and says to pre-compose it', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main');
    app.activeItem = comp;
    comp.addLayer(app.footage({ name: 'Black Solid 1', path: null, solid: true }), { name: 'Black Solid 1', selected: true });
    const host = adapterFor(flavour, app);
    const layer = await host.getSelectedLayer();
    expect(layer).toMatchObject({ kind: 'solid', sourcePath: null });
    await expect(host.renderLayer(layer, '/tmp/x')).rejects.toMatchObject({ code: 'UNSUPPORTED', hint: expect.stringContaining('Pre-compose') });
  });

  it('processes the whole clip under time remapping and says so', async () => {
    const app = new FakeAeApp(flavour);
    const comp = app.comp('Main');
    app.activeItem = comp;
    const l = comp.addLayer(app.footage({ name: 'r.mov', path: '/m/r.mov', fps: 24, duration: 2 }), { name: 'r', inPoint: 0.5, outPoint: 1, selected: true });
    l.timeRemapEnabled = true;
    const layer = await adapterFor(flavour, app).getSelectedLayer();
    expect([layer.firstFrame, layer.lastFrame]).toEqual([0, 47]);
    expect(layer.warnings.join(' ')).toMatch(/Time remapping/);
  });
});

describe('dreamlayer-ae.jsx', () => {
  it('is ExtendScript-safe: ES5 syntax, no JSON object, no ES5 array/string helpers', async () => {
    const { transform } = await import('esbuild');
    // esbuild cannot lower let/const/arrows/classes/templates to ES5: a transform to es5 fails on any of them.
    await expect(transform(JSX, { loader: 'js', target: 'es5' })).resolves.toBeTruthy();
    const code = JSX.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const banned of [/\bJSON\./, /\.forEach\(/, /\.map\(/, /\.filter\(/, /\.trim\(/, /Object\.keys/, /,\s*[}\]]/]) expect(code).not.toMatch(banned);
  });

  it('answers JSON, and errors as {"error"} instead of throwing', () => {
    const app = new FakeAeApp('extendscript');
    const ctx = vm.createContext(extendScriptGlobals(app));
    vm.runInContext(JSX, ctx);
    expect(JSON.parse(String(vm.runInContext('dl_readSelection()', ctx)))).toEqual({ status: 'no-comp' });
    const bad = JSON.parse(String(vm.runInContext('dl_place({"source":{"compId":999,"index":1,"id":null,"name":"x"}})', ctx)));
    expect(bad.error).toMatch(/composition/);
    expect(JSON.parse(String(vm.runInContext('dl_json({"a":"ä\\n\\"q\\"","b":[1,true,null]})', ctx)))).toEqual({ a: 'ä\n"q"', b: [1, true, null] });
    expect(JSON.parse(String(vm.runInContext('dl_userFolders()', ctx)))).toMatchObject({ userData: '/Users/test/Library/Application Support' });
  });
});
