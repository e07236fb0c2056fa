import { describe, expect, it } from 'vitest';
import { SimulatedHost, layersFromQuery } from '../../../panel/src/host/simulated-host.ts';
import type { ImportRequest, RgbaFrame } from '../../../panel/src/host/host-adapter.ts';

const req = (dir: string, count = 3): ImportRequest => ({ effect: 'stylize', dir, pattern: 'frame_%06d.png', movie: null, frames: { first: 10, last: 9 + count, count }, fps: 24, width: 64, height: 36 });

describe('SimulatedHost', () => {
  it('keeps the given order (top first), imports above the source and replaces on a re-run', async () => {
    const host = new SimulatedHost([
      { name: 'top', path: '/m/top.mp4', firstFrame: 0, lastFrame: 9, fps: 24, width: 64, height: 36 },
      { name: 'plate', path: '/m/plate.mp4', firstFrame: 10, lastFrame: 12, fps: 24, width: 64, height: 36, start: 2 },
    ]);
    expect(host.layers.map((l) => l.name)).toEqual(['top', 'plate']);
    expect(host.selectedId).toBe(host.layers[0]!.id);
    host.select(host.layers[1]!.id);
    const ref = await host.getSelectedLayer();
    expect(ref).toMatchObject({ name: 'plate', sourcePath: '/m/plate.mp4', firstFrame: 10, lastFrame: 12 });
    const first = await host.importResult(ref, req('/out/r1'));
    expect(first).toMatchObject({ name: 'plate – stylize', path: '/out/r1/frame_000010.png', replaced: false });
    expect(host.layers.map((l) => l.name)).toEqual(['top', 'plate – stylize', 'plate']);
    expect(host.layers[1]!.start).toBe(2);
    const again = await host.importResult(ref, req('/out/r2'));
    expect(again.replaced).toBe(true);
    expect(host.layers.map((l) => l.name)).toEqual(['top', 'plate – stylize', 'plate']);
    expect(host.layers[1]!.path).toBe('/out/r2/frame_000010.png');
  });

  it('streams a solid’s frames (moving, not flat) and refuses files', async () => {
    const host = new SimulatedHost([{ name: 'Solid', path: null, kind: 'solid', firstFrame: 0, lastFrame: 2, fps: 24, width: 8, height: 4, color: '#ff0000' }]);
    const ref = await host.getSelectedLayer();
    expect(ref.sourcePath).toBeNull();
    const frames: RgbaFrame[] = [];
    for await (const f of host.streamFrames(ref)) frames.push(f);
    expect(frames).toHaveLength(3);
    expect(frames[0]!.rgba).toHaveLength(8 * 4 * 4);
    expect(frames[0]!.rgba[1]).toBe(0); // red solid: no green
    expect(Buffer.from(frames[0]!.rgba).equals(Buffer.from(frames[1]!.rgba))).toBe(false);
  });

  it('reads layers from the page query and ignores malformed ones', () => {
    const q = `?layers=${encodeURIComponent(JSON.stringify([{ name: 'a', path: '/a.mp4', firstFrame: 0, lastFrame: 1, fps: 24, width: 2, height: 2 }, { name: 'bad' }]))}`;
    expect(layersFromQuery(q)!.map((l) => l.name)).toEqual(['a']);
    expect(layersFromQuery('?layers=%7Bnope')).toBeNull();
    expect(layersFromQuery('')).toBeNull();
  });

  it('says plainly when nothing is selected', async () => {
    await expect(new SimulatedHost().getSelectedLayer()).rejects.toMatchObject({ code: 'NO_SELECTION' });
  });
});
