/** All effects by name. The panel builds its UI from `listEffects()` (sent in the welcome message). */
import type { EffectDescriptor } from '../../../shared/src/params/param-spec.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { Effect } from './effect.ts';
import { stylizeEffect } from './stylize/stylize-effect.ts';
import { depthEffect } from './depth/depth-effect.ts';
import { dreamEffect } from './dream/dream-effect.ts';
import { matteEffect } from './matte/matte-effect.ts';
import { upscaleEffect } from './upscale/upscale-effect.ts';

const EFFECTS: Effect[] = [stylizeEffect, depthEffect, upscaleEffect, matteEffect, dreamEffect];

export function listEffects(): EffectDescriptor[] {
  return EFFECTS.map((e) => e.descriptor);
}

export function getEffect(name: string): Effect {
  const e = EFFECTS.find((x) => x.descriptor.name === name);
  if (!e) {
    throw new DreamLayerError('EFFECT_UNKNOWN', { stage: 'validate', message: `No effect is called "${name}".`, hint: `Effects: ${EFFECTS.map((x) => x.descriptor.name).join(', ')}.` });
  }
  return e;
}
