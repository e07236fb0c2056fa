import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { JobSpecSchema, type JobSpec, type ResultRecord } from '../../../shared/src/job-spec.ts';
import type { JobEvent } from '../../../daemon/src/jobs/job-events.ts';
import { JobManager } from '../../../daemon/src/jobs/job-manager.ts';
import type { JobRunner, RunContext } from '../../../daemon/src/jobs/job-runner.ts';
import { JobStore } from '../../../daemon/src/jobs/job-store.ts';
import { LogManager } from '../../../daemon/src/logs/log-manager.ts';

/**
 * A stub engine whose frames advance only when the test says so, so every
 * ordering is deterministic without timers. It honours the abort signal between frames.
 */
class GatedRunner implements JobRunner {
  readonly runs: { spec: JobSpec; ctx: RunContext }[] = [];
  private gates: (() => void)[] = [];
  failAt: { frame: number; details: string } | null = null;

  run(spec: JobSpec, ctx: RunContext): Promise<ResultRecord> {
    this.runs.push({ spec, ctx });
    const total = spec.input.frames!.last - spec.input.frames!.first + 1;
    return (async () => {
      for (let i = 0; i < total; i++) {
        await new Promise<void>((resolve, reject) => {
          if (ctx.signal?.aborted) return reject(new DreamLayerError('CANCELLED'));
          const gate = () => resolve();
          this.gates.push(gate);
          ctx.signal?.addEventListener('abort', () => {
            this.gates = this.gates.filter((g) => g !== gate);
            reject(new DreamLayerError('CANCELLED'));
          }, { once: true });
        });
        if (this.failAt?.frame === i) throw new DreamLayerError('FFMPEG_FAILED', { stage: 'decode', frame: i, details: this.failAt.details });
        ctx.onProgress?.({ done: i + 1, total, fps: 1, etaSeconds: total - i - 1, stage: 'infer', frame: i });
        ctx.onPreview?.(i, Buffer.from([0xff, 0xd8, i]));
        ctx.log?.(`frame ${i}`);
      }
      return { effect: spec.effect, chain: [spec.effect], input: spec.input.path, model: null, device: 'cpu', fps: 24, fpsRational: '24/1', width: 8, height: 8, frames: { first: 0, last: total - 1, count: total }, pattern: 'frame_%06d.png', movie: null, params: {}, timing: { seconds: 1, framesPerSecond: 1 } };
    })();
  }

  /** Lets `n` pending frames proceed and waits until the runner has asked again. */
  async step(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      await until(() => this.gates.length > 0);
      this.gates.shift()!();
    }
    await tick();
  }
}

const tick = () => new Promise((r) => setImmediate(r));
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !pred(); i++) await tick();
  if (!pred()) throw new Error('condition never became true');
}

const spec = (frames: number, out = '/tmp/out'): JobSpec => JobSpecSchema.parse({ effect: 'stylize', input: { path: '/tmp/in.mp4', frames: { first: 0, last: frames - 1 } }, output: { dir: out } });

let dir: string;
let runner: GatedRunner;
let events: JobEvent[];

function manager(opts: { concurrency?: number } = {}): JobManager {
  const m = new JobManager({ store: new JobStore(path.join(dir, 'jobs')), logs: new LogManager(path.join(dir, 'logs')), runner, concurrency: opts.concurrency, progressIntervalMs: 0, previewIntervalMs: 0, persistIntervalMs: 0 });
  m.events.on((e) => events.push(e));
  return m;
}
const types = (id: string) => events.filter((e) => ('jobId' in e ? e.jobId : e.type === 'queued' ? e.job.id : '') === id).map((e) => e.type);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-jm-'));
  runner = new GatedRunner();
  events = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('JobManager', () => {
  it('runs one job at a time by default, in submission order, and records the result', async () => {
    const m = manager();
    const a = m.submit(spec(2));
    const b = m.submit(spec(1));
    expect(m.position(a.id)).toBe(0);
    expect(m.position(b.id)).toBe(1);
    await runner.step(2);
    await until(() => m.get(a.id).state === 'done');
    expect(m.get(b.id).state).not.toBe('done');
    await runner.step(1);
    await until(() => m.get(b.id).state === 'done');
    expect(types(a.id)).toEqual(['queued', 'started', 'progress', 'preview', 'progress', 'preview', 'done']);
    const onDisk = new JobStore(path.join(dir, 'jobs')).load(a.id);
    expect(onDisk).toMatchObject({ state: 'done', attempts: 1, result: { frames: { count: 2 } }, progress: { done: 2, total: 2 } });
    expect(fs.readFileSync(onDisk.log!, 'utf8')).toMatch(/frame 1[\s\S]*done: 2 frames/);
    expect(m.latestPreview(a.id)?.[2]).toBe(1);
  });

  it('starts jobs only after submit() returns, so the caller can answer first', () => {
    const m = manager();
    const a = m.submit(spec(1));
    expect(types(a.id)).toEqual(['queued']);
    expect(m.get(a.id).state).toBe('queued');
  });

  it('runs N jobs at once with --concurrency N', async () => {
    const m = manager({ concurrency: 2 });
    m.submit(spec(1));
    m.submit(spec(1));
    m.submit(spec(1));
    await until(() => runner.runs.length === 2);
    await tick();
    expect(runner.runs).toHaveLength(2);
    await runner.step(1);
    await until(() => runner.runs.length === 3);
  });

  it('cancels a queued job at once and a running one between frames, keeping progress', async () => {
    const m = manager();
    const a = m.submit(spec(5));
    const b = m.submit(spec(5));
    await runner.step(2);
    m.cancel(b.id);
    expect(m.get(b.id).state).toBe('cancelled');
    m.cancel(a.id);
    await until(() => m.get(a.id).state === 'cancelled');
    expect(m.get(a.id).progress?.done).toBe(2);
    expect(types(b.id)).toEqual(['queued', 'cancelled']);
    expect(() => m.cancel(a.id)).toThrow(/already cancelled/);
    expect(runner.runs).toHaveLength(1);
    // Resume runs it again with the same spec.
    m.resume(a.id);
    await runner.step(5);
    await until(() => m.get(a.id).state === 'done');
    expect(m.get(a.id).attempts).toBe(2);
    expect(events.filter((e) => e.type === 'started' && e.jobId === a.id)).toEqual([
      { type: 'started', jobId: a.id, resumed: false, attempt: 1 },
      { type: 'started', jobId: a.id, resumed: true, attempt: 2 },
    ]);
  });

  it('keeps the error code, frame and ffmpeg stderr tail of a failed job', async () => {
    const m = manager();
    runner.failAt = { frame: 1, details: 'frame=1 ...\n[h264] error while decoding MB 3 4' };
    const a = m.submit(spec(3));
    await runner.step(2);
    await until(() => m.get(a.id).state === 'failed');
    expect(m.get(a.id).error).toMatchObject({ code: 'FFMPEG_FAILED', frame: 1, stage: 'decode', details: expect.stringContaining('error while decoding') });
    expect(events.at(-1)).toMatchObject({ type: 'failed', jobId: a.id, error: { code: 'FFMPEG_FAILED' } });
    expect(fs.readFileSync(m.get(a.id).log!, 'utf8')).toMatch(/failed: error FFMPEG_FAILED \[frame 1\][\s\S]*error while decoding/);
  });

  it('treats records left running as interrupted at load, and resumes them when asked to', async () => {
    const m1 = manager();
    const a = m1.submit(spec(4));
    const q = m1.submit(spec(1));
    await runner.step(1);
    // Simulate a crash: forget m1 without shutdown; its records say running / queued.
    expect(new JobStore(path.join(dir, 'jobs')).load(a.id).state).toBe('running');

    const m2 = manager();
    const r = m2.load({ autoResume: false });
    expect(r).toEqual({ interrupted: [a.id], resumed: [] });
    expect(m2.get(a.id).state).toBe('interrupted');
    expect(m2.get(q.id).state).toBe('queued');

    // A later start with auto-resume also picks up jobs an earlier run left interrupted.
    const m3 = manager();
    const r3 = m3.load({ autoResume: true });
    expect(r3).toEqual({ interrupted: [], resumed: [a.id] });
    await until(() => runner.runs.length === 3);
    expect(runner.runs[2]!.spec).toEqual(m3.get(a.id).spec);
    expect(fs.readFileSync(m3.get(a.id).log!, 'utf8')).toMatch(/the daemon stopped while this job was running/);
  });

  it('leaves running jobs interrupted on shutdown and refuses new work', async () => {
    const m = manager();
    const a = m.submit(spec(3));
    await runner.step(1);
    await m.shutdown();
    expect(m.get(a.id).state).toBe('interrupted');
    expect(new JobStore(path.join(dir, 'jobs')).load(a.id).state).toBe('interrupted');
    expect(() => m.submit(spec(1))).toThrow(/shutting down/);
  });

  it('removes finished records but not queued or running ones', async () => {
    const m = manager();
    const a = m.submit(spec(1));
    expect(() => m.remove(a.id)).toThrow(/Cancel it first|queued/);
    await runner.step(1);
    await until(() => m.get(a.id).state === 'done');
    m.remove(a.id);
    expect(m.has(a.id)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'jobs', a.id))).toBe(false);
    expect(() => m.get(a.id)).toThrow(DreamLayerError);
    expect(() => m.resume('j-none')).toThrow(/No job/);
  });
});
