/**
 * `dreamlayer dream INPUT -o OUT [--model ID|FILE] [--layers NAME[:WEIGHT],…] [--octaves N]
 * [--octave-scale S] [--iterations N] [--step S] [--jitter PX] [--guide IMAGE] …` dreams on a
 * still or a clip (the options come from the effect's parameter specs). Special modes:
 *
 * - `--list-layers [--model …]`: the layers one can target (depth, name, op, shape, stride);
 * - `--layers-sheet -o sheet.png`: the picture dreamed once per layer, in a labelled grid;
 * - `--zoom F --frames-out N [--center X,Y] [--rotate DEG] [--reverse] [--fps R]`: the infinite zoom.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DreamLayerError, toDreamLayerError } from '../../../../shared/src/errors.ts';
import { DREAM } from '../../../../shared/src/params/dream.ts';
import { inferOutput, parseFrameRange, registerEffectCommand } from '../effect-command.ts';
import { createProgressReporter } from '../progress-reporter.ts';
import { loadClassifier } from '../../effects/dream/dream-network.ts';
import { defaultLayers, sheetLayers, type LayerTable } from '../../effects/dream/dream-layers.ts';
import { renderLayerSheet } from '../../effects/dream/layer-sheet.ts';
import { runDreamZoom } from '../../effects/dream/dream-zoom-job.ts';
import { resultFileName } from '../../pipeline/frame-sinks.ts';
import type { Device } from '../../runtime/providers.ts';

const num = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `${flag} expects a number, got "${v}".` });
  return n;
};

/** `X,Y` as two numbers. */
export function parseCenter(text: string): [number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((v) => !Number.isFinite(v))) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--center "${text}" is not two numbers.`, hint: 'Write --center X,Y as fractions of the width and height, e.g. --center 0.5,0.5.' });
  }
  return [parts[0]!, parts[1]!];
}

/** The default layers, or none when the model has no layer to dream on (the listing still shows every layer). */
function safeDefault(table: LayerTable): { name: string }[] {
  try {
    return defaultLayers(table);
  } catch {
    return [];
  }
}

/** The table `--list-layers` prints (one line per layer; * marks the default, + the contact sheet's picks). */
export function formatLayerTable(table: LayerTable): string {
  const def = new Set(safeDefault(table).map((l) => l.name));
  const sheet = new Set(sheetLayers(table).map((l) => l.name));
  const shape = (l: LayerTable['layers'][number]) => (l.height !== null ? `${l.channels ?? '?'}×${l.height}×${l.width}` : l.channels !== null ? `${l.channels}` : '?');
  const nameW = Math.max(4, ...table.layers.map((l) => l.name.length));
  const lines = [`  depth  ${'name'.padEnd(nameW)}  ${'op'.padEnd(18)}  ${`shape @ ${table.reference.join('×')}`.padEnd(16)}  stride`];
  for (const l of table.layers) {
    const mark = def.has(l.name) ? '*' : sheet.has(l.name) ? '+' : ' ';
    lines.push(`${mark} ${String(l.depth).padStart(5)}  ${l.name.padEnd(nameW)}  ${l.op.padEnd(18)}  ${shape(l).padEnd(16)}  ${l.stride ?? '–'}`);
  }
  lines.push('* default layer   + on the contact sheet (--layers-sheet)');
  return lines.join('\n');
}

function paramsFrom(opts: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of DREAM.params) if (opts[p.name] !== undefined) params[p.name] = opts[p.name];
  return params;
}

export function register(program: Command): void {
  const cmd = registerEffectCommand(program, 'dream', {
    options: [
      new Option('--list-layers', 'print the layers of the model one can dream on (name, op, shape, depth) and exit'),
      new Option('--layers-sheet', 'contact sheet: dream the picture once per layer (a few per block, or --layers) into one labelled PNG (-o sheet.png; a .json legend beside it)'),
      new Option('--sheet-per-block <n>', 'contact sheet: layers per block of the network (default 2)').argParser(num('--sheet-per-block')),
      new Option('--sheet-max <n>', 'contact sheet: most layers (default 24)').argParser(num('--sheet-max')),
      new Option('--zoom <factor>', 'infinite zoom: enlargement per frame about the centre (e.g. 1.05); needs --frames-out').argParser(num('--zoom')),
      new Option('--frames-out <n>', 'infinite zoom: number of frames to write').argParser(num('--frames-out')),
      new Option('--center <x,y>', 'infinite zoom: fixed point as fractions of width and height (default 0.5,0.5)'),
      new Option('--rotate <deg>', 'infinite zoom: clockwise turn per frame in degrees (default 0)').argParser(num('--rotate')),
      new Option('--reverse', 'infinite zoom: number the frames backwards (plays as a zoom out)'),
      new Option('--fps <rate>', 'infinite zoom: frame rate of a movie output (default 24)').argParser(num('--fps')),
    ],
    async intercept(input, opts) {
      if (opts.listLayers) {
        const c = await loadClassifier(opts.model as string | undefined);
        if (opts.json) process.stdout.write(JSON.stringify({ model: c.record, input: c.table.input, reference: c.table.reference, default: safeDefault(c.table), layers: c.table.layers }) + '\n');
        else process.stdout.write(`${c.record.id}\n${formatLayerTable(c.table)}\n`);
        return true;
      }
      if (!input) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: 'dream needs an INPUT picture or clip.', hint: 'dreamlayer dream INPUT -o OUT (or --list-layers to see the layers).' });
      if (!opts.output) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: 'dream needs an output: -o OUT.', hint: 'A folder for PNG frames, a .mp4/.mov file, or sheet.png with --layers-sheet.' });
      const params = paramsFrom(opts);
      const device = opts.device as Device;
      const reporter = createProgressReporter({ json: Boolean(opts.json), label: 'dream' });
      try {
        if (opts.layersSheet) {
          const r = await renderLayerSheet({
            input, output: String(opts.output), model: opts.model as string | undefined, device, params,
            perBlock: opts.sheetPerBlock as number | undefined, maxLayers: opts.sheetMax as number | undefined,
            log: (l) => reporter.log(l),
            onProgress: (done, total) => reporter.progress({ done, total, fps: 0, etaSeconds: null, stage: 'sheet', frame: done - 1 }),
          });
          if (opts.json) process.stdout.write(JSON.stringify({ event: 'done', output: r.sheet, legend: r.legend, cells: r.cells }) + '\n');
          else process.stderr.write(`done: ${r.cells.length} layers → ${r.sheet} (legend ${r.legend})\n`);
          return true;
        }
        if (opts.zoom !== undefined || opts.framesOut !== undefined) {
          if (opts.zoom === undefined || opts.framesOut === undefined) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: 'The infinite zoom needs both --zoom FACTOR and --frames-out N.' });
          const out = inferOutput(String(opts.output), opts.format as string | undefined);
          const output = { dir: out.dir, format: out.format as 'png', movieName: out.movieName, crf: opts.crf as number | undefined, keepFrames: Boolean(opts.keepFrames) };
          const ac = new AbortController();
          const onSigint = () => ac.abort();
          process.once('SIGINT', onSigint);
          try {
            const result = await runDreamZoom(
              {
                input, frame: opts.frames ? parseFrameRange(String(opts.frames)).first : 0, output, params, model: opts.model as string | undefined, device,
                zoom: opts.zoom as number, framesOut: opts.framesOut as number, center: opts.center ? parseCenter(String(opts.center)) : undefined,
                rotate: opts.rotate as number | undefined, reverse: Boolean(opts.reverse), fps: opts.fps as number | undefined,
              },
              { signal: ac.signal, onProgress: (p) => reporter.progress(p), log: (l) => reporter.log(l) },
            );
            reporter.done(result, result.movie ? path.join(out.dir, result.movie) : path.join(out.dir, resultFileName(output)));
          } finally {
            process.off('SIGINT', onSigint);
          }
          return true;
        }
      } catch (e) {
        const err = toDreamLayerError(e);
        reporter.failed(err);
        throw err;
      }
      return false;
    },
  });
  // --list-layers needs neither a picture nor an output: the checks move into intercept.
  for (const o of cmd.options) if (o.long === '--output') o.mandatory = false;
  for (const a of cmd.registeredArguments) a.required = false;
}
