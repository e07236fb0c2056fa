/**
 * The layers of a classifier as the dream sees them: names, channels, spatial
 * size at the model's own input size, depth, and the stride to the input (which
 * the tiled gradient aligns its tiles to). Also: parsing `--layers`, the default
 * layer of a model, and the few layers per block a contact sheet shows.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { cloneModel, listLayers, truncateAt } from '../../onnx/edit-graph.ts';
import { GraphIndex } from '../../onnx/graph-index.ts';
import { inferShapes } from '../../onnx/autodiff/shape-info.ts';
import { onnx, type ModelProto } from '../../onnx/proto.ts';
import type { DreamLayer } from '../../onnx/autodiff/build-dream-step.ts';

/** One layer a dream can target. */
export interface DreamLayerInfo {
  name: string;
  op: string;
  /** Position in the network (0 = nearest the input). */
  depth: number;
  channels: number | null;
  /** Height and width at the reference input size (null when not known statically). */
  height: number | null;
  width: number | null;
  /** Input pixels per layer position along each axis (a power of two), null when unknown. */
  stride: number | null;
}

export interface LayerTable {
  /** The image input's name. */
  input: string;
  /** Input size the shapes refer to (the model's declared size, else 224). */
  reference: [number, number];
  layers: DreamLayerInfo[];
}

const REFERENCE = 224;

/** The model with its image input fixed to [1, C, h, w] (for static shapes). */
function withInputSize(model: ModelProto, input: string, h: number, w: number): ModelProto {
  const m = cloneModel(model);
  const g = m.graph!;
  g.input = g.input!.map((v) => {
    if (v.name !== input) return v;
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    const c = dims[1]?.dimValue != null ? Number(dims[1].dimValue) : 3;
    const dim = [1, c, h, w].map((d) => ({ dimValue: d }));
    return onnx.ValueInfoProto.create({ ...v, type: { tensorType: { elemType: v.type?.tensorType?.elemType ?? 1, shape: { dim } } } });
  });
  return m;
}

function imageInput(model: ModelProto): { name: string; size: [number, number] } {
  const idx = new GraphIndex(model.graph!);
  const name = idx.feedInputs[0];
  if (!name || idx.feedInputs.length !== 1) {
    throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: `A classifier for DeepDream needs one image input; this model has ${idx.feedInputs.length} (${idx.feedInputs.join(', ')}).` });
  }
  const dims = model.graph!.input!.find((v) => v.name === name)?.type?.tensorType?.shape?.dim ?? [];
  const fixed = (i: number) => (dims[i]?.dimValue != null && !dims[i]?.dimParam ? Number(dims[i]!.dimValue) : 0);
  const h = fixed(2);
  const w = fixed(3);
  return { name, size: h > 0 && w > 0 ? [h, w] : [REFERENCE, REFERENCE] };
}

const pow2 = (x: number) => 2 ** Math.max(0, Math.round(Math.log2(x)));

/** Every layer a dream can target, with static shapes at the model's input size. */
export function layerTable(model: ModelProto): LayerTable {
  const { name: input, size } = imageInput(model);
  const fixed = withInputSize(model, input, size[0], size[1]);
  const shapes = inferShapes(fixed.graph!);
  const layers = listLayers(model).map((l): DreamLayerInfo => {
    const s = shapes.get(l.name);
    const h = s && s.length === 4 && typeof s[2] === 'number' ? s[2] : null;
    const w = s && s.length === 4 && typeof s[3] === 'number' ? s[3] : null;
    const c = s && s.length >= 2 && typeof s[1] === 'number' ? s[1] : (l.channels ?? null);
    return { name: l.name, op: l.op, depth: l.depth, channels: c, height: h, width: w, stride: h && h > 0 ? pow2(size[0] / h) : null };
  });
  return { input, reference: size, layers };
}

/** Parses `NAME[:WEIGHT],…` (weights default to 1). Empty text gives an empty list. */
export function parseLayerSpec(text: string): DreamLayer[] {
  const out: DreamLayer[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(.*?)(?::(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?))?$/i.exec(part)!;
    const name = m[1]!.trim();
    if (!name) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--layers "${text}" has an empty layer name.`, hint: 'Write --layers NAME[:WEIGHT],… (e.g. --layers inception_4c/output or --layers t90:1,t142:0.5).' });
    out.push(m[2] !== undefined ? { name, weight: Number(m[2]) } : { name });
  }
  return out;
}

/** Checks that every layer exists and keeps a spatial extent; throws PARAM_INVALID naming close names otherwise. */
export function checkLayers(table: LayerTable, layers: DreamLayer[]): void {
  for (const l of layers) {
    const info = table.layers.find((x) => x.name === l.name);
    if (!info) {
      const close = table.layers.filter((x) => x.name.includes(l.name) || l.name.includes(x.name)).slice(0, 5).map((x) => x.name);
      throw new DreamLayerError('PARAM_INVALID', {
        stage: 'validate',
        message: `The model has no layer "${l.name}"${close.length ? ` (similar: ${close.join(', ')})` : ''}.`,
        hint: 'List the layers with `dreamlayer dream --list-layers --model …`.',
      });
    }
    if (info.height !== null && info.height < 1) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Layer "${l.name}" has no spatial extent.` });
  }
}

/** Ops whose outputs make good dream targets (activations and block outputs). */
const TARGET_OPS = new Set(['Relu', 'Clip', 'LeakyRelu', 'Concat', 'Add', 'Sum', 'LRN']);

/** Layers worth dreaming on: activations and block outputs that keep a spatial extent. */
export function candidateLayers(table: LayerTable): DreamLayerInfo[] {
  return table.layers.filter((l) => TARGET_OPS.has(l.op) && l.height !== null && l.width !== null && l.height >= 2 && l.width >= 2 && l.depth > 0);
}

/**
 * The layer a model dreams on by default: the classic `inception_4c/output` on
 * GoogLeNet, a mid-depth expansion on MobileNetV2, else a block output at about
 * 60 % of the depth among layers of stride ≤ 16 (deep enough for objects, not so
 * deep that patterns need huge images).
 */
export function defaultLayers(table: LayerTable): DreamLayer[] {
  const names = table.layers.map((l) => l.name);
  const known = [/^inception_4c\/output/, /^t113_c$/];
  for (const re of known) {
    const hit = names.find((n) => re.test(n));
    if (hit) return [{ name: hit }];
  }
  const cands = candidateLayers(table).filter((l) => (l.stride ?? 64) <= 16);
  const pool = cands.length ? cands : candidateLayers(table);
  if (!pool.length) throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: 'The model has no layer that keeps a spatial extent to dream on.' });
  return [{ name: pool[Math.min(pool.length - 1, Math.floor(pool.length * 0.6))]!.name }];
}

/** Block of a layer for the contact sheet: the name before the first '/', else its stride stage. */
function blockOf(l: DreamLayerInfo, slashNames: boolean): string {
  if (slashNames && l.name.includes('/')) return l.name.slice(0, l.name.indexOf('/'));
  return `stride ${l.stride ?? '?'}`;
}

/**
 * A few layers per block for a contact sheet: per block, `perBlock` candidates
 * spread evenly and always including the block's last (its output); at most
 * `max` in all, spread evenly over the network.
 */
export function sheetLayers(table: LayerTable, perBlock = 2, max = 24): DreamLayerInfo[] {
  const cands = candidateLayers(table);
  const slash = cands.filter((l) => l.name.includes('/')).length > cands.length / 2;
  const blocks = new Map<string, DreamLayerInfo[]>();
  for (const l of cands) {
    const k = blockOf(l, slash);
    const list = blocks.get(k);
    if (list) list.push(l);
    else blocks.set(k, [l]);
  }
  const picked: DreamLayerInfo[] = [];
  for (const list of blocks.values()) {
    const k = Math.min(perBlock, list.length);
    const idx = new Set<number>();
    for (let i = 0; i < k; i++) idx.add(list.length - 1 - Math.round((i * (list.length - 1)) / Math.max(1, k)));
    for (const i of [...idx].sort((a, b) => a - b)) picked.push(list[i]!);
  }
  if (picked.length <= max) return picked;
  return Array.from({ length: max }, (_, i) => picked[Math.round((i * (picked.length - 1)) / (max - 1))]!);
}

/** Largest stride among the layers (tiles start at multiples of it so their activations sit on the untiled grid). */
export function layerStride(table: LayerTable, layers: DreamLayer[]): number {
  let s = 1;
  for (const l of layers) s = Math.max(s, table.layers.find((x) => x.name === l.name)?.stride ?? 32);
  return s;
}

/**
 * Rough memory of one gradient evaluation per input pixel, in bytes: every
 * activation between the input and the layers is kept for the backward pass
 * and has a gradient of its own (×3 for workspace).
 */
export function bytesPerPixel(model: ModelProto, table: LayerTable, layers: DreamLayer[]): number {
  const [h, w] = table.reference;
  const cut = withInputSize(truncateAt(model, [...new Set(layers.map((l) => l.name))]), table.input, h, w);
  const shapes = inferShapes(cut.graph!);
  let floats = 3;
  for (const n of cut.graph!.node ?? []) {
    const s = shapes.get(n.output?.[0] ?? '');
    if (s && s.length === 4 && s.every((d) => typeof d === 'number')) floats += ((s[1] as number) * (s[2] as number) * (s[3] as number)) / (h * w);
    else floats += 3;
  }
  return floats * 4 * 3;
}
