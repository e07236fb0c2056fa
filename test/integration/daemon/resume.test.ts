/**
 * Crash safety: the daemon is killed with SIGKILL in the middle of a job, at a
 * random frame, several times in a row; each restart resumes the job, and the
 * final output is byte-identical to an uninterrupted run. Frames finished
 * before a kill are never rewritten. Also: `--no-auto-resume` leaves the job
 * interrupted for `dreamlayer jobs resume ID` (CLI → daemon HTTP API).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../shared/src/protocol/messages.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';
import { makeTempRoot, runCli, spawnDaemon, type DaemonProcess } from './helpers/daemon-process.ts';
import { pairedClient } from './helpers/ws-client.ts';

const CLIP = sharedData('video/person-walk_768x432_10fps.mp4');
const CANDY = sharedModel('style/candy.onnx');
const FRAMES = 12;

let root: string;
let daemon: DaemonProcess | null = null;
let refDir: string;

const spec = (out: string) => ({ effect: 'stylize', model: CANDY, params: { width: 128 }, device: 'cpu', input: { path: CLIP, frames: { first: 0, last: FRAMES - 1 } }, output: { dir: path.join(root, out), format: 'png' } });
const frameFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^frame_\d{6}\.png$/.test(n)).sort() : []);
const readRecord = (id: string) => JSON.parse(fs.readFileSync(path.join(root, 'data', 'jobs', id, 'job.json'), 'utf8')) as JobRecord;

async function start(args: string[] = []): Promise<DaemonProcess> {
  daemon = await spawnDaemon({ root, args });
  return daemon;
}

/** Runs a job to the end on the current daemon; returns its id. */
async function runToEnd(out: string): Promise<string> {
  const c = await pairedClient(daemon!.wsUrl, daemon!.token);
  const acc = await c.request({ type: 'job.submit', job: spec(out) });
  if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
  await c.waitJob('job.done', acc.jobId, 120_000);
  c.close();
  return acc.jobId;
}

/** Polls the output folder and kills the daemon with SIGKILL as soon as `k` frames are on disk. */
async function killAtFrame(dir: string, k: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (frameFiles(dir).length >= k) {
        clearInterval(t);
        daemon!.child.kill('SIGKILL');
        resolve();
      }
    }, 3);
  });
  await daemon!.kill9();
  daemon = null;
}

/** Waits on a fresh connection until the job is done (it may already be). */
async function waitDone(id: string): Promise<void> {
  const c = await pairedClient(daemon!.wsUrl, daemon!.token);
  const info = await c.request({ type: 'job.subscribe', jobId: id });
  if (info.type !== 'job.info') throw new Error(JSON.stringify(info));
  if (info.job.state !== 'done') await c.waitJob('job.done', id, 120_000);
  c.close();
}

/**
 * Every frame byte for byte, and result.json apart from the statistics of the
 * last attempt: `timing`, and `extra.temporal.meanTrustedShare` (the engine
 * averages it over the frames that attempt computed, so it differs after a resume).
 */
function expectSameOutput(dir: string): void {
  const names = frameFiles(refDir);
  expect(names).toHaveLength(FRAMES);
  expect(frameFiles(dir)).toEqual(names);
  for (const n of names) expect(Buffer.compare(fs.readFileSync(path.join(dir, n)), fs.readFileSync(path.join(refDir, n))), n).toBe(0);
  const strip = (d: string) => {
    const r = JSON.parse(fs.readFileSync(path.join(d, 'result.json'), 'utf8')) as Record<string, unknown>;
    delete r.timing;
    const t = (r.extra as { temporal?: Record<string, unknown> } | undefined)?.temporal;
    if (t) delete t.meanTrustedShare;
    return r;
  };
  const a = strip(dir);
  const b = strip(refDir);
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) expect(a[k], `result.json ${k}`).toEqual(b[k]);
  // Nothing half-written is left looking like a frame.
  expect(fs.readdirSync(dir).filter((n) => !/^frame_\d{6}\.png$/.test(n) && n !== 'result.json' && !n.startsWith('.'))).toEqual([]);
}

beforeAll(async () => {
  root = makeTempRoot('dl-resume-');
  refDir = path.join(root, 'ref');
  await start();
  await runToEnd('ref');
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('resume after kill -9', () => {
  it('survives three SIGKILLs at random frames and ends byte-identical to an uninterrupted run', async () => {
    const out = path.join(root, 'killed');
    const c = await pairedClient(daemon!.wsUrl, daemon!.token);
    const acc = await c.request({ type: 'job.submit', job: spec('killed') });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    const id = acc.jobId;
    const stamps = new Map<string, number>();
    const kills: number[] = [];
    for (let round = 0; round < 3; round++) {
      // A random frame strictly after what is already on disk, within this round's window
      // (1-3, then up to 6, then up to 9), so frames are always left to do.
      const have = frameFiles(out).length;
      const limit = 3 * (round + 1);
      const k = have + 1 + Math.floor(Math.random() * Math.max(1, limit - have));
      kills.push(k);
      await killAtFrame(out, k);
      expect(readRecord(id).state, `round ${round}: killed mid-job`).toBe('running');
      const onDisk = frameFiles(out);
      expect(onDisk.length).toBeGreaterThanOrEqual(k);
      expect(onDisk.length).toBeLessThan(FRAMES);
      for (const n of onDisk) if (!stamps.has(n)) stamps.set(n, fs.statSync(path.join(out, n)).mtimeMs);
      const d = await start();
      expect(d.stdout()).toContain(`Interrupted jobs: ${id} (resuming)`);
    }
    console.log(`killed at frames ${kills.join(', ')}`);
    await waitDone(id);
    expectSameOutput(out);
    // Frames finished before each kill were neither rewritten nor lost.
    for (const [n, t] of stamps) expect(fs.statSync(path.join(out, n)).mtimeMs, n).toBe(t);
    const rec = readRecord(id);
    expect(rec.state).toBe('done');
    expect(rec.attempts).toBe(4);
    expect(fs.readFileSync(rec.log!, 'utf8').match(/the daemon stopped while this job was running/g)).toHaveLength(3);
  }, 180_000);

  it('with --no-auto-resume leaves the job interrupted until `dreamlayer jobs resume ID`', async () => {
    const out = path.join(root, 'manual');
    const c = await pairedClient(daemon!.wsUrl, daemon!.token);
    const acc = await c.request({ type: 'job.submit', job: spec('manual') });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    const id = acc.jobId;
    await killAtFrame(out, 3 + Math.floor(Math.random() * 5));
    const env = { DREAMLAYER_CONFIG_DIR: path.join(root, 'cfg'), DREAMLAYER_DATA_DIR: path.join(root, 'data') };

    // No daemon: the CLI reads the record from disk and reports it interrupted.
    const offline = await runCli(['jobs', 'get', id], env);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`Job ${id}: interrupted`);

    await start(['--no-auto-resume']);
    expect(daemon!.stdout()).toContain('resume with `dreamlayer jobs resume ID`');
    const before = frameFiles(out).length;
    const listed = (await (await fetch(`${daemon!.url}/v1/jobs`, { headers: { authorization: `Bearer ${daemon!.token}` } })).json()) as { jobs: { id: string; state: string }[] };
    expect(listed.jobs.find((j) => j.id === id)?.state).toBe('interrupted');
    expect(frameFiles(out).length).toBe(before); // nothing ran meanwhile

    const resumed = await runCli(['jobs', 'resume', id], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('queued on the daemon');
    await waitDone(id);
    expectSameOutput(out);
  }, 180_000);
  it('a graceful stop (SIGTERM) leaves the job interrupted; `dreamlayer jobs resume ID` without a daemon finishes it in the foreground', async () => {
    const out = path.join(root, 'foreground');
    const c = await pairedClient(daemon!.wsUrl, daemon!.token);
    const acc = await c.request({ type: 'job.submit', job: spec('foreground') });
    if (acc.type !== 'job.accepted') throw new Error(JSON.stringify(acc));
    const id = acc.jobId;
    await c.waitFor((m) => m.type === 'job.progress' && m.jobId === id && m.done >= 2, 'progress ≥ 2');
    expect(await daemon!.stop()).toBe(0);
    daemon = null;
    expect(readRecord(id).state).toBe('interrupted');
    expect(frameFiles(out).length).toBeLessThan(FRAMES);
    expect(fs.existsSync(path.join(root, 'data', 'daemon.lock'))).toBe(false);

    const env = { DREAMLAYER_CONFIG_DIR: path.join(root, 'cfg'), DREAMLAYER_DATA_DIR: path.join(root, 'data') };
    const r = await runCli(['jobs', 'resume', id], env);
    expect(r.code, r.stderr).toBe(0);
    expect(readRecord(id)).toMatchObject({ state: 'done', attempts: 2 });
    expectSameOutput(out);

    const rm = await runCli(['jobs', 'rm', id], env);
    expect(rm.code, rm.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, 'data', 'jobs', id))).toBe(false);
    expect(frameFiles(out)).toHaveLength(FRAMES); // outputs stay
  }, 180_000);
});
