import { describe, expect, it } from 'vitest';
import { colorWheel, flowToColor, WHEEL_SIZE } from '../../../daemon/src/flow/flow-viz.ts';
import { readFlo } from '../../../daemon/src/flow/flo-file.ts';
import { readImage } from '../../../daemon/src/io/image-file.ts';
import { sharedData } from '../../helpers/shared-path.ts';

/** Hue in degrees (0 = red, 60 = yellow, 120 = green, 180 = cyan, 240 = blue, 300 = magenta). */
function hue(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  if (d === 0) return NaN;
  let h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  h *= 60;
  return h < 0 ? h + 360 : h;
}
const angleDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

function colourOf(u: number, v: number, max = 1): number[] {
  const img = flowToColor({ width: 1, height: 1, u: Float32Array.of(u), v: Float32Array.of(v) }, { maxMagnitude: max });
  return Array.from(img.data);
}

describe('Middlebury colour wheel', () => {
  it('has the 55 colours of Baker et al. in the RY/YG/GC/CB/BM/MR segments', () => {
    const w = colorWheel();
    expect(WHEEL_SIZE).toBe(55);
    expect(w).toHaveLength(55);
    expect(w[0]).toEqual([255, 0, 0]); // red
    expect(w[15]).toEqual([255, 255, 0]); // yellow
    expect(w[21]).toEqual([0, 255, 0]); // green
    expect(w[25]).toEqual([0, 255, 255]); // cyan
    expect(w[36]).toEqual([0, 0, 255]); // blue
    expect(w[49]).toEqual([255, 0, 255]); // magenta
  });

  it('maps direction to hue as the reference code does', () => {
    // Values of the reference computeColor (flowIO/colorcode.cpp) at unit vectors.
    expect(colourOf(0, 1)).toEqual([255, 229, 0]); // down: orange-yellow
    expect(colourOf(-1, 0)).toEqual([0, 209, 255]); // left: sky blue (wheel[27] exactly)
    expect(colourOf(0, -1)).toEqual([88, 0, 255]); // up: violet
    const right = colourOf(1, 0);
    expect(right[0]).toBe(255);
    expect(right[1]).toBe(0);
    expect(right[2]).toBeLessThan(50); // red (the wheel wraps here)
    // Turning clockwise on screen (right → down → left → up; +v is down) moves the hue forward round the wheel.
    const hues = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => {
      const [r, g, b] = colourOf(Math.cos((k * Math.PI) / 4), Math.sin((k * Math.PI) / 4));
      return hue(r, g, b);
    });
    for (let k = 1; k < 8; k++) {
      const step = (hues[k] - hues[k - 1] + 360) % 360;
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThan(180);
    }
  });

  it('whitens short vectors, saturates at the range and darkens beyond it; unknown flow is black', () => {
    expect(colourOf(0, 0)).toEqual([255, 255, 255]);
    const half = colourOf(-0.5, 0), full = colourOf(-1, 0), over = colourOf(-2, 0);
    expect(half[0]).toBeGreaterThan(full[0]); // less saturated: more red in a blue colour
    expect(over[2]).toBeLessThan(full[2]); // beyond the range: darker
    expect(colourOf(2e9, 0)).toEqual([0, 0, 0]);
  });

  it('agrees in hue with the Sintel reference visualisation', async () => {
    const gt = await readFlo(sharedData('flow/sintel_market_5/gt/frame_0002.flo'));
    const ref = await readImage(sharedData('flow/sintel_market_5/gt/frame_0002_flowviz.png'));
    const ours = flowToColor(gt);
    let n = 0, close = 0;
    for (let i = 0; i < gt.u.length; i += 7) {
      if (Math.hypot(gt.u[i], gt.v[i]) < 20) continue; // saturated colours only: hue is well defined
      const h1 = hue(ours.data[3 * i], ours.data[3 * i + 1], ours.data[3 * i + 2]);
      const h2 = hue(ref.data[3 * i], ref.data[3 * i + 1], ref.data[3 * i + 2]);
      n++;
      if (angleDiff(h1, h2) < 15) close++;
    }
    expect(n).toBeGreaterThan(5000);
    expect(close / n).toBeGreaterThan(0.95);
  });
});
