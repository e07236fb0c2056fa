import { describe, expect, it } from 'vitest';
import { PremiereAdapter, TICKS_PER_SECOND, ticksToFrame, parseVideoInfo } from '../../../panel/src/host/premiere-adapter.ts';
import type { ImportRequest } from '../../../panel/src/host/host-adapter.ts';
import { FakePremiere, TickTime, TPS } from './fakes/fake-premiere.ts';

const NTSC = 24000 / 1001;

function request(dir: string, first: number, count: number, fps = NTSC): ImportRequest {
  return { effect: 'stylize', dir, pattern: 'frame_%06d.png', movie: null, frames: { first, last: first + count - 1, count }, fps, width: 854, height: 480 };
}

/** The imported clip's frame count, as Premiere would find it on disk. */
function withFrames(env: FakePremiere, n: number): void {
  const orig = env.project.importFiles;
  env.project.importFiles = async (...args: Parameters<typeof orig>) => {
    const ok = await orig(...args);
    const c = env.rootItems[env.rootItems.length - 1];
    if (c) c.frames = n;
    return ok;
  };
}

describe('Premiere Pro adapter', () => {
  it('uses the exact ticks of in/out points at 23.976 fps', async () => {
    expect(TICKS_PER_SECOND).toBe(TPS);
    const env = new FakePremiere();
    const clip = env.clip('walk.mov', '/media/walk.mov', { fps: NTSC });
    // Source in at frame 100, out at frame 148 (exclusive); the float seconds are deliberately coarse.
    const inPoint = new TickTime(String(100 * 10594584000), 4.195);
    const outPoint = new TickTime(String(148 * 10594584000), 6.17);
    env.addItem(0, clip, 50, 100, { inPoint, outPoint, selected: true });
    const layer = await new PremiereAdapter(env.module).getSelectedLayer();
    expect(layer).toMatchObject({ kind: 'footage', sourcePath: '/media/walk.mov', firstFrame: 100, lastFrame: 147, name: 'walk.mov', width: 854, height: 480 });
    expect(layer.fps).toBeCloseTo(NTSC, 12);
    // Had it used seconds: 4.195 × 23.976 = 100.58 → 101.
    expect(ticksToFrame({ seconds: 4.195 }, NTSC)).toBe(101);
  });

  it('imports numbered stills, conforms the rate, names the clip and overwrites on the track above at the same start', async () => {
    const env = new FakePremiere();
    const clip = env.clip('walk.mov', '/media/walk.mov', { fps: NTSC });
    const src = env.addItem(0, clip, 50, 98, { inPoint: TickTime.fromFrames(100, NTSC), outPoint: TickTime.fromFrames(148, NTSC), selected: true });
    withFrames(env, 48);
    const host = new PremiereAdapter(env.module);
    const layer = await host.getSelectedLayer();
    const r = await host.importResult(layer, request('/out/run1', 100, 48));
    expect(r).toMatchObject({ name: 'walk.mov – stylize', path: '/out/run1/frame_000100.png', replaced: false, where: 'V2, above V1' });
    expect(env.log).toEqual([
      'importFiles:/out/run1/frame_000100.png:suppressUI=true:bin=root:numberedStills=true',
      'transaction:DreamLayer: stylize (interpret)',
      `  overrideFrameRate:frame_000100.png:${NTSC}`,
      '  setName:walk.mov – stylize',
      'transaction:DreamLayer: stylize',
      `  overwrite:walk.mov – stylize@${src.start.ticks}:V1:A0`,
    ]);
    const placed = env.tracks[1]![0]!;
    expect(placed.start.ticks).toBe(src.start.ticks);
    // 48 result frames at the source's own rate cover exactly the source's in..out span.
    expect(placed.end.seconds - placed.start.seconds).toBeCloseTo(48 / NTSC, 9);
  });

  it('conforms a speed-changed clip so the result spans the same sequence time', async () => {
    const env = new FakePremiere();
    const clip = env.clip('run.mov', '/media/run.mov', { fps: 24 });
    env.addItem(0, clip, 0, 25, { inPoint: TickTime.fromFrames(0, 24), outPoint: TickTime.fromFrames(48, 24), speed: 2, selected: true });
    withFrames(env, 48);
    const host = new PremiereAdapter(env.module);
    const layer = await host.getSelectedLayer();
    expect([layer.firstFrame, layer.lastFrame]).toEqual([0, 47]);
    expect(layer.warnings.join(' ')).toMatch(/200% speed/);
    await host.importResult(layer, request('/out/fast', 0, 48, 24));
    expect(env.log).toContain('  overrideFrameRate:frame_000000.png:48');
    const placed = env.tracks[1]![0]!;
    expect(placed.end.seconds - placed.start.seconds).toBeCloseTo(1, 9); // 48 frames at 48 fps = the source's 1 s on the timeline
  });

  it('goes further up when the track above is taken, and creates a track when there is none', async () => {
    const env = new FakePremiere();
    const clip = env.clip('a.mov', '/m/a.mov', { fps: 25 });
    env.addItem(0, clip, 0, 50, { inPoint: TickTime.fromFrames(0, 25), outPoint: TickTime.fromFrames(50, 25), selected: true });
    env.addItem(1, env.clip('title', '/m/title.png'), 10, 20); // something else on V2
    withFrames(env, 50);
    const host = new PremiereAdapter(env.module);
    const r = await host.importResult(await host.getSelectedLayer(), request('/out/a', 0, 50, 25));
    expect(r.where).toBe('V3, above V1');
    expect(env.log.some((l) => l.includes('insert:a.mov – stylize') && l.includes(':V2:') && l.includes('limitShift=true'))).toBe(true);
    expect(env.tracks).toHaveLength(3);
  });

  it('replaces the earlier result on a re-run', async () => {
    const env = new FakePremiere();
    const clip = env.clip('a.mov', '/m/a.mov', { fps: 25 });
    env.addItem(0, clip, 0, 50, { inPoint: TickTime.fromFrames(0, 25), outPoint: TickTime.fromFrames(50, 25), selected: true });
    withFrames(env, 50);
    const host = new PremiereAdapter(env.module);
    const layer = await host.getSelectedLayer();
    await host.importResult(layer, request('/out/r1', 0, 50, 25));
    const again = await host.importResult(layer, request('/out/r2', 0, 50, 25));
    expect(again).toMatchObject({ replaced: true, where: 'V2, above V1' });
    expect(env.tracks[1]!.map((t) => t.clip.name)).toEqual(['a.mov – stylize']);
    expect(env.tracks).toHaveLength(2);
  });

  it('places a still for the clip’s own duration', async () => {
    const env = new FakePremiere();
    env.addItem(0, env.clip('logo.png', '/m/logo.png'), 25, 75, { selected: true });
    const host = new PremiereAdapter(env.module);
    const layer = await host.getSelectedLayer();
    expect(layer).toMatchObject({ kind: 'still', firstFrame: 0, lastFrame: 0, fps: 25 });
    await host.importResult(layer, { ...request('/out/s', 0, 1, 25), frames: { first: 0, last: 0, count: 1 } });
    expect(env.log[0]).toBe('importFiles:/out/s/frame_000000.png:suppressUI=true:bin=root:numberedStills=false');
    expect(env.log.some((l) => l.startsWith('  overrideFrameRate'))).toBe(false);
    const placed = env.tracks[1]![0]!;
    expect([placed.start.seconds, placed.end.seconds]).toEqual([1, 3]);
  });

  it('says plainly: empty selection, audio only, several clips, offline media, nested sequence', async () => {
    const env = new FakePremiere();
    const host = new PremiereAdapter(env.module);
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION', message: 'No video clip is selected in "Edit".' });
    env.addItem(0, env.clip('music.wav', '/m/music.wav'), 0, 10, { audio: true, selected: true });
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION' });
    env.addItem(0, env.clip('a.mov', '/m/a.mov', { fps: 25 }), 10, 20, { selected: true });
    env.addItem(1, env.clip('b.mov', '/m/b.mov', { fps: 25 }), 10, 20, { selected: true });
    await expect(host.getSelectedLayer()).rejects.toMatchObject({ message: '2 video clips are selected in "Edit".' });

    const off = new FakePremiere();
    off.addItem(0, off.clip('gone.mov', '/m/gone.mov', { fps: 25, offline: true }), 0, 10, { selected: true });
    await expect(new PremiereAdapter(off.module).getSelectedLayer()).rejects.toMatchObject({ code: 'SOURCE_MISSING', message: expect.stringContaining('/m/gone.mov') });

    const nest = new FakePremiere();
    nest.addItem(0, nest.clip('Nested Sequence 01', '', { nested: true }), 0, 10, { selected: true });
    const ref = await new PremiereAdapter(nest.module).getSelectedLayer();
    expect(ref).toMatchObject({ kind: 'comp', sourcePath: null });
  });

  it('reports a failed import instead of placing nothing silently', async () => {
    const env = new FakePremiere();
    env.addItem(0, env.clip('a.mov', '/m/a.mov', { fps: 25 }), 0, 10, { selected: true });
    env.importResult = false;
    const host = new PremiereAdapter(env.module);
    await expect(host.importResult(await host.getSelectedLayer(), request('/out/x', 0, 10, 25))).rejects.toMatchObject({ code: 'IMPORT_FAILED' });
  });

  it('reads the clip size from the Video Info column', () => {
    expect(parseVideoInfo(JSON.stringify([{ ColumnName: 'Video Info', ColumnValue: '3840 x 2160 (1.0)' }]))).toEqual({ width: 3840, height: 2160 });
    expect(parseVideoInfo('[]')).toBeNull();
  });
});
