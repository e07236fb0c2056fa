/** Entry of the `dreamlayer` command: builds the commander program from the command modules. */
import { Command, CommanderError } from 'commander';
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import { toDreamLayerError } from '../../../shared/src/errors.ts';
import { COMMAND_MODULES } from './commands/index.ts';

/** Builds the program; with `only`, just the module that registers that command (fast start). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('dreamlayer')
    .description('Neural video effects for compositors: stylize, depth, matte, dream and upscale video with ONNX networks.')
    .version(DREAMLAYER_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  const match = COMMAND_MODULES.filter(([names]) => only !== undefined && names.includes(only));
  for (const [, load] of match.length ? match : COMMAND_MODULES) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv[2]);
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    const err = toDreamLayerError(e);
    console.error(err.toLine());
    if (process.env.DREAMLAYER_DEBUG && err.cause) console.error(err.cause);
    process.exitCode = err.code === 'CANCELLED' ? 130 : 1;
  }
}
