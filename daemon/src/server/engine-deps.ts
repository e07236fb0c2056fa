/**
 * The engine parts the daemon needs, behind one seam so tests can start a
 * daemon with a stub engine and the real one is only loaded (ORT, sharp,
 * ffmpeg) when a daemon actually starts.
 */
import type { EffectDescriptor } from '../../../shared/src/params/param-spec.ts';
import type { JobRunner } from '../jobs/job-runner.ts';

export interface EngineDeps {
  runner: JobRunner;
  listEffects(): EffectDescriptor[];
  /** Names of the execution providers that can load here (cpu always). */
  availableProviders(): string[];
  listModels(): Promise<unknown[]> | unknown[];
}

/** The real engine: pipeline/run-job.ts, effects/registry.ts, runtime/providers.ts, models/catalog.ts. */
export async function loadEngineDeps(): Promise<EngineDeps> {
  const [{ runJob }, registry, providers, catalog] = await Promise.all([
    import('../pipeline/run-job.ts'),
    import('../effects/registry.ts'),
    import('../runtime/providers.ts'),
    import('../models/catalog.ts'),
  ]);
  return {
    runner: { run: (spec, ctx) => runJob(spec, ctx) },
    listEffects: () => registry.listEffects(),
    availableProviders: () => providers.availableProviders().filter((p) => p.installed).map((p) => p.name),
    listModels: () => catalog.listModels(),
  };
}
