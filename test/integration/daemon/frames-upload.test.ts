/**
 * Frames mode: a layer with no file of its own is streamed as binary frames
 * (RGBA8 or PNG), stored losslessly as a PNG sequence in the data folder, and
 * stylized by an ordinary job that references the upload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryEncoding, BinaryKind, encodeBinaryFrame } from '../../../shared/src/protocol/binary-frame.ts';
import type { DaemonMessageOf } from '../../../shared/src/protocol/messages.ts';
import { encodePng, readImage } from '../../../daemon/src/io/image-file.ts';
import { makeTempRoot, spawnDaemon, type DaemonProcess } from './helpers/daemon-process.ts';
import { pairedClient, type TestClient } from './helpers/ws-client.ts';

const W = 96;
const H = 64;
const COUNT = 5;

let root: string;
let d: DaemonProcess;
let c: TestClient;

/** A moving gradient with a square: frames differ, alpha varies. */
function frame(i: number): Uint8Array {
  const px = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 4;
      const inSquare = x >= 10 + i * 6 && x < 30 + i * 6 && y >= 20 && y < 40;
      px[o] = (x * 255) / (W - 1);
      px[o + 1] = (y * 255) / (H - 1);
      px[o + 2] = inSquare ? 255 : 40;
      px[o + 3] = 128 + ((x + y + i) % 128);
    }
  }
  return px;
}

/** Sends the frames one at a time, waiting for each ack (how a UXP client must pace itself). */
async function upload(uploadId: string, encoding: 'rgba8' | 'png'): Promise<DaemonMessageOf<'frames.ready'>> {
  const ready = await c.request({ type: 'frames.begin', uploadId, width: W, height: H, count: COUNT, fps: 12, encoding });
  if (ready.type !== 'frames.ready') throw new Error(JSON.stringify(ready));
  for (let i = 0; i < COUNT; i++) {
    const raw = frame(i);
    const payload = encoding === 'png' ? new Uint8Array(await encodePng({ width: W, height: H, channels: 4, data: raw })) : raw;
    c.sendBinary(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: encoding === 'png' ? BinaryEncoding.PNG : BinaryEncoding.RGBA8, id: uploadId, frame: i }, payload));
    await c.waitFor((m) => m.type === 'frames.ack' && m.uploadId === uploadId && m.index === i, `ack ${i}`);
  }
  await c.waitFor((m) => m.type === 'frames.complete' && m.uploadId === uploadId, 'frames.complete');
  return ready;
}

beforeAll(async () => {
  root = makeTempRoot('dl-frames-');
  d = await spawnDaemon({ root });
  c = await pairedClient(d.wsUrl, d.token);
});

afterAll(async () => {
  c?.close();
  await d?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('frames mode', () => {
  it('stores RGBA8 and PNG uploads losslessly as a PNG sequence', async () => {
    for (const enc of ['rgba8', 'png'] as const) {
      const ready = await upload(`up-${enc}`, enc);
      expect(ready.path).toBe(path.join(d.dataDir, 'uploads', `up-${enc}`, 'frame_%06d.png'));
      for (let i = 0; i < COUNT; i++) {
        const img = await readImage(path.join(path.dirname(ready.path), `frame_${String(i).padStart(6, '0')}.png`));
        expect([img.width, img.height, img.channels]).toEqual([W, H, 4]);
        expect(Buffer.compare(Buffer.from(img.data), Buffer.from(frame(i))), `${enc} frame ${i}`).toBe(0);
      }
    }
  });

  it('refuses a job on an incomplete upload and a frame of the wrong size', async () => {
    const r = await c.request({ type: 'frames.begin', uploadId: 'partial', width: W, height: H, count: 3, fps: 24 });
    expect(r.type).toBe('frames.ready');
    c.sendBinary(encodeBinaryFrame({ kind: BinaryKind.UPLOAD_FRAME, encoding: BinaryEncoding.RGBA8, id: 'partial', frame: 0 }, new Uint8Array(W * H * 4 - 4)));
    const bad = await c.waitFor<DaemonMessageOf<'error'>>((m) => m.type === 'error' && m.uploadId === 'partial', 'size error');
    expect(bad.error.code).toBe('MESSAGE_INVALID');
    const sub = await c.request({ type: 'job.submit', job: { effect: 'stylize', params: {}, input: { uploadId: 'partial' }, output: { dir: path.join(root, 'x') } } });
    expect(sub.type === 'error' && sub.error.code).toBe('UPLOAD_INCOMPLETE');
    const clash = await c.request({ type: 'frames.begin', uploadId: 'partial', width: W + 2, height: H, count: 3, fps: 24 });
    expect(clash.type === 'error' && clash.error.code).toBe('MESSAGE_INVALID');
    const ab = await c.request({ type: 'frames.abort', uploadId: 'partial' });
    expect(ab.type).toBe('frames.aborted');
    expect(fs.existsSync(path.join(d.dataDir, 'uploads', 'partial'))).toBe(false);
  });

  it('stylizes an uploaded sequence like any other input', async () => {
    const out = path.join(root, 'out');
    const acc = await c.request({ type: 'job.submit', job: { effect: 'stylize', model: 'builtin:toon', params: {}, device: 'cpu', input: { uploadId: 'up-rgba8', frames: { first: 1, last: 4 } }, output: { dir: out, format: 'png' } } });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    expect(acc.job.input).toBe(path.join(d.dataDir, 'uploads', 'up-rgba8', 'frame_%06d.png'));
    const done = await c.waitJob('job.done', acc.jobId, 90_000);
    expect(done.outputs).toMatchObject({ frames: { first: 1, last: 4, count: 4 }, width: W, height: H });
    expect(fs.readdirSync(out).filter((n) => n.endsWith('.png')).sort()).toEqual([1, 2, 3, 4].map((i) => `frame_${String(i).padStart(6, '0')}.png`));
    // The upload stays while a job record refers to it; aborting it is refused only while the job is unfinished.
    const rec = await c.request({ type: 'job.get', jobId: acc.jobId });
    expect(rec.type === 'job.info' && rec.job.uploadId).toBe('up-rgba8');
  }, 120_000);
});
