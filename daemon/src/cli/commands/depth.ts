/**
 * `dreamlayer depth INPUT -o OUT [--model ID|FILE] [--invert] [--bits 16|8] [--format png|exr|prores]
 * [--temporal T] [--normalize clip|sliding|frame] [--frames A:B] …`: the effect's options come from
 * its parameter specs; this module only fixes the output bit depth (EXR frames are float whatever it is).
 */
import type { Command } from 'commander';
import { registerEffectCommand } from '../effect-command.ts';

export function register(program: Command): void {
  registerEffectCommand(program, 'depth', {
    amend(job) {
      const bits = Number((job.params as Record<string, unknown>).bits ?? '16');
      job.output.bits = bits === 8 ? 8 : 16;
    },
  });
}
