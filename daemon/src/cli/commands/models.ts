/**
 * `dreamlayer models list | pull | add | verify | path`: the model store from
 * the terminal. Human output on stderr/stdout; --json prints machine-readable
 * output (pull: one JSON event per line).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { addModel } from '../../models/add.ts';
import { listModels, MODEL_TASKS } from '../../models/catalog.ts';
import { pullModel, type PullProgress } from '../../models/pull.ts';
import { catalogFilePath, readLocalRegistry, resolveStoreDir } from '../../models/store.ts';
import { verifyModel } from '../../models/verify.ts';

/** 1536 → "1.5 KB" (powers of 1024, one decimal). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const m = Math.floor(t / 60);
  return `${m}:${String(t % 60).padStart(2, '0')}`;
}

const taskOption = () => new Option('--task <task>', 'model task').choices([...MODEL_TASKS]);

interface ListRow {
  id: string;
  task: string;
  title: string;
  size: number | null;
  installed: boolean;
  verified: boolean;
  licence: string;
  distribution: string;
  default: boolean;
}

function listRows(task?: string): ListRow[] {
  const dir = resolveStoreDir();
  const reg = readLocalRegistry(dir);
  const rows: ListRow[] = listModels({ task }).map((m) => ({
    id: m.id,
    task: m.task,
    title: m.title,
    size: m.size ?? reg.models[m.id]?.size ?? null,
    installed: m.distribution === 'builtin' || (!!m.file && existsSync(catalogFilePath(dir, m.file))),
    verified: m.verified,
    licence: m.licence,
    distribution: m.distribution,
    default: !!m.default,
  }));
  for (const [id, r] of Object.entries(reg.models)) {
    if (r.origin !== 'add' || (task && r.task !== task)) continue;
    rows.push({ id, task: r.task, title: `added from ${r.from ?? '?'}`, size: r.size, installed: existsSync(path.join(dir, r.file)), verified: false, licence: '(yours)', distribution: 'local', default: false });
  }
  return rows;
}

function printTable(rows: ListRow[]): void {
  const head = ['ID', 'TASK', 'SIZE', 'INSTALLED', 'VERIFIED', 'LICENCE'];
  const body = rows.map((r) => [
    r.id + (r.default ? ' *' : ''),
    r.task,
    r.distribution === 'builtin' ? 'built in' : formatBytes(r.size),
    r.installed ? 'yes' : r.distribution === 'manual' ? 'no (manual)' : 'no',
    r.distribution === 'builtin' ? '-' : r.verified ? 'yes' : 'no',
    r.licence,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(head));
  for (const b of body) console.log(line(b));
  console.log(`\n* default for its task. Store: ${resolveStoreDir()}`);
}

/** The pull progress display: a cli-progress bar on a TTY, plain lines otherwise. */
function pullReporter(id: string, json: boolean) {
  if (json) {
    let last = 0;
    return {
      progress(p: PullProgress) {
        const now = Date.now();
        // One event per line, at most 4 a second while downloading.
        if (p.phase === 'download' && now - last < 250 && p.received !== p.total) return;
        last = now;
        process.stdout.write(JSON.stringify({ event: 'progress', ...p }) + '\n');
      },
      warn: (message: string) => process.stdout.write(JSON.stringify({ event: 'warning', id, message }) + '\n'),
      stop() {},
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = 0;
  const tty = !!process.stderr.isTTY;
  return {
    progress(p: PullProgress) {
      if (p.phase !== 'download') return;
      const payload = { have: formatBytes(p.received), want: formatBytes(p.total), speed: `${formatBytes(p.bytesPerSecond)}/s`, etaText: formatEta(p.etaSeconds) };
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: `${id} |{bar}| {percentage}% | {have}/{want} | {speed} | ETA {etaText}`, hideCursor: true, stream: process.stderr, clearOnComplete: false },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total ?? Math.max(p.received, 1), p.received, payload);
        } else {
          if (p.total !== null) bar.setTotal(p.total);
          bar.update(p.received, payload);
        }
      } else if (Date.now() - lastLine > 5000 || p.received === p.total) {
        lastLine = Date.now();
        process.stderr.write(`${id}: ${payload.have}/${payload.want} ${payload.speed} ETA ${payload.etaText}\n`);
      }
    },
    warn: (message: string) => {
      bar?.stop();
      bar = null;
      process.stderr.write(`\nWARNING: ${message}\n\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}

export function register(program: Command): void {
  const models = program.command('models').description('List, download, add and verify the ONNX models the effects use.');

  models
    .command('list')
    .description('List the catalog models and the ones you added (installed?, verified checksum, licence).')
    .addOption(taskOption())
    .option('--json', 'print JSON')
    .action((o: { task?: string; json?: boolean }) => {
      const rows = listRows(o.task);
      if (o.json) console.log(JSON.stringify(rows, null, 2));
      else printTable(rows);
    });

  models
    .command('pull')
    .description('Download a catalog model into the store: resumes an interrupted download, verifies the SHA-256, refuses a mismatch.')
    .argument('<id>', 'catalog id (see `dreamlayer models list`)')
    .option('--force', 'download again even if a matching file is present')
    .option('--json', 'print one JSON event per line')
    .action(async (id: string, o: { force?: boolean; json?: boolean }) => {
      const rep = pullReporter(id, !!o.json);
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      try {
        const r = await pullModel(id, { force: o.force, signal: ac.signal, onProgress: rep.progress, onWarning: rep.warn });
        rep.stop();
        if (o.json) process.stdout.write(JSON.stringify({ event: 'done', ...r }) + '\n');
        else if (r.status === 'builtin') console.log(`${id} is built into DreamLayer: nothing to download.`);
        else if (r.status === 'present') console.log(`${id} is already in the store: ${r.path}${r.verified ? ' (checksum verified)' : ''}`);
        else console.log(`${id} → ${r.path}\nSHA-256 ${r.sha256}${r.verified ? ' (matches the published checksum)' : ' (NOT verified: no published checksum)'}${r.resumedFrom ? `; resumed from byte ${r.resumedFrom}` : ''}`);
      } catch (e) {
        rep.stop();
        if (o.json && e instanceof DreamLayerError) process.stdout.write(JSON.stringify({ event: 'failed', error: e.toPayload() }) + '\n');
        throw e;
      } finally {
        process.removeListener('SIGINT', onSig);
      }
    });

  models
    .command('add')
    .description("Register your own ONNX file for a task, after checking its inputs and outputs against the task's contract.")
    .argument('<file>', 'the .onnx file')
    .addOption(taskOption().makeOptionMandatory())
    .option('--id <id>', 'id to use with --model (default: from the file name)')
    .option('--force', 'replace a model added earlier under the same id')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { task: string; id?: string; force?: boolean; json?: boolean }) => {
      const r = await addModel(file, { task: o.task, id: o.id, force: o.force });
      if (o.json) console.log(JSON.stringify({ id: r.id, task: r.task, path: r.path, sha256: r.sha256, size: r.size, layout: r.contract.layout }, null, 2));
      else console.log(`added ${r.id} (${r.task}, ${formatBytes(r.size)}, input layout ${r.contract.layout}) → ${r.path}\nUse it with --model ${r.id}`);
    });

  models
    .command('verify')
    .description('Recompute the SHA-256 of one model (or of every installed model) and compare it with the published or recorded checksum.')
    .argument('[id]', 'catalog id, added id or file path (default: every installed model)')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      const results = await verifyModel(id);
      if (o.json) console.log(JSON.stringify(results, null, 2));
      else if (results.length === 0) console.log(`No models installed in ${resolveStoreDir()}.`);
      else for (const r of results) console.log(r.message);
      const bad = results.filter((r) => r.status === 'mismatch' || (id !== undefined && r.status === 'missing'));
      if (bad.length) {
        throw new DreamLayerError(bad.some((r) => r.status === 'mismatch') ? 'MODEL_CHECKSUM' : 'MODEL_NOT_FOUND', {
          stage: 'model',
          message: `${bad.map((r) => r.id).join(', ')} ${bad.length === 1 ? 'fails' : 'fail'} verification.`,
          hint: `Download again with \`dreamlayer models pull ${bad[0].id} --force\`${bad.length > 1 ? ' (and the others)' : ''}.`,
        });
      }
    });

  models
    .command('path')
    .description('Print the model store folder (set DREAMLAYER_MODELS to move it).')
    .action(() => console.log(resolveStoreDir()));
}
