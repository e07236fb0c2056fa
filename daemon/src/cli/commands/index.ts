/**
 * Every CLI command lives in its own module that exports `register(program)`.
 * Add a command by adding one line here: the command names it registers and
 * its loader. Only the module of the command being run is loaded (the others
 * pull in onnxruntime, sharp…), so `dreamlayer jobs list` starts fast; help
 * and unknown commands load them all.
 */
import type { Command } from 'commander';

type Registrar = (program: Command) => void;
type Loader = () => Promise<{ register: Registrar }>;

export const COMMAND_MODULES: [names: string[], load: Loader][] = [
  [['models'], () => import('./models.ts')],
  [['stylize'], () => import('./stylize.ts')],
  [['depth'], () => import('./depth.ts')],
  [['dream'], () => import('./dream.ts')],
  [['matte'], () => import('./matte.ts')],
  [['serve'], () => import('./serve.ts')],
  [['jobs'], () => import('./jobs.ts')],
  [['demo'], () => import('./demo.ts')],
  [['doctor'], () => import('./doctor.ts')],
  [['upscale'], () => import('./upscale.ts')],
  [['run'], () => import('./run.ts')],
  [['flow', 'eval'], () => import('./flow.ts')],
];
