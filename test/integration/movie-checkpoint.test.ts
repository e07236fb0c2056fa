/**
 * The movie's checkpoint is the movie itself: the disk never holds more than
 * the final file (measured at every step of the job, the end included), and a
 * job killed (SIGKILL) at any step — while a segment's bytes are written but
 * not recorded, right after a record, after the audio, after the index, after
 * the rename — resumes and ends with the same file, byte for byte, as an
 * uninterrupted run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleClip } from '../../daemon/src/io/sample-clip.ts';
import { runJob } from '../../daemon/src/pipeline/run-job.ts';
import { KILL_AT_ENV, movieSinkHooks, SEGMENT_FRAMES_ENV, type MoviePhase } from '../../daemon/src/pipeline/segmented-movie-sink.ts';
import { REPO_ROOT } from '../helpers/shared-path.ts';

const BIN = path.join(REPO_ROOT, 'bin', 'dreamlayer.js');
let dir: string;
let clip: string;

/** Bytes of the files under `d` (hidden ones included), split into JSON records and everything else. */
function usage(d: string): { media: number; records: number } {
  const u = { media: 0, records: 0 };
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) {
      const s = usage(p);
      u.media += s.media;
      u.records += s.records;
    } else if (e.name.endsWith('.json')) u.records += fs.statSync(p).size;
    else u.media += fs.statSync(p).size;
  }
  return u;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-movie-ckpt-'));
  clip = path.join(dir, 'clip.mp4');
  await makeSampleClip(clip, { width: 64, height: 48, frames: 16, fps: 24000 / 1001, audio: true, scene: 'testsrc2' });
});

afterAll(() => {
  movieSinkHooks.onPhase = undefined;
  delete process.env[SEGMENT_FRAMES_ENV];
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('disk use of a movie output', () => {
  it('never exceeds the final movie: not while segments are added, not at the end (no join copy)', async () => {
    process.env[SEGMENT_FRAMES_ENV] = '4';
    const out = path.join(dir, 'peak');
    const seen: { phase: MoviePhase; media: number; records: number }[] = [];
    movieSinkHooks.onPhase = (phase, where) => seen.push({ phase, ...usage(where.outDir) });
    try {
      await runJob({ effect: 'upscale', device: 'cpu', input: { path: clip }, output: { dir: out, format: 'mp4', movieName: 'out.mp4' } });
    } finally {
      movieSinkHooks.onPhase = undefined;
    }
    const final = fs.statSync(path.join(out, 'out.mp4')).size;
    expect(seen.map((s) => s.phase)).toEqual(['piece-data', 'piece', 'piece-data', 'piece', 'piece-data', 'piece', 'piece-data', 'piece', 'audio', 'moov', 'published']);
    // Media bytes on disk at every step, the end included: at most the final movie (it only ever grows into it).
    for (const s of seen) expect(s.media, s.phase).toBeLessThanOrEqual(final);
    expect(seen.find((s) => s.phase === 'moov')!.media).toBe(final);
    // Besides: small records (about 1 kB per segment: frame sizes and the encoder's track description).
    expect(Math.max(...seen.map((s) => s.records))).toBeLessThan(4 * 2048);
    expect(fs.readdirSync(out).sort()).toEqual(['out.mp4', 'out.mp4.result.json']);
  }, 60_000);
});

describe('killed at each step and run again', () => {
  // Asynchronous (not spawnSync): the test worker must keep answering the runner meanwhile.
  const run = (out: string, killAt?: string) =>
    new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [BIN, 'upscale', clip, '--scale', '2', '--device', 'cpu', '-o', out], {
        env: { ...process.env, [SEGMENT_FRAMES_ENV]: '4', ...(killAt ? { [KILL_AT_ENV]: killAt } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('error', reject);
      p.on('close', (status, signal) => resolve({ status, signal, stderr }));
    });
  const parts = (out: string) => path.join(path.dirname(out), '.out.mp4.parts');
  const records = (out: string) => fs.readdirSync(parts(out)).filter((f) => f.startsWith('piece_')).sort();

  it('resumes from every kill point and ends with the same movie as an uninterrupted run', async () => {
    const whole = path.join(dir, 'whole', 'out.mp4');
    const r0 = await run(whole);
    expect(r0.status, r0.stderr).toBe(0);
    const reference = fs.readFileSync(whole);

    const out = path.join(dir, 'killed', 'out.mp4');
    const movieSize = () => fs.statSync(path.join(parts(out), 'movie.mp4')).size;

    // 1. The second segment's bytes are in the movie file, its record is not: it does not count.
    let r = await run(out, 'piece-data:2');
    expect(r.signal).toBe('SIGKILL');
    expect(records(out)).toEqual(['piece_000000-000003.json']);
    const rec0 = JSON.parse(fs.readFileSync(path.join(parts(out), 'piece_000000-000003.json'), 'utf8')) as { offset: number; bytes: number };
    expect(movieSize()).toBeGreaterThan(rec0.offset + rec0.bytes); // unrecorded bytes, cut on resume

    // 2. Resumes after segment 1, killed just after recording segment 2.
    r = await run(out, 'piece:1');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/resuming out\.mp4: 1 of 4 segments \(4 frames\)/);
    expect(records(out)).toEqual(['piece_000000-000003.json', 'piece_000004-000007.json']);

    // 3. Resumes after segment 2, encodes the rest, killed once the audio is appended.
    r = await run(out, 'audio');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/resuming out\.mp4: 2 of 4 segments/);
    expect(records(out)).toHaveLength(4);
    expect(fs.existsSync(out)).toBe(false);

    // 4. Nothing left to encode: the ending is done again, killed after the index is written.
    r = await run(out, 'moov');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/resuming out\.mp4: 4 of 4 segments/);
    expect(fs.existsSync(out)).toBe(false);
    expect(movieSize()).toBe(reference.length);

    // 5. Killed after the rename, before the checkpoint folder is removed.
    r = await run(out, 'published');
    expect(r.signal).toBe('SIGKILL');
    expect(fs.readFileSync(out).equals(reference)).toBe(true);
    expect(fs.existsSync(parts(out))).toBe(true);
    const inode = fs.statSync(out).ino;

    // 6. Recognises the finished movie, keeps it (not made again: the same file), cleans up.
    r = await run(out);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.statSync(out).ino).toBe(inode);
    expect(fs.readdirSync(path.dirname(out)).sort()).toEqual(['out.mp4', 'out.mp4.result.json']);
    expect(fs.readFileSync(out).equals(reference)).toBe(true);
  }, 180_000);
});
