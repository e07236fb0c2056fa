/** Entry of the `dreamlayer` command: builds the commander program from the command modules. */
import { Command, CommanderError } from 'commander';
import { DREAMLAYER_VERSION } from '../../../shared/src/version.ts';
import { toDreamLayerError } from '../../../shared/src/errors.ts';
import { COMMAND_MODULES } from './commands/index.ts';

export async function buildProgram(): Promise<Command> {
  const program = new Command('dreamlayer')
    .description('Neural video effects for compositors: stylize, depth, matte, dream and upscale video with ONNX networks.')
    .version(DREAMLAYER_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  for (const load of COMMAND_MODULES) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
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
