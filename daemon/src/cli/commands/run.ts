/**
 * `dreamlayer run RECIPE.json`: runs a job described by a recipe file (a JobSpec
 * as JSON, chains included). Input, output, frame range and device can be
 * overridden, so one recipe serves many clips or many machines of a farm.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { toDreamLayerError } from '../../../../shared/src/errors.ts';
import { loadRecipe } from '../../pipeline/recipe.ts';
import { DEVICES } from '../../runtime/providers.ts';
import { parseFrameRange, runJobReported } from '../effect-command.ts';
import { createProgressReporter } from '../progress-reporter.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description('Run a job (an effect chain) described by a recipe file; see docs/upscale.md, "Recipe files"')
    .argument('<recipe>', 'recipe file (JSON: effect, params, model, input, output, then)')
    .option('-i, --input <path>', "use this input instead of the recipe's")
    .option('-o, --output <path>', "use this output (folder, or .mp4/.mov movie) instead of the recipe's")
    .option('--frames <A:B>', '0-based source frames to render, both ends included')
    .addOption(new Option('--format <format>', 'output format with --output').choices(['png', 'mp4', 'h265', 'prores']))
    .addOption(new Option('--device <device>', 'compute device').choices([...DEVICES]))
    .option('--print', 'print the resolved job as JSON and exit without running it')
    .option('--json', 'print one JSON event per line instead of a progress bar')
    .action(async (recipe: string, opts: Record<string, unknown>) => {
      const reporter = createProgressReporter({ json: Boolean(opts.json), label: path.basename(recipe) });
      try {
        const job = await loadRecipe(recipe, {
          input: opts.input as string | undefined,
          output: opts.output ? { path: String(opts.output), format: opts.format as string | undefined } : undefined,
          frames: opts.frames ? parseFrameRange(String(opts.frames)) : undefined,
          device: opts.device as never,
        });
        if (opts.print) {
          process.stdout.write(JSON.stringify(job, null, 2) + '\n');
          return;
        }
        await runJobReported(job, reporter);
      } catch (e) {
        const err = toDreamLayerError(e);
        reporter.failed(err);
        throw err;
      }
    });
}
