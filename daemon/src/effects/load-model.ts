/**
 * Resolves an effect's model reference (catalog id, file path, or a built-in
 * graph) to a running session plus the record that goes into result.json.
 */
import { createHash } from 'node:crypto';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { readFileSync } from 'node:fs';
import { encodeModel, modelSignature, readModelFile } from '../onnx/proto.ts';
import { freeInputSpatialDims } from '../onnx/edit-graph.ts';
import { resolveModel } from '../models/resolve-model.ts';
import { getSession, getSessionForBytes } from '../runtime/session-cache.ts';
import type { ModelSession } from '../runtime/model-session.ts';
import type { Device } from '../runtime/providers.ts';
import type { ModelRecord } from './effect.ts';
import { BUILTIN_MODELS } from './builtin-models.ts';

export interface LoadedModel {
  record: ModelRecord;
  session: ModelSession;
}

export interface LoadModelOptions {
  device: Device;
  /** Rewrites the graph before loading. */
  transform?: (bytes: Uint8Array) => Uint8Array;
  /** Fully convolutional models exported at a fixed size (e.g. the ONNX zoo's 224×224 styles) get free height/width. */
  freeSpatialDims?: boolean;
  variant?: string;
}

const builtinBytes = new Map<string, Uint8Array>();

export async function loadModel(ref: string, task: string, opts: LoadModelOptions): Promise<LoadedModel> {
  if (ref.startsWith('builtin:')) {
    const build = BUILTIN_MODELS[ref];
    if (!build || build.task !== task) {
      const names = Object.entries(BUILTIN_MODELS).filter(([, b]) => b.task === task).map(([k]) => k);
      throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `There is no built-in ${task} model "${ref}".`, hint: `Built-in ${task} models: ${names.join(', ') || 'none'}.` });
    }
    let bytes = builtinBytes.get(ref);
    if (!bytes) {
      bytes = encodeModel(build.build());
      builtinBytes.set(ref, bytes);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const session = await getSessionForBytes(ref + (opts.variant ?? ''), () => (opts.transform ? opts.transform(bytes!) : bytes!), { device: opts.device });
    return { record: { id: ref, path: ref, sha256 }, session };
  }
  const resolved = await resolveModel(ref, task);
  if (!resolved.path) throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `Model ${ref} has no file.` });
  let transform = opts.transform;
  let variant = opts.variant;
  if (opts.freeSpatialDims && !transform) {
    const model = readModelFile(resolved.path);
    const input = modelSignature(model).inputs[0];
    if (input && input.shape.length === 4 && typeof input.shape[2] === 'number' && typeof input.shape[3] === 'number') {
      transform = () => encodeModel(freeInputSpatialDims(model));
      variant = `${variant ?? ''}|free-dims`;
    }
  }
  const session = await getSession(resolved.path, {
    device: opts.device,
    variant,
    bytes: transform ? transform(readFileSync(resolved.path)) : undefined,
  });
  return { record: { id: resolved.id, path: resolved.path, sha256: resolved.sha256 }, session };
}
