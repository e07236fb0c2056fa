/**
 * `dreamlayer demo [INPUT]`: the main job on the built-in default. Without an
 * input it makes a sample clip first, so a fresh install shows a stylized,
 * temporally stable movie with no download.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { makeSampleClip } from '../../io/sample-clip.ts';
import { runJob } from '../../pipeline/run-job.ts';
import { createProgressReporter } from '../progress-reporter.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('Stylize a clip with the built-in style (no download): makes a sample clip when none is given.')
    .argument('[input]', 'a video file (default: a sample clip made with ffmpeg)')
    .option('-o, --output <file>', 'the finished movie', path.join('dreamlayer-demo', 'stylized.mp4'))
    .option('--width <n>', 'processing width', (v) => Number(v), 640)
    .option('--json', 'one JSON event per line')
    .action(async (input: string | undefined, opts: { output: string; width: number; json?: boolean }) => {
      const reporter = createProgressReporter({ json: Boolean(opts.json), label: 'demo' });
      let source = input;
      if (!source) {
        source = path.join(path.dirname(opts.output), 'sample.mp4');
        if (!existsSync(source)) {
          reporter.log(`making a sample clip: ${source}`);
          await makeSampleClip(source, { frames: 72, audio: true });
        }
      }
      const result = await runJob(
        {
          effect: 'stylize',
          model: 'builtin:toon',
          params: { width: opts.width },
          input: { path: source },
          output: { dir: path.dirname(opts.output), format: 'mp4', movieName: path.basename(opts.output) },
        },
        { onProgress: (p) => reporter.progress(p), log: (l) => reporter.log(l) },
      );
      reporter.done(result, opts.output);
    });
}
