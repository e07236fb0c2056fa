/**
 * `dreamlayer matte INPUT -o OUT [--model ID|FILE] [--classes person,car] [--point X,Y | --box X0,Y0,X1,Y1 |
 * --instance N] [--temporal T] [--feather PX] [--grow PX] [--invert] [--mode rgba|alpha|alpha16] [--format png|prores]`,
 * plus `--list` to write the first frame's numbered candidates (candidates.json, candidates.png) into OUT.
 */
import { Option, type Command } from 'commander';
import { MATTE } from '../../../../shared/src/params/matte.ts';
import { listMatteCandidates } from '../../effects/matte/list-candidates.ts';
import type { Device } from '../../runtime/providers.ts';
import { parseFrameRange, registerEffectCommand } from '../effect-command.ts';

function attrOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function register(program: Command): void {
  registerEffectCommand(program, 'matte', {
    options: [new Option('--list', "write the first frame's numbered candidates (candidates.json, candidates.png) into the -o folder, then stop")],
    async intercept(input, opts) {
      if (!opts.list) return false;
      const params: Record<string, unknown> = {};
      for (const p of MATTE.params) {
        const v = opts[attrOf(p.cli ?? `--${p.name}`)];
        if (v !== undefined) params[p.name] = v;
      }
      const r = await listMatteCandidates({
        input,
        outDir: String(opts.output),
        model: opts.model as string | undefined,
        params,
        frames: opts.frames ? parseFrameRange(String(opts.frames)) : undefined,
        device: opts.device as Device,
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ event: 'candidates', ...r }) + '\n');
      } else {
        process.stdout.write(`${r.candidates.length} candidate${r.candidates.length === 1 ? '' : 's'} on frame ${r.frame} (${r.family} model ${r.model}):\n`);
        for (const c of r.candidates) process.stdout.write(`  ${String(c.id).padStart(3)}  ${c.class.padEnd(14)} score ${c.score.toFixed(2)}  box ${c.box.join(',')}\n`);
        process.stdout.write(`Wrote ${r.json} and ${r.picture}. Choose one with --instance N (or --point X,Y).\n`);
      }
      return true;
    },
    amend(job) {
      // 16-bit alpha needs 16-bit PNGs.
      if ((job.params as Record<string, unknown>).mode === 'alpha16') job.output.bits = 16;
    },
  });
}
