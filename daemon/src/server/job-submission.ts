/**
 * Turns a client's `job.submit` into a JobSpec the queue may run: frames
 * uploads resolved to their PNG sequence, every path confined to the allowed
 * folders, effect, parameters and format checked against the effect
 * descriptors — so a bad job fails at once, before it waits in the queue.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { JobSpec } from '../../../shared/src/job-spec.ts';
import { resolveParams, type EffectDescriptor } from '../../../shared/src/params/param-spec.ts';
import type { SubmitJob } from '../../../shared/src/protocol/messages.ts';
import type { FrameUploads } from './frame-uploads.ts';
import type { PathPolicy } from './path-policy.ts';

/** Applies path confinement to a spec (at submit, and again before each run). */
export function confineSpec(spec: JobSpec, paths: PathPolicy, effects: readonly EffectDescriptor[] = []): JobSpec {
  // File parameters (e.g. dream's guide image) are read by the effect: confine them like the input.
  const confineParams = (effect: string, params: Record<string, unknown>) => {
    const desc = effects.find((e) => e.name === effect);
    const out = { ...params };
    for (const p of desc?.params ?? []) {
      if (p.type === 'string' && p.isPath && typeof out[p.name] === 'string' && out[p.name] !== '') out[p.name] = paths.check(out[p.name] as string, 'input');
    }
    return out;
  };
  return {
    ...spec,
    params: confineParams(spec.effect, spec.params),
    input: { ...spec.input, path: paths.check(spec.input.path, 'input') },
    output: { ...spec.output, dir: paths.check(spec.output.dir, 'output') },
    model: paths.checkModel(spec.model),
    then: spec.then.map((s) => ({ ...s, params: confineParams(s.effect, s.params), model: paths.checkModel(s.model) })),
  };
}

/** Checks effect names, parameters and the output format against the effects the daemon has. */
export function checkEffects(spec: JobSpec, effects: readonly EffectDescriptor[]): void {
  const names = effects.map((e) => e.name);
  const steps = [{ effect: spec.effect, params: spec.params }, ...spec.then];
  steps.forEach((step, i) => {
    const eff = effects.find((e) => e.name === step.effect);
    if (!eff) throw new DreamLayerError('EFFECT_UNKNOWN', { stage: 'validate', message: `No effect is called ${JSON.stringify(step.effect)}.`, hint: `Effects: ${names.join(', ') || '(none)'}.` });
    const res = resolveParams(eff.params, step.params);
    if (!res.ok) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Invalid ${eff.name} parameters: ${res.problems.join('; ')}.` });
    if (i === 0 && !eff.formats.includes(spec.output.format)) {
      throw new DreamLayerError('FORMAT_UNSUPPORTED', { stage: 'validate', message: `${eff.name} cannot write ${spec.output.format}.`, hint: `Use one of: ${eff.formats.join(', ')}.` });
    }
  });
}

export interface PreparedJob {
  spec: JobSpec;
  uploadId: string | null;
}

export function prepareSubmission(job: SubmitJob, deps: { paths: PathPolicy; uploads: FrameUploads; effects: readonly EffectDescriptor[] }): PreparedJob {
  let uploadId: string | null = null;
  let input: JobSpec['input'];
  if ('uploadId' in job.input) {
    uploadId = job.input.uploadId;
    const r = deps.uploads.resolveInput(job.input.uploadId, job.input.frames);
    input = { path: r.path, frames: r.frames, fps: r.fps };
  } else {
    input = job.input;
  }
  const spec = confineSpec({ ...job, input }, deps.paths, deps.effects);
  checkEffects(spec, deps.effects);
  return { spec, uploadId };
}
