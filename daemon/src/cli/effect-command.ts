/**
 * Builds a CLI command for an effect from its parameter specs (the same specs
 * the panel builds its controls from), so every effect gets the same options:
 * INPUT -o OUT [--model] [--frames A:B] [--format] [--device] [--json] + its params.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import type { ParamSpec } from '../../../shared/src/params/param-spec.ts';
import { DreamLayerError, toDreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpecInput } from '../../../shared/src/job-spec.ts';
import { getEffect } from '../effects/registry.ts';
import { runJob } from '../pipeline/run-job.ts';
import { resultFileName } from '../pipeline/frame-sinks.ts';
import { createProgressReporter, type ProgressReporter } from './progress-reporter.ts';
import { DEVICES } from '../runtime/providers.ts';

/** `A:B` (both ends included), `A:` is not allowed: ranges are explicit. */
export function parseFrameRange(text: string): { first: number; last: number } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--frames "${text}" is not a range.`, hint: 'Write --frames A:B with 0-based source frame numbers, both ends included (e.g. --frames 0:99).' });
  return { first: Number(m[1]), last: Number(m[2]) };
}

function flagOf(p: ParamSpec): string {
  return p.cli ?? `--${p.name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

function attrOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function paramOption(p: ParamSpec): Option {
  const flag = flagOf(p);
  if (p.type === 'boolean') return new Option(flag, p.help);
  const arg = p.type === 'enum' ? `<${p.options.join('|')}>` : p.type === 'string' ? '<text>' : '<n>';
  const o = new Option(`${flag} ${arg}`, `${p.help} (default: ${JSON.stringify(p.default)})`);
  if (p.type === 'enum') o.choices([...p.options]);
  if (p.type === 'number' || p.type === 'integer') {
    o.argParser((v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `${flag} expects a number, got "${v}".` });
      return n;
    });
  }
  return o;
}

/** Output format from the -o name when --format is absent. */
export function inferOutput(out: string, format: string | undefined): { dir: string; format: string; movieName?: string } {
  const ext = path.extname(out).toLowerCase();
  const fmt = format ?? (ext === '.mp4' ? 'mp4' : ext === '.mov' ? 'prores' : 'png');
  if (fmt === 'png' || fmt === 'exr') return { dir: out, format: fmt };
  if (ext === '.mp4' || ext === '.mov' || ext === '.mkv') return { dir: path.dirname(out), format: fmt, movieName: path.basename(out) };
  return { dir: out, format: fmt };
}

function parseUpscale(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 4) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--upscale expects 2 or 4, got "${v}".`, hint: 'Write --upscale 2 or --upscale 4 (3 works with Lanczos only).' });
  }
  return n;
}

/** `--upscale N [--upscale-model M]` appends an upscale step to the job's chain (every effect gets it). */
export function appendUpscale(job: JobSpecInput, opts: Record<string, unknown>): void {
  if (opts.upscale === undefined) {
    if (opts.upscaleModel !== undefined) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: '--upscale-model was given without --upscale.', hint: 'Add --upscale 2 (or 4).' });
    return;
  }
  job.then = [...(job.then ?? []), { effect: 'upscale', params: { scale: opts.upscale as number }, model: opts.upscaleModel as string | undefined }];
}

/**
 * Runs a job from the command line: progress and the result go to `reporter`, Ctrl-C cancels between frames (finished
 * frames stay, so running the same command again resumes). Shared by the effect commands and `dreamlayer run`.
 */
export async function runJobReported(job: JobSpecInput, reporter: ProgressReporter): Promise<void> {
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await runJob(job, { signal: ac.signal, onProgress: (p) => reporter.progress(p), log: (l) => reporter.log(l) });
    const where = result.movie ? path.join(job.output.dir, result.movie) : path.join(job.output.dir, resultFileName(job.output as never));
    reporter.done(result, where);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export interface EffectCommandExtras {
  /** Extra options beyond the effect params. */
  options?: Option[];
  /** Adjust the job (e.g. chain steps) from the parsed options. */
  amend?: (job: JobSpecInput, opts: Record<string, unknown>) => void | Promise<void>;
  /** Take over the command for special modes (e.g. --list); return true when handled. */
  intercept?: (input: string, opts: Record<string, unknown>) => Promise<boolean>;
}

export function registerEffectCommand(program: Command, effectName: string, extras: EffectCommandExtras = {}): Command {
  const eff = getEffect(effectName);
  const d = eff.descriptor;
  const cmd = program
    .command(d.name)
    .description(d.description)
    .argument('<input>', 'video file, image, or image sequence (folder or printf pattern)')
    .requiredOption('-o, --output <path>', 'result folder (PNG frames + result.json), or a movie file (.mp4, .mov)')
    .option('--model <id|file>', `catalog id or .onnx file (default: ${d.defaultModel ?? 'none'})`)
    .option('--frames <A:B>', '0-based source frames to render, both ends included')
    .addOption(new Option('--format <format>', 'output format').choices([...d.formats]))
    .addOption(new Option('--device <device>', 'compute device').choices([...DEVICES]).default('auto'))
    .option('--crf <n>', 'movie quality for mp4/h265 (lower = better; default 18)', (v) => Number(v))
    .option('--keep-frames', 'keep the PNG frames of a movie output')
    .option('--json', 'print one JSON event per line instead of a progress bar');
  for (const p of d.params) cmd.addOption(paramOption(p));
  const chainable = d.name !== 'upscale';
  if (chainable) {
    cmd
      .option('--upscale <n>', 'then enlarge every frame ×N (2 or 4) in the same pass', parseUpscale)
      .option('--upscale-model <id|file>', 'super-resolution model for --upscale (default: Lanczos)');
  }
  for (const o of extras.options ?? []) cmd.addOption(o);
  cmd.action(async (input: string, opts: Record<string, unknown>) => {
    const reporter = createProgressReporter({ json: Boolean(opts.json), label: d.name });
    try {
      if (extras.intercept && (await extras.intercept(input, opts))) return;
      const params: Record<string, unknown> = {};
      for (const p of d.params) {
        const v = opts[attrOf(flagOf(p))];
        if (v !== undefined) params[p.name] = v;
      }
      const out = inferOutput(String(opts.output), opts.format as string | undefined);
      const job: JobSpecInput = {
        effect: d.name,
        params,
        model: opts.model as string | undefined,
        device: opts.device as JobSpecInput['device'],
        input: { path: input, frames: opts.frames ? parseFrameRange(String(opts.frames)) : undefined },
        output: { dir: out.dir, format: out.format as 'png', movieName: out.movieName, crf: opts.crf as number | undefined, keepFrames: Boolean(opts.keepFrames) },
      };
      await extras.amend?.(job, opts);
      if (chainable) appendUpscale(job, opts);
      await runJobReported(job, reporter);
    } catch (e) {
      const err = toDreamLayerError(e);
      reporter.failed(err);
      throw err;
    }
  });
  return cmd;
}
