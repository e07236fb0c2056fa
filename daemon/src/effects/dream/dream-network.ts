/**
 * Opens a classifier for dreaming: resolves the model (catalog id or file),
 * picks and checks the layers, builds the dream-step graph (objective and its
 * gradient, onnx/autodiff) and loads it, computes the guide image's
 * activations for guided dreams, and sizes the gradient tiles to the memory
 * budget. The session belongs to the caller (not the shared session cache:
 * step graphs depend on the layers, and a long-running daemon would otherwise
 * keep one per layer choice); `dispose()` releases it.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { DREAM } from '../../../../shared/src/params/dream.ts';
import { buildDreamStepModel, guideInputName, type DreamLayer } from '../../onnx/autodiff/build-dream-step.ts';
import { freeInputSpatialDims, truncateAt } from '../../onnx/edit-graph.ts';
import { encodeModel, readModelFile, type ModelProto } from '../../onnx/proto.ts';
import { readImage } from '../../io/image-file.ts';
import { resolveModel } from '../../models/resolve-model.ts';
import { createModelSession, type Feeds } from '../../runtime/model-session.ts';
import type { Device } from '../../runtime/providers.ts';
import { resizePlanes } from '../../runtime/resize.ts';
import type { Image8 } from '../../core/image.ts';
import type { ModelRecord } from '../effect.ts';
import type { DreamNetwork } from './dream-gradient.ts';
import { dreamInputMap, toNetworkInput } from './dream-input.ts';
import { bytesPerPixel, checkLayers, defaultLayers, layerStride, layerTable, parseLayerSpec, type LayerTable } from './dream-layers.ts';
import { tileForBudget } from './gradient-tiles.ts';
import { image8ToPlanes } from './planar-ops.ts';

/** A classifier resolved and read, before any layer is chosen (the contact sheet opens many step models on one). */
export interface DreamClassifier {
  record: ModelRecord;
  model: ModelProto;
  table: LayerTable;
}

export interface OpenDreamOptions {
  /** `NAME[:WEIGHT],…`, or a list; empty = the model's default layers. */
  layers: string | DreamLayer[];
  device: Device;
  /** Guide image file ('' = none). */
  guide?: string;
  /** Tile edge (0 = from the memory budget). */
  tile?: number;
  /** Memory budget of one gradient evaluation, MB. */
  memoryMb?: number;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  log?: (line: string) => void;
}

export interface OpenedDream {
  net: DreamNetwork;
  record: ModelRecord;
  layers: DreamLayer[];
  table: LayerTable;
  /** Execution provider that runs the step model. */
  provider: string;
  /** Facts for result.json. */
  info: Record<string, unknown>;
  dispose(): Promise<void>;
}

/** Resolves and reads a classifier (catalog id, added id or .onnx file; undefined = the effect's default). */
export async function loadClassifier(ref: string | undefined): Promise<DreamClassifier> {
  const resolved = await resolveModel(ref ?? DREAM.defaultModel!, 'classifier');
  if (!resolved.path) throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: `Model ${resolved.id} has no ONNX file to dream with.` });
  const model = readModelFile(resolved.path);
  return { record: { id: resolved.id, path: resolved.path, sha256: resolved.sha256 }, model, table: layerTable(model) };
}

/** Longer side of the guide image fed to the network (a classifier's training size, a little more). */
const GUIDE_SIDE = 256;

/** Activations of the guide image at each layer, as the guide inputs of the step model. */
async function guideFeeds(c: DreamClassifier, layers: DreamLayer[], file: string, device: Device, map: ReturnType<typeof dreamInputMap>): Promise<Feeds> {
  const img = (await readImage(file, { bits: 8, channels: 3, stage: 'decode' })) as Image8;
  const planes = image8ToPlanes(img);
  const f = Math.min(1, GUIDE_SIDE / Math.max(img.width, img.height));
  const gh = Math.max(16, Math.round(img.height * f));
  const gw = Math.max(16, Math.round(img.width * f));
  const px = resizePlanes(planes.data, 3, img.height, img.width, gh, gw, 'bicubic');
  const names = [...new Set(layers.map((l) => l.name))];
  const forward = freeInputSpatialDims(truncateAt(c.model, names), { inputName: c.table.input });
  const session = await createModelSession(encodeModel(forward), `${c.record.id} (guide)`, { device });
  try {
    const out = await session.run({ [c.table.input]: { data: toNetworkInput(px, map), dims: [1, 3, gh, gw] } }, names);
    const feeds: Feeds = {};
    layers.forEach((l, i) => {
      const a = out[l.name]!;
      feeds[guideInputName(i)] = { data: a.data as Float32Array, dims: a.dims };
    });
    return feeds;
  } finally {
    await session.release();
  }
}

/** Builds and loads the dream step for `layers` of an already read classifier. */
export async function openDreamOn(c: DreamClassifier, opts: OpenDreamOptions): Promise<OpenedDream> {
  const log = opts.log ?? (() => undefined);
  let layers = typeof opts.layers === 'string' ? parseLayerSpec(opts.layers) : opts.layers;
  if (!layers.length) {
    layers = defaultLayers(c.table);
    log(`dream: layer ${layers.map((l) => l.name).join(', ')} (the model's default)`);
  }
  checkLayers(c.table, layers);
  const guide = Boolean(opts.guide);
  const step = buildDreamStepModel(c.model, { layers, inputName: c.table.input, guide });
  const names = layers.map((l) => (l.weight !== undefined && l.weight !== 1 ? `${l.name}:${l.weight}` : l.name)).join(', ');
  const session = await createModelSession(encodeModel(step), `${c.record.id} dream step (${names})`, { device: opts.device, ...(opts.threads ? { threads: opts.threads } : {}) });
  try {
    const map = dreamInputMap(c.record);
    if (map.origin === 'assumed') log(`dream: ${map.summary}`);
    const align = layerStride(c.table, layers);
    const bpp = bytesPerPixel(c.model, c.table, layers);
    const { tile, overlap } = tileForBudget((opts.memoryMb ?? 1536) * 2 ** 20, bpp, align, opts.tile ?? 0);
    const feeds = guide ? await guideFeeds(c, layers, opts.guide!, opts.device, map) : undefined;
    const net: DreamNetwork = { session, inputName: c.table.input, map, align, tile, overlap, ...(feeds ? { guideFeeds: feeds } : {}) };
    return {
      net,
      record: c.record,
      layers,
      table: c.table,
      provider: session.provider,
      info: { layers: layers.map((l) => ({ name: l.name, weight: l.weight ?? 1 })), input: map.summary, tile, overlap, align, ...(guide ? { guide: opts.guide } : {}) },
      dispose: () => session.release(),
    };
  } catch (e) {
    await session.release().catch(() => undefined);
    throw e;
  }
}

/** Resolves the model and opens its dream step (see {@link openDreamOn}). */
export async function openDream(ref: string | undefined, opts: OpenDreamOptions): Promise<OpenedDream> {
  return openDreamOn(await loadClassifier(ref), opts);
}
