/**
 * A full DeepDream of a real picture (chelsea, 451×300, MobileNetV2's default layer, 4 octaves × 10 iterations):
 * the objective at the start and end of every octave (it must rise at each) and the time. The cost of one dream
 * step against one forward pass (issue 7's ≤ 3.5× target) is measured by `bench/dream-step.ts`.
 *
 *   node bin/run-ts.js bench/dream.ts [--json FILE] [--device cpu|cuda|…]
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Image8 } from '../daemon/src/core/image.ts';
import { loadClassifier, openDreamOn } from '../daemon/src/effects/dream/dream-network.ts';
import { dreamPlanes, type OctaveTrace } from '../daemon/src/effects/dream/dream-octaves.ts';
import { image8ToPlanes } from '../daemon/src/effects/dream/planar-ops.ts';
import { readImage } from '../daemon/src/io/image-file.ts';
import { parseDevice, type Device } from '../daemon/src/runtime/providers.ts';
import { fmt, SHARED } from './_util.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const mobilenet = () => loadClassifier(path.join(SHARED, 'models', 'classifier', 'mobilenet-v2-1.0_224.onnx'));

async function fullDream(device: Device): Promise<Record<string, unknown>> {
  const cls = await mobilenet();
  const opened = await openDreamOn(cls, { layers: '', device });
  try {
    const src = (await readImage(path.join(SHARED, 'data', 'images', 'content', 'chelsea.png'), { bits: 8, channels: 3 })) as Image8;
    const trace: OctaveTrace[] = [];
    const t = performance.now();
    await dreamPlanes(image8ToPlanes(src), opened.net, { octaves: 4, octaveScale: 1.4, iterations: 10, step: 1.5, jitter: 32, seed: 0 }, { trace, measure: true });
    const seconds = (performance.now() - t) / 1000;
    console.log(`full dream of chelsea ${src.width}×${src.height}, ${opened.layers[0]!.name}, 4 octaves × 10 iterations: ${fmt(seconds, 1)} s (${trace.length * 12} gradient evaluations incl. measurement)`);
    for (const o of trace) console.log(`  octave ${o.width}×${o.height}: objective ${fmt(o.initial!, 3)} → ${fmt(o.final!, 3)} (${o.final! > o.initial! ? 'rises' : 'FALLS'})`);
    return { image: 'chelsea.png', layer: opened.layers[0]!.name, seconds, octaves: trace.map((o) => ({ width: o.width, height: o.height, start: o.initial, end: o.final })) };
  } finally {
    await opened.dispose();
  }
}

export async function main(): Promise<void> {
  const dream = await fullDream(parseDevice(arg('device') ?? 'cpu'));
  const json = arg('json');
  if (json) await writeFile(json, JSON.stringify({ dream }, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
