import type { Command } from 'commander';
import { registerEffectCommand } from '../effect-command.ts';

/** `dreamlayer upscale INPUT -o OUT --scale 2|4 [--model ID|FILE] [--tile N] [--overlap N] [--memory MiB]`. */
export function register(program: Command): void {
  registerEffectCommand(program, 'upscale');
}
