/**
 * `dreamlayer depth INPUT -o OUT [--model ID|FILE] [--invert] [--bits 16|8] [--format png|exr|prores]
 * [--temporal T] [--normalize clip|sliding|frame] [--frames A:B] …`: the effect's options come from
 * its parameter specs; this module only fixes the output bit depth and refuses EXR where it
 * cannot be written.
 */
import type { Command } from 'commander';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { registerEffectCommand } from '../effect-command.ts';
import { hasEncoder, resolveFfmpeg } from '../../io/ffmpeg-binaries.ts';

/** Throws FORMAT_UNSUPPORTED for EXR output (no EXR encoder in this ffmpeg, or no EXR frame writer). */
export function checkExrOutput(): never {
  let version = 'the ffmpeg in use';
  try {
    version = `ffmpeg ${resolveFfmpeg().version}`;
  } catch {
    /* the message below still applies */
  }
  const encoder = (() => {
    try {
      return hasEncoder('exr');
    } catch {
      return false;
    }
  })();
  throw new DreamLayerError('FORMAT_UNSUPPORTED', {
    stage: 'validate',
    message: encoder
      ? `EXR depth frames are not written by this DreamLayer build yet (${version} has an EXR encoder, but the frame writer cannot use it).`
      : `${version} has no EXR encoder, so float EXR depth frames cannot be written.`,
    hint: 'Use the default 16-bit PNG sequence (--format png): it holds 65 536 grey levels, which After Effects reads as 16 bpc without banding. For EXR, install ffmpeg 5 or newer on the PATH (or set DREAMLAYER_FFMPEG).',
  });
}

export function register(program: Command): void {
  registerEffectCommand(program, 'depth', {
    amend(job) {
      if (job.output.format === 'exr') checkExrOutput();
      const bits = Number((job.params as Record<string, unknown>).bits ?? '16');
      job.output.bits = bits === 8 ? 8 : 16;
    },
  });
}
