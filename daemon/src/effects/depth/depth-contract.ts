/**
 * The tensor contract of a depth network: how pixels become its input and which output holds
 * the depth. Taken from the model catalog (by id, or by the file's SHA-256 for a catalog model
 * passed as a path) and checked against the graph the session really loaded; a file the
 * catalog does not know gets a contract read off its graph (RGB 0–255, the TCMonoDepth
 * convention), which the log says.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { ModelSession, TensorMeta } from '../../runtime/model-session.ts';
import type { ModelRecord } from '../effect.ts';
import { defaultCatalog, type Catalog, type CatalogEntry, type ImageInputContract } from '../../models/catalog.ts';

/** Pre-processing of one depth network, resolved against its graph. */
export interface DepthContract {
  /** Graph input name. */
  input: string;
  /** Graph output that holds the depth. */
  output: string;
  layout: 'NCHW' | 'NHWC' | 'CHW';
  colour: 'RGB' | 'BGR';
  /** 'px' = 0..255, or the [lo, hi] range 0..255 is mapped onto before mean/std. */
  range: 'px' | [number, number];
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Fixed [height, width], or 'dynamic'. */
  size: 'dynamic' | [number, number];
  /** Height and width of a dynamic input must be multiples of this. */
  multipleOf: number;
  /** Where it came from: a catalog id, or 'graph' when inferred. */
  origin: string;
}

/** Default longer side for networks that take any size (Depth Anything's training size is 518). */
export const DEFAULT_DYNAMIC_SIZE = 518;

const known = (d: number | string | null): d is number => typeof d === 'number' && d > 0;

function contractError(session: ModelSession, what: string): DreamLayerError {
  return new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Model ${session.label} cannot serve as a depth network: ${what}.`,
    hint: 'A depth network takes one float32 RGB image and returns one single-channel map ([N,1,H,W], [N,H,W] or [N,H,W,1]); use tcmonodepth-small, midas-v21-small or depth-anything-v2-small (`dreamlayer models list --task depth`).',
  });
}

/** The catalog entry for a loaded model: by id, else by the file's SHA-256 (published or the shelf copy's). */
export function findCatalogEntry(record: ModelRecord, catalog?: Catalog): CatalogEntry | undefined {
  let cat: Catalog;
  try {
    cat = catalog ?? defaultCatalog();
  } catch {
    return undefined; // no catalog (a stripped install): infer from the graph
  }
  return cat.models.find((m) => m.id === record.id) ?? cat.models.find((m) => m.task === 'depth' && (m.sha256 === record.sha256 || m.shelfSha256 === record.sha256));
}

function layoutOf(meta: TensorMeta): 'NCHW' | 'NHWC' | 'CHW' | null {
  const s = meta.shape;
  if (s.length === 3) return 'CHW';
  if (s.length !== 4) return null;
  if (s[1] === 3) return 'NCHW';
  if (s[3] === 3) return 'NHWC';
  return known(s[1]) ? null : 'NCHW';
}

/** The declared spatial size of an input in a layout, [h, w] when both are fixed. */
function declaredSize(meta: TensorMeta, layout: 'NCHW' | 'NHWC' | 'CHW'): [number, number] | null {
  const s = meta.shape;
  const [h, w] = layout === 'NCHW' ? [s[2], s[3]] : layout === 'NHWC' ? [s[1], s[2]] : [s[1], s[2]];
  return known(h) && known(w) ? [h, w] : null;
}

/**
 * Checks the declared output: one map per image. Throws MODEL_CONTRACT for a shape that cannot
 * be a depth map (a classifier's [N,K], a 3-channel image…); symbolic dims are checked at run time.
 */
function checkDeclaredOutput(session: ModelSession, meta: TensorMeta): void {
  if (meta.type !== 'float32') throw contractError(session, `its output "${meta.name}" is ${meta.type}, not float32`);
  const s = meta.shape;
  if (s.length === 0) return;
  let spatial: (number | string | null)[];
  if (s.length === 4) {
    if (!known(s[1]) || s[1] === 1) spatial = [s[2], s[3]];
    else if (s[3] === 1 || !known(s[3])) spatial = [s[1], s[2]];
    else throw contractError(session, `its output "${meta.name}" has shape [${s.join(',')}] with ${s[1]} channels, not a single-channel map`);
  } else if (s.length === 3) spatial = [s[1], s[2]];
  else if (s.length === 2) spatial = [s[0], s[1]];
  else throw contractError(session, `its output "${meta.name}" has rank ${s.length} [${s.join(',')}], not a depth map`);
  if (spatial.some((d) => known(d) && d < 2)) throw contractError(session, `its output "${meta.name}" has shape [${s.join(',')}], not a spatial map`);
}

/** Resolves and checks the contract of a loaded depth network. */
export function resolveDepthContract(session: ModelSession, record: ModelRecord, opts: { catalog?: Catalog; log?: (line: string) => void } = {}): DepthContract {
  const entry = findCatalogEntry(record, opts.catalog);
  const images = (entry?.contract.inputs ?? []).filter((i): i is ImageInputContract => i.role !== 'aux');
  const spec = images[0];
  if (session.inputs.length !== 1) {
    throw contractError(session, `it has ${session.inputs.length} inputs (${session.inputs.map((i) => `"${i.name}"`).join(', ')}), a depth network has one image input`);
  }
  const inMeta = session.inputs[0];
  if (inMeta.type !== 'float32') throw contractError(session, `its input "${inMeta.name}" is ${inMeta.type}, not float32`);
  const graphLayout = layoutOf(inMeta);
  if (!graphLayout) throw contractError(session, `its input "${inMeta.name}" has shape [${inMeta.shape.join(',')}], not an RGB image ([N,3,H,W] or [N,H,W,3])`);
  const layout = spec?.layout ?? graphLayout;
  if (spec && layout !== graphLayout && inMeta.shape.length > 0) {
    throw contractError(session, `the catalog says its input is ${layout} but the graph declares [${inMeta.shape.join(',')}]`);
  }
  const outName = entry?.contract.outputs[0]?.name ?? session.outputs[0]?.name;
  const outMeta = session.outputs.find((o) => o.name === outName) ?? session.outputs[0];
  if (!outMeta) throw contractError(session, 'it has no outputs');
  checkDeclaredOutput(session, outMeta);

  const fixed = declaredSize(inMeta, layout);
  let size: DepthContract['size'] = spec ? (spec.size === 'dynamic' ? 'dynamic' : [spec.size[0], spec.size[1]]) : fixed ?? 'dynamic';
  // The graph has the last word on a fixed size (a catalog 'dynamic' for a file with fixed dims would fail in run()).
  if (fixed && !spec?.freeDims) size = fixed;
  const contract: DepthContract = {
    input: inMeta.name,
    output: outMeta.name,
    layout,
    colour: spec?.colour ?? 'RGB',
    range: spec?.range ?? 'px',
    mean: spec?.mean,
    std: spec?.std,
    size,
    multipleOf: spec?.multipleOf ?? (size === 'dynamic' ? 32 : 1),
    origin: entry ? entry.id : 'graph',
  };
  if (!entry) opts.log?.(`depth: ${session.label} is not in the model catalog; assuming RGB 0–255 ${layout} input (as TCMonoDepth). Add it with \`dreamlayer models add\` if it needs another normalisation.`);
  return contract;
}

/**
 * Interprets the output tensor as a single depth plane: accepts [N,1,H,W], [N,H,W,1], [N,H,W]
 * and [H,W] (first batch item). Throws MODEL_CONTRACT for anything else.
 */
export function depthPlaneOf(label: string, out: { data: ArrayLike<number | bigint>; dims: readonly number[] }): { data: Float32Array; width: number; height: number } {
  const d = out.dims;
  let h = 0;
  let w = 0;
  if (d.length === 4 && d[1] === 1) [h, w] = [d[2], d[3]];
  else if (d.length === 4 && d[3] === 1) [h, w] = [d[1], d[2]];
  else if (d.length === 3) [h, w] = [d[1], d[2]];
  else if (d.length === 2) [h, w] = [d[0], d[1]];
  if (!(h >= 2 && w >= 2) || !(out.data instanceof Float32Array)) {
    throw new DreamLayerError('MODEL_CONTRACT', {
      stage: 'infer',
      message: `Model ${label} returned ${out.data instanceof Float32Array ? '' : 'a non-float '}tensor [${d.join(',')}], which is not a single-channel depth map.`,
      hint: 'A depth network returns [N,1,H,W], [N,H,W] or [N,H,W,1]; use a depth model (`dreamlayer models list --task depth`).',
    });
  }
  return { data: (out.data as Float32Array).subarray(0, h * w), width: w, height: h };
}
