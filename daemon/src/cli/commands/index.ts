/**
 * Every CLI command lives in its own module that exports `register(program)`.
 * Add a command by adding one line here.
 */
import type { Command } from 'commander';

type Registrar = (program: Command) => void;

export const COMMAND_MODULES: (() => Promise<{ register: Registrar }>)[] = [
  () => import('./models.ts'),
  () => import('./stylize.ts'),
  () => import('./depth.ts'),
  () => import('./dream.ts'),
  () => import('./matte.ts'),
  () => import('./serve.ts'),
  () => import('./jobs.ts'),
  () => import('./demo.ts'),
  () => import('./doctor.ts'),
  () => import('./upscale.ts'),
  () => import('./run.ts'),
  () => import('./flow.ts'),
];
