/**
 * `dreamlayer jobs list|get|resume|cancel|rm`: the durable job records.
 * When a daemon runs on this data folder, the commands go through its HTTP API
 * (it owns the records and the running jobs). When none runs, they work on the
 * records in the data folder directly, holding the data-folder lock; `resume`
 * then runs the job in the foreground with a progress bar.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { summarizeJob, type JobRecord, type JobSummary } from '../../../../shared/src/protocol/messages.ts';
import { acquireDataDirLock } from '../../jobs/data-dir-lock.ts';
import { JobManager } from '../../jobs/job-manager.ts';
import { JobStore } from '../../jobs/job-store.ts';
import { LogManager } from '../../logs/log-manager.ts';
import { configDir, dataDir, dataPaths } from '../../server/app-dirs.ts';
import { callDaemon, findRunningDaemon, type DaemonEndpoint } from '../../server/daemon-client.ts';
import { createProgressReporter } from '../progress-reporter.ts';

interface Where {
  daemon: DaemonEndpoint | null;
  data: ReturnType<typeof dataPaths>;
}

async function locate(): Promise<Where> {
  const data = dataPaths(dataDir());
  const ep = await findRunningDaemon(configDir());
  // A daemon on another data folder (other DREAMLAYER_DATA_DIR) does not own these records.
  const daemon = ep && path.resolve(ep.info.dataDir) === path.resolve(data.root) ? ep : null;
  return { daemon, data };
}

/** A record left `running` with no daemon alive was interrupted; show it so. */
function localView(r: JobRecord): JobRecord {
  return r.state === 'running' ? { ...r, state: 'interrupted' } : r;
}

function withLock<T>(root: string, what: string, fn: () => T): T {
  const lock = acquireDataDirLock(root, what);
  try {
    return fn();
  } finally {
    lock.release();
  }
}

function fmtProgress(s: JobSummary): string {
  return s.progress ? `${s.progress.done}/${s.progress.total}` : '-';
}

function printList(jobs: JobSummary[]): void {
  if (!jobs.length) {
    process.stdout.write('No jobs.\n');
    return;
  }
  const rows = jobs.map((j) => [j.id, j.state, fmtProgress(j), j.effect, j.updatedAt.replace('T', ' ').slice(0, 19), `${j.input} -> ${j.output}`]);
  const head = ['ID', 'STATE', 'FRAMES', 'EFFECT', 'UPDATED', 'INPUT -> OUTPUT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n');
}

function tail(file: string | null, lines: number): string[] {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

function printRecord(r: JobRecord): void {
  const p = r.progress;
  const out = [
    `Job ${r.id}: ${r.state}`,
    `  effect   ${r.spec.effect}${r.spec.model ? ` (model ${r.spec.model})` : ''}, device ${r.spec.device}`,
    `  input    ${r.spec.input.path}${r.spec.input.frames ? ` frames ${r.spec.input.frames.first}:${r.spec.input.frames.last}` : ''}`,
    `  output   ${r.spec.output.dir} (${r.spec.output.format})`,
    `  params   ${JSON.stringify(r.spec.params)}`,
    `  created  ${r.createdAt}   updated ${r.updatedAt}${r.finishedAt ? `   finished ${r.finishedAt}` : ''}`,
    `  attempts ${r.attempts}`,
    `  progress ${p ? `${p.done}/${p.total} frames (last frame ${p.frame ?? '-'}, stage ${p.stage})` : 'not started'}`,
  ];
  if (r.result) out.push(`  result   ${r.result.frames.count} frames ${r.result.width}x${r.result.height} @ ${r.result.fps} fps: ${r.result.pattern ?? r.result.movie}`);
  if (r.error) {
    out.push(`  error    ${r.error.code}${r.error.frame !== undefined ? ` at frame ${r.error.frame}` : ''}${r.error.stage ? ` (stage ${r.error.stage})` : ''}: ${r.error.message}`);
    out.push(`  hint     ${r.error.hint}`);
    if (r.error.details) out.push('  details (ffmpeg stderr tail):', ...r.error.details.split('\n').map((l) => `    ${l}`));
  }
  if (r.log) {
    out.push(`  log      ${r.log}`);
    const t = tail(r.log, 15);
    if (t.length) out.push('  last log lines:', ...t.map((l) => `    ${l}`));
  }
  process.stdout.write(out.join('\n') + '\n');
}

/**
 * Runs a job in this process (no daemon), with a progress bar; Ctrl-C leaves it interrupted.
 * No path confinement here: the user runs it on their own records, as with `dreamlayer stylize`.
 */
async function resumeInForeground(data: Where['data'], id: string): Promise<JobRecord> {
  const lock = acquireDataDirLock(data.root, 'dreamlayer jobs resume');
  const ac = { stop: () => {} };
  const onSigint = () => ac.stop();
  try {
    const { loadEngineDeps } = await import('../../server/engine-deps.ts');
    const engine = await loadEngineDeps();
    const manager = new JobManager({ store: new JobStore(data.jobs), runner: engine.runner, logs: new LogManager(data.logs) });
    manager.load({ autoResume: false, requeue: false });
    const rec = manager.get(id);
    const reporter = createProgressReporter({ json: false, label: rec.spec.effect });
    manager.events.on((e) => {
      if (e.type === 'progress' && e.jobId === id) reporter.progress(e.progress);
    });
    ac.stop = () => void manager.shutdown();
    process.on('SIGINT', onSigint);
    manager.resume(id);
    await manager.idle();
    const final = manager.get(id);
    if (final.state === 'done' && final.result) reporter.done(final.result, final.spec.output.dir);
    return final;
  } finally {
    process.off('SIGINT', onSigint);
    lock.release();
  }
}

export function register(program: Command): void {
  const jobs = program.command('jobs').description('List, inspect, resume, cancel or remove daemon jobs (through the daemon when one runs, else on disk).');

  jobs
    .command('list')
    .description('List the jobs, oldest first.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const w = await locate();
      const list = w.daemon ? (await callDaemon<{ jobs: JobSummary[] }>(w.daemon, 'GET', '/jobs')).jobs : new JobStore(w.data.jobs).loadAll().map((r) => summarizeJob(localView(r)));
      if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else printList(list);
    });

  jobs
    .command('get')
    .description("Show one job: spec, state, progress, result, and on failure the code, frame, hint, ffmpeg's stderr tail and the log's last lines.")
    .argument('<id>')
    .option('--json', 'print the job record as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const w = await locate();
      const rec = w.daemon ? (await callDaemon<{ job: JobRecord }>(w.daemon, 'GET', `/jobs/${encodeURIComponent(id)}`)).job : localView(new JobStore(w.data.jobs).load(id));
      if (opts.json) process.stdout.write(JSON.stringify(rec, null, 2) + '\n');
      else printRecord(rec);
    });

  jobs
    .command('resume')
    .description('Continue an interrupted, failed or cancelled job from its first unfinished frame (in the foreground when no daemon runs).')
    .argument('<id>')
    .action(async (id: string) => {
      const w = await locate();
      if (w.daemon) {
        const r = await callDaemon<{ job: JobRecord; position: number }>(w.daemon, 'POST', `/jobs/${encodeURIComponent(id)}/resume`);
        process.stdout.write(`Job ${id} queued on the daemon (${r.position} ahead of it).\n`);
        return;
      }
      const final = await resumeInForeground(w.data, id);
      if (final.state === 'failed' && final.error) throw new DreamLayerError(final.error.code, { message: final.error.message, hint: final.error.hint, frame: final.error.frame, details: final.error.details });
      if (final.state !== 'done') process.stdout.write(`Job ${id} is ${final.state}.\n`);
    });

  jobs
    .command('cancel')
    .description('Cancel a queued, running or interrupted job (finished frames are kept; resume continues from them).')
    .argument('<id>')
    .action(async (id: string) => {
      const w = await locate();
      if (w.daemon) {
        await callDaemon(w.daemon, 'POST', `/jobs/${encodeURIComponent(id)}/cancel`);
        process.stdout.write(`Cancel requested for job ${id}.\n`);
        return;
      }
      withLock(w.data.root, 'dreamlayer jobs cancel', () => {
        const store = new JobStore(w.data.jobs);
        const rec = store.load(id);
        if (rec.state === 'done' || rec.state === 'failed' || rec.state === 'cancelled') throw new DreamLayerError('JOB_STATE', { message: `Job ${id} is already ${rec.state}.` });
        const t = new Date().toISOString();
        store.save({ ...rec, state: 'cancelled', finishedAt: t, updatedAt: t });
      });
      process.stdout.write(`Job ${id} cancelled.\n`);
    });

  jobs
    .command('rm')
    .description('Remove a finished, failed, cancelled or interrupted job record (output files stay).')
    .argument('<id>')
    .action(async (id: string) => {
      const w = await locate();
      if (w.daemon) {
        await callDaemon(w.daemon, 'DELETE', `/jobs/${encodeURIComponent(id)}`);
      } else {
        withLock(w.data.root, 'dreamlayer jobs rm', () => {
          const store = new JobStore(w.data.jobs);
          const rec = localView(store.load(id));
          if (rec.state === 'queued') throw new DreamLayerError('JOB_STATE', { message: `Job ${id} is queued.`, hint: 'Cancel it first (`dreamlayer jobs cancel ID`).' });
          store.remove(id);
        });
      }
      process.stdout.write(`Job ${id} removed.\n`);
    });
}
