/**
 * Renders the README's before/after picture from real footage and a real style
 * model: source | stylized | stylized with --preserve-colors luminance.
 *   node bin/run-ts.js scripts/make-readme-pictures.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runJob } from '../daemon/src/pipeline/run-job.ts';
import { decodeFrames } from '../daemon/src/io/decode.ts';
import { probeMedia } from '../daemon/src/io/probe.ts';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shared = path.resolve(repo, '..', 'shared');
const clip = path.join(shared, 'data/video/dance-twirl_854x480_24fps.mp4');
const model = path.join(shared, 'models/style/candy.onnx');
const width = 320;
const frame = 40;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dl-pics-'));
try {
  const panels: Buffer[] = [];
  const info = await probeMedia(clip);
  for await (const f of decodeFrames(info, { first: frame, last: frame, width })) {
    panels.push(await sharp(Buffer.from(f.image.data), { raw: { width: f.image.width, height: f.image.height, channels: 3 } }).png().toBuffer());
  }
  for (const preserveColors of ['off', 'luminance']) {
    const dir = path.join(tmp, preserveColors);
    await runJob({ effect: 'stylize', model, device: 'cpu', params: { width, preserveColors }, input: { path: clip, frames: { first: frame - 8, last: frame } }, output: { dir, format: 'png' } });
    panels.push(await sharp(path.join(dir, `frame_${String(frame).padStart(6, '0')}.png`)).png().toBuffer());
  }
  const meta = await sharp(panels[0]).metadata();
  const w = meta.width!;
  const h = meta.height!;
  await sharp({ create: { width: w * 3 + 8, height: h, channels: 3, background: '#222' } })
    .composite(panels.map((p, i) => ({ input: p, left: i * (w + 4), top: 0 })))
    .png()
    .toFile(path.join(repo, 'docs/stylize-before-after.png'));
  console.log('wrote docs/stylize-before-after.png');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
