/**
 * The daemon as the panel sees it: a real child process, a real WebSocket
 * client, a real clip and real style networks. Message order, outputs on disk,
 * the HTTP read side, per-client isolation, queueing and cancel.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryKind, BinaryEncoding } from '../../../shared/src/protocol/binary-frame.ts';
import type { DaemonMessage, DaemonMessageOf, JobRecord } from '../../../shared/src/protocol/messages.ts';
import { sharedData, sharedModel } from '../../helpers/shared-path.ts';
import { makeTempRoot, spawnDaemon, type DaemonProcess } from './helpers/daemon-process.ts';
import { pairedClient, type TestClient } from './helpers/ws-client.ts';

const CLIP = sharedData('video/person-walk_768x432_10fps.mp4');
const CANDY = sharedModel('style/candy.onnx');

let root: string;
let d: DaemonProcess;
const clients: TestClient[] = [];

function job(out: string, first: number, last: number, model = 'builtin:toon') {
  return { effect: 'stylize', model, params: { width: 160 }, device: 'cpu', input: { path: CLIP, frames: { first, last } }, output: { dir: path.join(root, out), format: 'png' } };
}

async function submit(c: TestClient, spec: ReturnType<typeof job>): Promise<DaemonMessageOf<'job.accepted'>> {
  const r = await c.request({ type: 'job.submit', job: spec });
  if (r.type !== 'job.accepted') throw new Error(`submit refused: ${JSON.stringify(r)}`);
  return r;
}

async function http(route: string): Promise<Response> {
  return fetch(`${d.url}${route}`, { headers: { authorization: `Bearer ${d.token}` } });
}

const pngs = (dir: string) => fs.readdirSync(dir).filter((n) => /^frame_\d{6}\.png$/.test(n)).sort();

beforeAll(async () => {
  root = makeTempRoot();
  d = await spawnDaemon({ root });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await d?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('daemon job flow', () => {
  it('runs a stylize job on a real clip with the candy network: full message sequence, outputs, previews, HTTP read side', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    clients.push(c);
    const welcome = c.messages.find((m) => m.type === 'welcome') as DaemonMessageOf<'welcome'>;
    expect(welcome.providers).toContain('cpu');
    const stylize = welcome.effects.find((e) => e.name === 'stylize');
    expect(stylize?.params.map((p) => p.name)).toEqual(expect.arrayContaining(['strength', 'temporal', 'width']));
    expect(welcome.limits.maxJsonBytes).toBe(256 * 1024);

    const acc = await submit(c, job('candy', 0, 5, CANDY));
    const id = acc.jobId;
    expect(acc.position).toBe(0);
    expect(acc.job.state).toBe('queued');
    const done = await c.waitJob('job.done', id, 90_000);

    // Order: accepted, started, progress…, done — nothing else about this job.
    const seq = c.jobMessages(id).map((m) => m.type);
    expect(seq[0]).toBe('job.accepted');
    expect(seq[1]).toBe('job.started');
    expect(seq[seq.length - 1]).toBe('job.done');
    expect(seq.slice(2, -1).every((t) => t === 'job.progress')).toBe(true);
    const progress = c.jobMessages(id).filter((m): m is DaemonMessageOf<'job.progress'> => m.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    expect(new Set(progress.map((p) => p.total))).toEqual(new Set([6]));
    expect(progress.at(-1)!.done).toBe(6);
    expect((c.jobMessages(id)[1] as DaemonMessageOf<'job.started'>).resumed).toBe(false);

    expect(done.outputs).toMatchObject({ dir: path.join(root, 'candy'), pattern: 'frame_%06d.png', frames: { first: 0, last: 5, count: 6 }, fps: 10, width: 160, height: 90 });
    expect(done.result.model?.path).toBe(CANDY);
    expect(pngs(path.join(root, 'candy'))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `frame_${String(i).padStart(6, '0')}.png`));

    // At least one binary preview: our header, this job, a JPEG.
    const previews = c.binaries.filter((b) => b.id === id);
    expect(previews.length).toBeGreaterThan(0);
    expect(previews[0]).toMatchObject({ kind: BinaryKind.PREVIEW, encoding: BinaryEncoding.JPEG });
    expect([previews[0]!.payload[0], previews[0]!.payload[1]]).toEqual([0xff, 0xd8]);
    expect(c.invalid).toEqual([]);

    // HTTP mirrors it.
    const rec = ((await (await http(`/v1/jobs/${id}`)).json()) as { job: JobRecord }).job;
    expect(rec.state).toBe('done');
    expect(rec.attempts).toBe(1);
    expect(rec.result?.frames.count).toBe(6);
    const list = (await (await http('/v1/jobs')).json()) as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).toContain(id);
    const prev = await http(`/v1/jobs/${id}/preview`);
    expect(prev.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = new Uint8Array(await prev.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const models = (await (await http('/v1/models')).json()) as { models: { id: string }[] };
    expect(models.models.map((m) => m.id)).toContain('builtin:toon');

    // The durable record and the job log.
    const onDisk = JSON.parse(fs.readFileSync(path.join(d.dataDir, 'jobs', id, 'job.json'), 'utf8')) as JobRecord;
    expect(onDisk.state).toBe('done');
    expect(fs.readFileSync(rec.log!, 'utf8')).toMatch(/attempt 1 started[\s\S]*done: 6 frames/);
  }, 120_000);

  it('runs a job queued behind another only after the first is done', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    clients.push(c);
    const a = await submit(c, job('qa', 0, 9));
    const b = await submit(c, job('qb', 0, 3));
    expect(b.position).toBeGreaterThanOrEqual(1);
    expect(b.job.state).toBe('queued');
    await c.waitJob('job.done', b.jobId, 90_000);
    const idx = (type: string, jobId: string) => c.messages.findIndex((m) => m.type === type && 'jobId' in m && m.jobId === jobId);
    expect(idx('job.done', a.jobId)).toBeGreaterThan(-1);
    expect(idx('job.started', b.jobId)).toBeGreaterThan(idx('job.done', a.jobId));
    expect(pngs(path.join(root, 'qa'))).toHaveLength(10);
    expect(pngs(path.join(root, 'qb'))).toHaveLength(4);
  }, 120_000);

  it('shows each client only the jobs it submitted or subscribed to', async () => {
    const c1 = await pairedClient(d.wsUrl, d.token);
    const c2 = await pairedClient(d.wsUrl, d.token);
    clients.push(c1, c2);
    const [j1, j2] = await Promise.all([submit(c1, job('iso1', 0, 4)), submit(c2, job('iso2', 10, 14))]);
    await Promise.all([c1.waitJob('job.done', j1.jobId, 90_000), c2.waitJob('job.done', j2.jobId, 90_000)]);
    const about = (c: TestClient) => new Set(c.messages.filter((m): m is DaemonMessage & { jobId: string } => 'jobId' in m).map((m) => m.jobId));
    expect(about(c1)).toEqual(new Set([j1.jobId]));
    expect(about(c2)).toEqual(new Set([j2.jobId]));
    expect(c1.jobMessages(j1.jobId).some((m) => m.type === 'job.progress')).toBe(true);
    expect(c2.jobMessages(j2.jobId).some((m) => m.type === 'job.progress')).toBe(true);
    expect(new Set(c1.binaries.map((b) => b.id))).toEqual(new Set([j1.jobId]));
    expect(new Set(c2.binaries.map((b) => b.id))).toEqual(new Set([j2.jobId]));

    // job.list shows everything; subscribing to another client's job brings its events.
    const listed = await c2.request({ type: 'job.list' });
    expect(listed.type === 'job.listed' && listed.jobs.map((j) => j.id)).toEqual(expect.arrayContaining([j1.jobId, j2.jobId]));
    const j3 = await submit(c1, job('iso3', 20, 24));
    const info = await c2.request({ type: 'job.subscribe', jobId: j3.jobId });
    expect(info.type).toBe('job.info');
    const d2 = await c2.waitJob('job.done', j3.jobId, 90_000);
    expect(d2.outputs.frames.count).toBe(5);
  }, 120_000);

  it('cancels a running job between frames, keeps its finished frames, and resumes it to the end', async () => {
    const c = await pairedClient(d.wsUrl, d.token);
    clients.push(c);
    const a = await submit(c, job('cancel', 0, 29));
    // A second job waits behind it: cancelling a queued job is immediate and it never starts.
    const q = await submit(c, job('cancel-queued', 0, 3));
    await c.waitFor((m) => m.type === 'job.progress' && m.jobId === a.jobId && m.done >= 2, 'progress ≥ 2');
    c.send({ type: 'job.cancel', jobId: q.jobId });
    await c.waitJob('job.cancelled', q.jobId);
    c.send({ type: 'job.cancel', jobId: a.jobId });
    await c.waitJob('job.cancelled', a.jobId, 60_000);
    expect(c.jobMessages(q.jobId).some((m) => m.type === 'job.started')).toBe(false);

    const rec = ((await (await http(`/v1/jobs/${a.jobId}`)).json()) as { job: JobRecord }).job;
    expect(rec.state).toBe('cancelled');
    const kept = pngs(path.join(root, 'cancel'));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(30);
    const mtimes = new Map(kept.map((n) => [n, fs.statSync(path.join(root, 'cancel', n)).mtimeMs]));

    // Cancelling again is a state error; resuming continues from the first unfinished frame.
    const again = await c.request({ type: 'job.cancel', jobId: a.jobId });
    expect(again.type === 'error' && again.error.code).toBe('JOB_STATE');
    const res = await c.request({ type: 'job.resume', jobId: a.jobId });
    expect(res.type).toBe('job.accepted');
    await c.waitJob('job.done', a.jobId, 90_000);
    const started = c.messages.filter((m): m is DaemonMessageOf<'job.started'> => m.type === 'job.started' && m.jobId === a.jobId);
    expect(started.map((m) => [m.attempt, m.resumed])).toEqual([[1, false], [2, true]]);
    expect(pngs(path.join(root, 'cancel'))).toHaveLength(30);
    // Frames finished before the cancel were not rewritten.
    for (const [n, t] of mtimes) expect(fs.statSync(path.join(root, 'cancel', n)).mtimeMs).toBe(t);
  }, 120_000);
});
