import type { Command } from 'commander';
import { registerEffectCommand } from '../effect-command.ts';

export function register(program: Command): void {
  registerEffectCommand(program, 'stylize');
}
