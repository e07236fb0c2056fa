/**
 * Progress on the terminal: a cli-progress bar (frames, fps, ETA) on a TTY,
 * one JSON event per line with --json, and a line every few seconds otherwise
 * (logs of farm jobs).
 */
import cliProgress from 'cli-progress';
import type { ProgressInfo, ResultRecord } from '../../../shared/src/job-spec.ts';
import type { DreamLayerError } from '../../../shared/src/errors.ts';

export interface ProgressReporter {
  progress(p: ProgressInfo): void;
  done(result: ResultRecord, where: string): void;
  failed(err: DreamLayerError): void;
  log(line: string): void;
}

function fmtEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function createProgressReporter(opts: { json: boolean; label: string }): ProgressReporter {
  if (opts.json) {
    const emit = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
    return {
      progress: (p) => emit({ event: 'progress', ...p }),
      done: (result, where) => emit({ event: 'done', output: where, result }),
      failed: (err) => emit({ event: 'failed', error: err.toPayload() }),
      log: (line) => emit({ event: 'log', message: line }),
    };
  }
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${opts.label} |{bar}| {value}/{total} frames | {fps} fps | ETA {etaText} | {stage}`, hideCursor: true, stream: process.stderr, clearOnComplete: false, etaBuffer: 30 },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      progress(p) {
        const payload = { fps: p.fps.toFixed(2), etaText: fmtEta(p.etaSeconds), stage: p.stage };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      },
      done(result, where) {
        if (started) bar.stop();
        process.stderr.write(`done: ${result.frames.count} frames → ${where} (${result.timing.framesPerSecond.toFixed(2)} fps on ${result.device})\n`);
      },
      failed() {
        if (started) bar.stop();
      },
      log: (line) => (started ? bar.update({}) : process.stderr.write(line + '\n')),
    };
  }
  let last = 0;
  return {
    progress(p) {
      const now = Date.now();
      if (now - last < 5000 && p.done < p.total) return;
      last = now;
      process.stderr.write(`${opts.label}: ${p.done}/${p.total} frames, ${p.fps.toFixed(2)} fps, ETA ${fmtEta(p.etaSeconds)} (${p.stage})\n`);
    },
    done: (result, where) => process.stderr.write(`done: ${result.frames.count} frames → ${where} (${result.timing.framesPerSecond.toFixed(2)} fps on ${result.device})\n`),
    failed: () => undefined,
    log: (line) => process.stderr.write(line + '\n'),
  };
}
