/**
 * The layer contact sheet: the same picture dreamed once per layer (a few
 * layers per block of the network), laid out in a grid with each layer's
 * depth and name under its picture, so one can choose which hallucination to
 * use. The names are drawn with a built-in bitmap font (no system font
 * needed); a JSON legend beside the sheet lists every cell's layer, position
 * and objective.
 */
import path from 'node:path';
import { DreamLayerError, toDreamLayerError } from '../../../../shared/src/errors.ts';
import { DREAM } from '../../../../shared/src/params/dream.ts';
import { resolveParams } from '../../../../shared/src/params/param-spec.ts';
import type { Image8 } from '../../core/image.ts';
import { decodeFrames } from '../../io/decode.ts';
import { probeMedia } from '../../io/probe.ts';
import { ensureWritableDir, writeFileAtomic } from '../../io/atomic-file.ts';
import { writePng } from '../../io/image-file.ts';
import type { DreamLayer } from '../../onnx/autodiff/build-dream-step.ts';
import type { Device } from '../../runtime/providers.ts';
import { dreamSettings } from './dream-effect.ts';
import { loadClassifier, openDreamOn } from './dream-network.ts';
import { parseLayerSpec, sheetLayers, type DreamLayerInfo } from './dream-layers.ts';
import { dreamPlanes, type OctaveTrace } from './dream-octaves.ts';
import { drawText, fitText, GLYPH_HEIGHT } from './label-font.ts';
import { image8ToPlanes, planesToImage8 } from './planar-ops.ts';

export interface LayerSheetOptions {
  input: string;
  /** The sheet's PNG file; the legend goes to the same name with .json. */
  output: string;
  model?: string;
  device?: Device;
  /** Dream parameters; `layers`, when given, picks the sheet's layers instead of the automatic choice. */
  params?: Record<string, unknown>;
  /** Layers per block of the network (automatic choice). */
  perBlock?: number;
  /** Most layers on one sheet. */
  maxLayers?: number;
  /** Width of one picture when no --width is given. */
  cellWidth?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface SheetCell {
  layer: string;
  depth: number;
  op: string;
  channels: number | null;
  stride: number | null;
  /** Cell rectangle on the sheet (the picture; its label is below). */
  x: number;
  y: number;
  width: number;
  height: number;
  objectiveStart: number | null;
  objectiveEnd: number | null;
  /** Why the layer could not be dreamed on (the cell stays grey). */
  error?: string;
}

export interface LayerSheetResult {
  sheet: string;
  legend: string;
  width: number;
  height: number;
  cells: SheetCell[];
}

const LABEL_SCALE = 2;
const LABEL_HEIGHT = GLYPH_HEIGHT * LABEL_SCALE + 8;
const GAP = 4;
const BACKGROUND = 24;

/** Grid columns for n cells of w × h so the sheet comes out roughly square. */
export function sheetColumns(n: number, w: number, h: number): number {
  return Math.max(1, Math.min(n, Math.round(Math.sqrt((n * h) / w))));
}

function blit(dst: Image8, src: Image8, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      const o = ((y0 + y) * dst.width + x0 + x) * 3;
      const i = (y * src.width + x) * src.channels;
      dst.data[o] = src.data[i]!;
      dst.data[o + 1] = src.data[i + 1]!;
      dst.data[o + 2] = src.data[i + 2]!;
    }
  }
}

/** Dreams the picture once per layer and writes the sheet and its legend. */
export async function renderLayerSheet(opts: LayerSheetOptions): Promise<LayerSheetResult> {
  const log = opts.log ?? (() => undefined);
  const res = resolveParams(DREAM.params, opts.params ?? {});
  if (!res.ok) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Invalid dream parameters: ${res.problems.join('; ')}.` });
  const params = res.params;
  if (path.extname(opts.output).toLowerCase() !== '.png') {
    throw new DreamLayerError('FORMAT_UNSUPPORTED', { stage: 'validate', message: `The contact sheet is a PNG image; "${opts.output}" is not a .png file.`, hint: 'Write -o sheet.png.' });
  }
  const info = await probeMedia(opts.input);
  await ensureWritableDir(path.dirname(path.resolve(opts.output)));
  let w = params.width as number;
  let h = params.height as number;
  if (!w && !h) w = opts.cellWidth ?? 256;
  if (w && !h) h = Math.max(2, Math.round((info.height * w) / info.width / 2) * 2);
  if (h && !w) w = Math.max(2, Math.round((info.width * h) / info.height / 2) * 2);
  let source: Image8 | null = null;
  for await (const f of decodeFrames(info, { first: 0, last: 0, width: w, height: h, signal: opts.signal })) source = f.image;
  if (!source) throw new DreamLayerError('INPUT_UNREADABLE', { stage: 'decode', message: `No frame could be decoded from ${info.path}.` });

  const classifier = await loadClassifier(opts.model);
  const explicit = parseLayerSpec(params.layers as string);
  const picks: { layer: DreamLayer; info: DreamLayerInfo | undefined }[] = explicit.length
    ? explicit.map((l) => ({ layer: l, info: classifier.table.layers.find((x) => x.name === l.name) }))
    : sheetLayers(classifier.table, opts.perBlock ?? 2, opts.maxLayers ?? 24).map((l) => ({ layer: { name: l.name }, info: l }));
  if (!picks.length) throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: `Model ${classifier.record.id} has no layer to dream on.` });
  log(`dream sheet: ${picks.length} layers of ${classifier.record.id}: ${picks.map((p) => p.layer.name).join(', ')}`);

  const cols = sheetColumns(picks.length, w, h + LABEL_HEIGHT);
  const rows = Math.ceil(picks.length / cols);
  const sheetW = cols * w + (cols + 1) * GAP;
  const sheetH = rows * (h + LABEL_HEIGHT) + (rows + 1) * GAP;
  const sheet: Image8 = { width: sheetW, height: sheetH, channels: 3, data: new Uint8Array(sheetW * sheetH * 3).fill(BACKGROUND) };
  const settings = dreamSettings(params);
  const cells: SheetCell[] = [];
  for (let k = 0; k < picks.length; k++) {
    opts.signal?.throwIfAborted();
    const { layer, info: li } = picks[k]!;
    const x = GAP + (k % cols) * (w + GAP);
    const y = GAP + Math.floor(k / cols) * (h + LABEL_HEIGHT + GAP);
    const cell: SheetCell = { layer: layer.name, depth: li?.depth ?? -1, op: li?.op ?? '?', channels: li?.channels ?? null, stride: li?.stride ?? null, x, y, width: w, height: h, objectiveStart: null, objectiveEnd: null };
    try {
      const opened = await openDreamOn(classifier, { layers: [layer], device: opts.device ?? 'auto', tile: params.tile as number, memoryMb: params.memory as number, guide: (params.guide as string) || undefined, log });
      try {
        const trace: OctaveTrace[] = [];
        const out = await dreamPlanes(image8ToPlanes(source), opened.net, settings, { signal: opts.signal, trace });
        blit(sheet, planesToImage8(out), x, y);
        cell.objectiveStart = trace[0]?.objectives[0] ?? null;
        cell.objectiveEnd = trace.at(-1)?.objectives.at(-1) ?? null;
      } finally {
        await opened.dispose().catch(() => undefined);
      }
    } catch (e) {
      const err = toDreamLayerError(e);
      if (err.code === 'CANCELLED' || opts.signal?.aborted) throw err;
      // One layer the autodiff cannot reach (an unsupported op on its path) leaves its cell empty, not the sheet.
      cell.error = err.message;
      log(`dream sheet: layer ${layer.name} skipped: ${err.message}`);
      const grey = { width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3).fill(64) };
      blit(sheet, grey, x, y);
    }
    const label = `${cell.depth >= 0 ? `${cell.depth} ` : ''}${layer.name}`;
    drawText(sheet, fitText(label, w, LABEL_SCALE), x, y + h + 4, LABEL_SCALE, cell.error ? [200, 90, 90] : [235, 235, 235]);
    cells.push(cell);
    opts.onProgress?.(k + 1, picks.length);
  }
  if (cells.every((c) => c.error)) throw new DreamLayerError('MODEL_CONTRACT', { stage: 'model', message: `No layer of ${classifier.record.id} could be dreamed on: ${cells[0]!.error}` });
  await writePng(opts.output, sheet);
  const legend = opts.output.replace(/\.png$/i, '.json');
  await writeFileAtomic(legend, JSON.stringify({ input: path.resolve(opts.input), model: classifier.record, params, sheet: path.basename(opts.output), width: sheetW, height: sheetH, cells }, null, 2) + '\n');
  return { sheet: opts.output, legend, width: sheetW, height: sheetH, cells };
}
