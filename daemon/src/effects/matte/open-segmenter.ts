/**
 * Opens a segmentation model for the matte: works out its family (from the
 * catalog's task for a catalog id, from the tensor contract for a file, or as
 * the user forced it), loads it through the engine's model loader, checks that
 * its inputs and outputs fit that family, and wraps it in the family's
 * Segmenter.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { defaultCatalog, findModel, type CatalogEntry } from '../../models/catalog.ts';
import { looksLikePath, resolveModel } from '../../models/resolve-model.ts';
import { modelSignature, readModelFile } from '../../onnx/proto.ts';
import type { ModelSession } from '../../runtime/model-session.ts';
import type { Device } from '../../runtime/providers.ts';
import { BUILTIN_MODELS } from '../builtin-models.ts';
import type { ModelRecord } from '../effect.ts';
import { loadModel } from '../load-model.ts';
import { contractPreprocess, DenseSegmenter, type DensePreprocess } from './dense-segmenter.ts';
import { InstanceSegmenter, type InstanceOptions } from './instance-segmenter.ts';
import { MATTE_FAMILIES, type MatteFamily } from './matte-types.ts';
import { detectFamily, familyLayout } from './model-family.ts';
import type { Segmenter } from './segmenter.ts';

export interface OpenedSegmenter {
  segmenter: Segmenter;
  record: ModelRecord;
  /** Execution provider that runs it. */
  provider: string;
  family: MatteFamily;
}

const TASK_PREFIX = 'segmentation-';

/** The catalog task of a matte family. */
export function familyTask(f: MatteFamily): string {
  return TASK_PREFIX + f;
}

function familyOfTask(task: string): MatteFamily | null {
  const f = task.startsWith(TASK_PREFIX) ? task.slice(TASK_PREFIX.length) : '';
  return (MATTE_FAMILIES as readonly string[]).includes(f) ? (f as MatteFamily) : null;
}

/** Wraps a loaded session in its family's segmenter (checks the contract first). */
export function segmenterFromSession(session: ModelSession, family: MatteFamily | 'auto', opts: { instance?: InstanceOptions; pre?: DensePreprocess } = {}): Segmenter {
  const fam = family === 'auto' ? detectFamily(session.inputs, session.outputs) : family;
  const layout = familyLayout(fam, session.inputs, session.outputs, session.label);
  return fam === 'instance' ? new InstanceSegmenter(session, layout, opts.instance) : new DenseSegmenter(session, layout, opts.pre);
}

/** The catalog entry a loaded model is (by id, or by the checksum of the file or of the team's shelf copy). */
function catalogEntryOf(id: string, sha256: string): CatalogEntry | undefined {
  try {
    return findModel(id) ?? defaultCatalog().models.find((m) => m.sha256 === sha256 || m.shelfSha256 === sha256);
  } catch {
    return undefined;
  }
}

/** The family a model reference belongs to, without loading it. */
export async function familyOfRef(ref: string, forced: MatteFamily | 'auto'): Promise<MatteFamily> {
  let fromModel: MatteFamily | null = null;
  if (ref.startsWith('builtin:')) {
    const b = BUILTIN_MODELS[ref];
    fromModel = b ? familyOfTask(b.task) : null;
  } else if (looksLikePath(ref)) {
    if (forced !== 'auto') return forced;
    const sig = modelSignature(readModelFile(ref));
    return detectFamily(sig.inputs, sig.outputs);
  } else {
    let task: string | undefined;
    try {
      task = findModel(ref)?.task;
    } catch {
      task = undefined;
    }
    if (task === undefined) {
      // Let the resolver produce its "no such model, did you mean…" error.
      await resolveModel(ref, familyTask(forced === 'auto' ? 'person' : forced));
    }
    fromModel = task ? familyOfTask(task) : null;
  }
  if (!fromModel) {
    throw new DreamLayerError('MODEL_CONTRACT', {
      stage: 'model',
      message: `Model ${ref} is not a segmentation model, so it cannot make a matte.`,
      hint: 'Use an instance, semantic, person or salient segmentation model (`dreamlayer models list`).',
    });
  }
  if (forced !== 'auto' && forced !== fromModel) {
    throw new DreamLayerError('PARAM_INVALID', {
      stage: 'validate',
      message: `--family ${forced} does not match model ${ref}, which is a ${fromModel} model.`,
      hint: `Leave --family at auto, or choose a ${forced} model.`,
    });
  }
  return fromModel;
}

/** Resolves, loads and checks a segmentation model for the matte. */
export async function openSegmenter(ref: string, opts: { family: MatteFamily | 'auto'; device: Device; instance?: InstanceOptions }): Promise<OpenedSegmenter> {
  const family = await familyOfRef(ref, opts.family);
  const { record, session } = await loadModel(ref, familyTask(family), { device: opts.device });
  // Catalog models say how their input is normalised; other files get their family's usual pre-processing.
  const input = catalogEntryOf(record.id, record.sha256)?.contract.inputs.find((i) => i.role === 'image');
  const pre = input && input.role === 'image' && family !== 'instance' ? contractPreprocess(family, input) : undefined;
  return { segmenter: segmenterFromSession(session, family, { instance: opts.instance, pre }), record, provider: session.provider, family };
}
