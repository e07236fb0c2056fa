import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJsonAtomicSync } from '../../../daemon/src/io/atomic-file.ts';
import { acquireDataDirLock } from '../../../daemon/src/jobs/data-dir-lock.ts';
import { JobStore } from '../../../daemon/src/jobs/job-store.ts';
import { LatestThrottle } from '../../../daemon/src/jobs/throttle.ts';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-dur-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('atomic JSON and the job store', () => {
  it('replaces files whole and leaves no temp files', () => {
    const f = path.join(dir, 'a.json');
    writeJsonAtomicSync(f, { n: 1 });
    writeJsonAtomicSync(f, { n: 2 }, { mode: 0o600 });
    if (process.platform !== 'win32') expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(f, 'utf8'))).toEqual({ n: 2 });
    expect(fs.readdirSync(dir)).toEqual(['a.json']);
  });

  it('skips damaged records instead of failing to start', () => {
    const store = new JobStore(path.join(dir, 'jobs'));
    fs.mkdirSync(path.join(dir, 'jobs', 'j-bad'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'jobs', 'j-bad', 'job.json'), '{"id":"j-bad"');
    fs.mkdirSync(path.join(dir, 'jobs', 'j-worse'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'jobs', 'j-worse', 'job.json'), '{"id":"j-worse","state":"exploded"}');
    const bad: string[] = [];
    expect(store.loadAll((id) => bad.push(id))).toEqual([]);
    expect(bad.sort()).toEqual(['j-bad', 'j-worse']);
    expect(() => store.load('../x')).toThrow(/No job/);
  });
});

describe('data folder lock', () => {
  it('lets one process hold it, takes over a stale lock, and releases', () => {
    const lock = acquireDataDirLock(dir, 'test');
    expect(() => acquireDataDirLock(dir, 'again')).toThrow(expect.objectContaining({ code: 'DAEMON_RUNNING' }));
    lock.release();
    // A lock naming a process that no longer exists (kill -9) is stale and taken over.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    fs.writeFileSync(path.join(dir, 'daemon.lock'), JSON.stringify({ pid: deadPid }));
    const taken = acquireDataDirLock(dir, 'test');
    expect(JSON.parse(fs.readFileSync(taken.file, 'utf8')).pid).toBe(process.pid);
    taken.release();
    expect(fs.existsSync(path.join(dir, 'daemon.lock'))).toBe(false);
    // A live process of someone else blocks.
    fs.writeFileSync(path.join(dir, 'daemon.lock'), JSON.stringify({ pid: process.ppid, what: 'daemon' }));
    expect(() => acquireDataDirLock(dir, 'test')).toThrow(expect.objectContaining({ code: 'DAEMON_RUNNING' }));
  });
});

describe('LatestThrottle', () => {
  it('delivers the first value at once, coalesces a burst to its latest value, and flushes it', () => {
    const got: number[] = [];
    const t = new LatestThrottle<number>(60_000, (v) => got.push(v));
    t.push(1);
    t.push(2);
    t.push(3);
    expect(got).toEqual([1]);
    t.flush();
    expect(got).toEqual([1, 3]);
    t.push(4);
    t.cancel();
    t.flush();
    expect(got).toEqual([1, 3]);
  });
});
