/**
 * The pieces of the movie sink's own MP4 writing: the streaming reader of
 * ffmpeg's fragmented output (checked against ffprobe's view of the same
 * bytes, fed in arbitrary chunks), and a movie assembled from two encodes
 * (checked against ordinary ffmpeg movies of the same frames, and ffprobe).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Image8 } from '../../../daemon/src/core/image.ts';
import { decodeFrames } from '../../../daemon/src/io/decode.ts';
import { createMovieEncoder } from '../../../daemon/src/io/encode.ts';
import { createFrameStreamEncoder, type EncodedFrames } from '../../../daemon/src/io/encode-fragments.ts';
import { resolveFfmpeg } from '../../../daemon/src/io/ffmpeg-binaries.ts';
import { FragmentedMp4Reader } from '../../../daemon/src/io/fragmented-mp4-reader.ts';
import { listBoxes } from '../../../daemon/src/io/mp4-box.ts';
import { finishMovieFile, movieLayout, sampleEntryType, writeMovieHeader, type MoviePiece } from '../../../daemon/src/io/mp4-movie-writer.ts';
import { probeMedia } from '../../../daemon/src/io/probe.ts';

const NTSC = { num: 24000, den: 1001 };
const W = 48;
const H = 32;
let dir: string;

const ffprobe = (file: string, args: string[]) => JSON.parse(execFileSync(resolveFfmpeg().ffprobe, ['-v', 'error', '-of', 'json', ...args, file], { encoding: 'utf8' }));

/** A frame that differs from its neighbours everywhere (moving gradient + a frame-dependent square). */
function frame(k: number): Image8 {
  const d = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const box = Math.abs(x - ((k * 3) % W)) < 6 && Math.abs(y - 16) < 6;
      d[i] = box ? 250 : (x * 5 + k * 9) & 255;
      d[i + 1] = (y * 7 + k * 4) & 255;
      d[i + 2] = box ? 20 : ((x + y) * 3) & 255;
    }
  }
  return { width: W, height: H, channels: 3, data: d };
}

async function decodeAll(file: string): Promise<Buffer[]> {
  const info = await probeMedia(file);
  const out: Buffer[] = [];
  for await (const f of decodeFrames(info, { first: 0, last: info.frameCount - 1 })) out.push(Buffer.from(f.image.data));
  return out;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-movie-writer-'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FragmentedMp4Reader', () => {
  it('reads ffmpeg\'s fragmented output fed in any chunks: the samples ffprobe sees, the media bytes in order', async () => {
    // 30 frames, a keyframe every 8: several fragments, B-frames reordered.
    const stream = execFileSync(resolveFfmpeg().ffmpeg, [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24000/1001', '-frames:v', '30', '-c:v', 'libx264', '-g', '8', '-pix_fmt', 'yuv420p',
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', 'pipe:1',
    ], { maxBuffer: 64 << 20 });
    const file = path.join(dir, 'frag.mp4');
    fs.writeFileSync(file, stream);
    const packets = (ffprobe(file, ['-select_streams', 'v:0', '-show_entries', 'packet=size,flags,pts,dts']).packets as { size: string; flags: string; pts: number; dts: number }[]);

    const read = async (chunking: (i: number) => number) => {
      const media: Buffer[] = [];
      const r = new FragmentedMp4Reader(async (c) => void media.push(Buffer.from(c)));
      for (let at = 0, i = 0; at < stream.length; i++) {
        const n = Math.min(chunking(i), stream.length - at);
        await r.push(stream.subarray(at, at + n));
        at += n;
      }
      r.end();
      return { r, media: Buffer.concat(media) };
    };
    const whole = await read(() => stream.length);
    const tiny = await read((i) => 1 + ((i * 7) % 13)); // 1–13 bytes at a time: every header split somewhere
    for (const { r, media } of [whole, tiny]) {
      expect(r.samples).toHaveLength(30);
      expect(r.samples.map((s) => s.size)).toEqual(packets.map((p) => Number(p.size)));
      expect(r.samples.map((s) => s.sync)).toEqual(packets.map((p) => p.flags.startsWith('K')));
      // Composition offsets: pts − dts per packet, up to the constant the demuxer's edit list removes.
      const off = packets.map((p) => Number(p.pts) - Number(p.dts));
      expect(r.samples.map((s) => s.cts - r.samples[0].cts)).toEqual(off.map((o) => o - off[0]));
      expect(media.length).toBe(r.samples.reduce((a, s) => a + s.size, 0));
      expect(r.mediaBytes).toBe(media.length);
    }
    expect(tiny.media.equals(whole.media)).toBe(true);
    expect(whole.r.samples.filter((s) => s.sync).length).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('refuses an mdat that is not the one its moof describes', async () => {
    const stream = execFileSync(resolveFfmpeg().ffmpeg, [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=24', '-frames:v', '4', '-c:v', 'libx264', '-pix_fmt', 'yuv420p',
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', 'pipe:1',
    ]);
    const bad = Buffer.from(stream);
    const mdat = listBoxes(bad).find((b) => b.type === 'mdat')!;
    bad.writeUInt32BE(mdat.end - mdat.start + 4, mdat.start); // 4 bytes more than the samples
    const r = new FragmentedMp4Reader(async () => undefined);
    await expect(r.push(bad)).rejects.toThrow(/not the one its moof describes/);
  });
});

/** Presentation ranks of an encode's samples (decode order). */
function ranks(e: EncodedFrames): number[] {
  let dts = 0;
  const pts = e.samples.map((s) => {
    const p = dts + s.cts;
    dts += s.duration;
    return p;
  });
  const sorted = [...pts].sort((a, b) => a - b);
  return pts.map((p) => sorted.indexOf(p));
}

describe('a movie written piece by piece', () => {
  const pieces: { enc: EncodedFrames; data: Buffer }[] = [];
  let reference: Buffer[] = [];
  let audio: string;

  beforeAll(async () => {
    // Two encodes of 6 frames each, as the sink makes them, and the same frames as ordinary movies (the reference).
    const ref: Buffer[] = [];
    for (let p = 0; p < 2; p++) {
      const chunks: Buffer[] = [];
      const enc = createFrameStreamEncoder({ path: path.join(dir, 'x.mp4'), width: W, height: H, fps: NTSC, codec: 'h264', inputChannels: 3, onMedia: async (c) => void chunks.push(Buffer.from(c)) });
      const plain = createMovieEncoder({ path: path.join(dir, `plain${p}.mp4`), width: W, height: H, fps: NTSC, codec: 'h264', inputChannels: 3 });
      for (let f = 0; f < 6; f++) {
        await enc.write(frame(p * 6 + f));
        await plain.write(frame(p * 6 + f));
      }
      pieces.push({ enc: await enc.finish(), data: Buffer.concat(chunks) });
      await plain.finish();
      ref.push(...(await decodeAll(path.join(dir, `plain${p}.mp4`))));
    }
    reference = ref;
    audio = path.join(dir, 'tone.m4a');
    execFileSync(resolveFfmpeg().ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=0.5', '-c:a', 'aac', '-f', 'mp4', audio]);
  }, 60_000);

  async function assemble(name: string, reserve: number, withAudio: boolean): Promise<string> {
    const file = path.join(dir, name);
    const layout = movieLayout('mp4', sampleEntryType(pieces[0].enc.trak), reserve);
    const fh = await fsp.open(file, 'w');
    await writeMovieHeader(fh, layout);
    let at = layout.dataStart;
    const table: MoviePiece[] = [];
    for (const p of pieces) {
      await fh.write(p.data, 0, p.data.length, at);
      table.push({ offset: at, sizes: p.enc.samples.map((s) => s.size), ranks: ranks(p.enc), keyframes: p.enc.samples.flatMap((s, i) => (s.sync ? [i] : [])) });
      at += p.data.length;
    }
    await fh.write(Buffer.from('left by a killed encoder'), 0, 24, at); // must be cut off
    await fh.close();
    let audioCopy: string | undefined;
    if (withAudio) {
      audioCopy = path.join(dir, `${name}.audio.m4a`);
      fs.copyFileSync(audio, audioCopy);
    }
    const size = await finishMovieFile(file, layout, at, { trak: pieces[0].enc.trak, timescale: pieces[0].enc.timescale, sampleDuration: 1001, pieces: table }, audioCopy);
    expect(fs.statSync(file).size).toBe(size);
    if (audioCopy) expect(fs.existsSync(audioCopy)).toBe(false); // its media moved into the movie
    return file;
  }

  it('decodes to the frames of ordinary movies of the same encodes, at exact 24000/1001, with the audio and BT.709 tags; index first', async () => {
    const file = await assemble('joined.mp4', 20_000, true);
    expect(listBoxes(fs.readFileSync(file)).map((b) => b.type)).toEqual(['ftyp', 'moov', 'free', 'mdat']);
    const s = ffprobe(file, ['-count_frames', '-show_entries', 'stream=codec_type,codec_name,r_frame_rate,avg_frame_rate,nb_read_frames,time_base,color_space,color_primaries,color_transfer,color_range,duration']).streams as Record<string, string>[];
    expect(s.find((x) => x.codec_type === 'video')).toMatchObject({
      codec_name: 'h264', r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', nb_read_frames: '12', time_base: '1/24000',
      color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709', color_range: 'tv',
    });
    const a = s.find((x) => x.codec_type === 'audio')!;
    expect(a.codec_name).toBe('aac');
    expect(Math.abs(Number(a.duration) - 0.5)).toBeLessThan(0.03);
    const pts = (ffprobe(file, ['-select_streams', 'v:0', '-show_entries', 'packet=pts']).packets as { pts: number }[]).map((p) => Number(p.pts));
    expect([...pts].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, k) => k * 1001));
    // Decode order and each frame's display time as in ffmpeg's own movies of the same encodes (a decoder reorders by
    // itself, so only the timestamps show a wrong composition table).
    const plainPts = [0, 1].flatMap((p) => (ffprobe(path.join(dir, `plain${p}.mp4`), ['-select_streams', 'v:0', '-show_entries', 'packet=pts']).packets as { pts: number }[]).map((x) => Number(x.pts) + p * 6 * 1001));
    expect(pts).toEqual(plainPts);
    expect(new Set(plainPts.slice(0, 6).map((x, i) => x - i * 1001)).size).toBeGreaterThan(1); // the encodes do reorder (B-frames)
    const got = await decodeAll(file);
    expect(got).toHaveLength(12);
    got.forEach((f, i) => expect(f.equals(reference[i]), `frame ${i}`).toBe(true));
  }, 60_000);

  it('puts the index after the media when the reserved room is too small, and stays the same movie', async () => {
    const file = await assemble('late-index.mp4', 64, false);
    expect(listBoxes(fs.readFileSync(file)).map((b) => b.type)).toEqual(['ftyp', 'free', 'mdat', 'moov']);
    const s = ffprobe(file, ['-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames,avg_frame_rate,duration']).streams as Record<string, string>[];
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ nb_read_frames: '12', avg_frame_rate: '24000/1001', duration: '0.500500' }); // exact: no audio, the track's timescale
    const got = await decodeAll(file);
    got.forEach((f, i) => expect(f.equals(reference[i]), `frame ${i}`).toBe(true));
  }, 60_000);
});

describe('the frame stream encoder', () => {
  it('reports a full disk while its output is appended as DISK_FULL naming the movie (not as an ffmpeg failure)', async () => {
    const enc = createFrameStreamEncoder({
      path: path.join(dir, 'full.mp4'), width: W, height: H, fps: NTSC, codec: 'h264', inputChannels: 3,
      onMedia: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    });
    const err = await (async () => {
      for (let f = 0; f < 40; f++) await enc.write(frame(f));
      await enc.finish();
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DISK_FULL' });
    expect(String((err as Error).message)).toContain('full.mp4');
  }, 30_000);
});

