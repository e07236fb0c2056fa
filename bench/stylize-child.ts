/**
 * One measured stylize run in its own process, so peak RSS belongs to this run
 * alone. Prints one JSON line: end-to-end fps, bare session.run fps on the same
 * frames (optional), peak RSS in MiB.
 *   node bin/run-ts.js bench/stylize-child.ts --frames N [--bare] [--temporal T] [--model FILE]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runJob } from '../daemon/src/pipeline/run-job.ts';
import { decodeFrames } from '../daemon/src/io/decode.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';
import { getSession } from '../daemon/src/runtime/session-cache.ts';
import { runStyleNetwork } from '../daemon/src/effects/stylize/style-network.ts';
import type { Image8 } from '../daemon/src/core/image.ts';
import { SHARED } from './_util.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '60' },
    bare: { type: 'boolean', default: false },
    temporal: { type: 'string', default: '0' },
    model: { type: 'string', default: path.join(SHARED, 'models/style/mosaic.onnx') },
    clip: { type: 'string', default: path.join(SHARED, 'data/video/bbb-opening_1280x720_24fps.mp4') },
    width: { type: 'string', default: '640' },
  },
});
const n = Number(values.frames);
const width = Number(values.width);
const out = mkdtempSync(path.join(os.tmpdir(), 'dl-bench-'));
try {
  // warm the session so both measurements exclude model loading
  const session = await getSession(values.model!, { device: 'cpu' });
  const info = await probeMedia(values.clip!);
  const last = Math.min(info.frameCount, n) - 1;
  let bareFps = 0;
  if (values.bare) {
    const frames: Image8[] = [];
    for await (const f of decodeFrames(info, { first: 0, last, width, height: Math.round((info.height * width) / info.width / 2) * 2 })) frames.push(f.image);
    await runStyleNetwork(session, frames[0]);
    const t0 = performance.now();
    for (const f of frames) await runStyleNetwork(session, f);
    bareFps = frames.length / ((performance.now() - t0) / 1000);
    frames.length = 0;
  } else {
    const img: Image8 = { width: 64, height: 36, channels: 3, data: new Uint8Array(64 * 36 * 3) };
    await runStyleNetwork(session, img);
  }
  const t0 = performance.now();
  await runJob({
    effect: 'stylize',
    model: values.model,
    device: 'cpu',
    params: { width, temporal: Number(values.temporal) },
    input: { path: values.clip!, frames: { first: 0, last } },
    output: { dir: out, format: 'png' },
  });
  const e2eFps = (last + 1) / ((performance.now() - t0) / 1000);
  console.log(JSON.stringify({ frames: last + 1, e2eFps, bareFps, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
} finally {
  rmSync(out, { recursive: true, force: true });
}
