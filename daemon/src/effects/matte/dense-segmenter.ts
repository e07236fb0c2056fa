/**
 * Semantic (DeepLab: class ids), person (MediaPipe selfie: NHWC probability) and
 * salient (U²-Net: saliency map) models behind the Segmenter interface. Each runs
 * on a region of the frame resized to the model's input, so a subject tracked in
 * a crop is seen at a higher effective resolution than in the whole frame.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { Image8 } from '../../core/image.ts';
import type { ModelSession } from '../../runtime/model-session.ts';
import { classNamesFor } from './class-names.ts';
import type { FamilyLayout } from './model-family.ts';
import type { Plane } from './matte-types.ts';
import { roiToChw, roiToFrame, type Roi } from './plane-ops.ts';
import { numberCandidates, regionCandidates } from './region-candidates.ts';
import type { Segmenter, SegmentResult } from './segmenter.ts';

/** How pixels become the model's input tensor (from the catalog contract, or the family's usual one). */
export interface DensePreprocess {
  colour: 'RGB' | 'BGR';
  /** Multiplies px (0..255) before mean/std; ignored when `maxNormalize`. */
  scale: number;
  /** Divide by the image's maximum instead of 255 (U²-Net). */
  maxNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  /** Short side for models with dynamic input dims (rounded to `multipleOf`). */
  dynamicShort: number;
  multipleOf: number;
}

/** The family's usual pre-processing (the shelf models' contracts). */
export function familyPreprocess(family: string): DensePreprocess {
  switch (family) {
    case 'semantic': // DeepLab v3 (TF): (px − 128) / 128
      return { colour: 'RGB', scale: 1, maxNormalize: false, mean: [128, 128, 128], std: [128, 128, 128], dynamicShort: 513, multipleOf: 1 };
    case 'person': // MediaPipe selfie: RGB 0..1
      return { colour: 'RGB', scale: 1 / 255, maxNormalize: false, mean: [0, 0, 0], std: [1, 1, 1], dynamicShort: 256, multipleOf: 1 };
    default: // U²-Net: 0..1 by the image maximum, ImageNet mean/std
      return { colour: 'RGB', scale: 1 / 255, maxNormalize: true, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], dynamicShort: 320, multipleOf: 32 };
  }
}

/** Pre-processing from a catalog input contract (range 'px' or [lo, hi], mean/std in those units). */
export function contractPreprocess(family: string, c: { colour: 'RGB' | 'BGR'; range: 'px' | [number, number]; mean?: number[]; std?: number[]; multipleOf?: number; note?: string }): DensePreprocess {
  const base = familyPreprocess(family);
  const scale = c.range === 'px' ? 1 : (c.range[1] - c.range[0]) / 255;
  return {
    colour: c.colour,
    scale,
    maxNormalize: /maximum/i.test(c.note ?? ''),
    mean: (c.mean as [number, number, number]) ?? [0, 0, 0],
    std: (c.std as [number, number, number]) ?? [1, 1, 1],
    dynamicShort: family === 'semantic' ? 520 : base.dynamicShort,
    multipleOf: c.multipleOf ?? 8,
  };
}

/** Planar RGB px (0..255) → the model's values, in place (and channel order swapped for BGR). */
function normalise(pre: DensePreprocess, chw: Float32Array, n: number): Float32Array {
  let s = pre.scale;
  if (pre.maxNormalize) {
    let mx = 0;
    for (let i = 0; i < chw.length; i++) if (chw[i] > mx) mx = chw[i];
    s = mx > 0 ? 1 / mx : 0;
  }
  const out = new Float32Array(chw.length);
  for (let c = 0; c < 3; c++) {
    const src = pre.colour === 'BGR' ? 2 - c : c;
    const m = pre.mean[c], d = pre.std[c];
    for (let i = 0; i < n; i++) out[c * n + i] = (chw[src * n + i] * s - m) / d;
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export class DenseSegmenter implements Segmenter {
  readonly family;
  readonly classNames;
  readonly label: string;

  private readonly pre: DensePreprocess;

  constructor(private readonly session: ModelSession, private readonly layout: FamilyLayout, pre?: DensePreprocess) {
    this.family = layout.family;
    this.pre = pre ?? familyPreprocess(layout.family);
    this.classNames = classNamesFor(layout.family);
    this.label = session.label;
  }

  /** Input size for a region: the declared one, or short side `dynamicShort` for dynamic models. */
  private inputSize(roi: Roi): [number, number] {
    if (this.layout.fixedSize) return this.layout.fixedSize;
    const k = this.pre.dynamicShort / Math.min(roi.width, roi.height);
    const m = Math.max(1, this.pre.multipleOf);
    return [Math.max(m, Math.round((roi.height * k) / m) * m), Math.max(m, Math.round((roi.width * k) / m) * m)];
  }

  /** Runs the model on the ROI; returns class id → probability at model resolution. */
  async rawMaps(frame: Image8, roi: Roi, classIds: number[] | null): Promise<{ h: number; w: number; maps: Map<number, Float32Array> }> {
    const [ih, iw] = this.inputSize(roi);
    const n = ih * iw;
    const chw = normalise(this.pre, roiToChw(frame, roi, ih, iw), n);
    let data = chw;
    let dims = [1, 3, ih, iw];
    if (this.layout.layout === 'NHWC') {
      data = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = chw[c * n + i];
      dims = [1, ih, iw, 3];
    }
    const outs = await this.session.run({ [this.layout.input]: { data, dims } }, [this.layout.output!]);
    const y = outs[this.layout.output!];
    return this.readOutput(y.data, y.dims, classIds);
  }

  private readOutput(data: ArrayLike<number | bigint>, dims: number[], classIds: number[] | null): { h: number; w: number; maps: Map<number, Float32Array> } {
    const maps = new Map<number, Float32Array>();
    const bad = (why: string): never => {
      throw new DreamLayerError('MODEL_CONTRACT', { stage: 'infer', message: `Model ${this.label} returned ${why} (dims [${dims.join(',')}]) for a ${this.family} matte.` });
    };
    if (this.family === 'semantic' && !(data instanceof Float32Array)) {
      // Class-id map: the last two dims are H, W.
      if (dims.length < 2) bad('a class map of rank < 2');
      const h = dims[dims.length - 2], w = dims[dims.length - 1];
      const n = h * w;
      if (data.length < n) bad('fewer values than its dims');
      const present = new Set<number>();
      for (let i = 0; i < n; i++) present.add(Number(data[i]));
      for (const c of present) {
        if (c <= 0 || (classIds && !classIds.includes(c))) continue;
        const m = new Float32Array(n);
        for (let i = 0; i < n; i++) if (Number(data[i]) === c) m[i] = 1;
        maps.set(c, m);
      }
      return { h, w, maps };
    }
    const f = data as Float32Array;
    if (this.family === 'semantic') {
      // Class scores [1,K,H,W]: softmax over K.
      if (dims.length !== 4) bad('class scores that are not [1,K,H,W]');
      const [, k, h, w] = dims;
      const n = h * w;
      const probs = Array.from({ length: k }, () => new Float32Array(n));
      for (let i = 0; i < n; i++) {
        let mx = -Infinity;
        for (let c = 0; c < k; c++) mx = Math.max(mx, f[c * n + i]);
        let s = 0;
        for (let c = 0; c < k; c++) s += probs[c][i] = Math.exp(f[c * n + i] - mx);
        for (let c = 0; c < k; c++) probs[c][i] /= s;
      }
      for (let c = 1; c < k; c++) if (!classIds || classIds.includes(c)) maps.set(c, probs[c]);
      return { h, w, maps };
    }
    // Person / salient: one map; [1,1,H,W], [1,H,W,1], [1,H,W] or 2 channels (take foreground).
    let h: number, w: number, ch: number, chLast: boolean;
    if (dims.length === 4 && dims[1] <= 2 && dims[3] > 2) [h, w, ch, chLast] = [dims[2], dims[3], dims[1], false];
    else if (dims.length === 4) [h, w, ch, chLast] = [dims[1], dims[2], dims[3], true];
    else if (dims.length === 3) [h, w, ch, chLast] = [dims[1], dims[2], 1, false];
    else bad('a map that is not [1,1,H,W] or [1,H,W,1]');
    const n = h! * w!;
    const m = new Float32Array(n);
    const at = (c: number, i: number) => (chLast! ? f[i * ch! + c] : f[c * n + i]);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (ch! === 2) {
        const a = at(0, i), b = at(1, i);
        v = a >= 0 && a <= 1 && b >= 0 && b <= 1 ? b / Math.max(1e-6, a + b) : sigmoid(b - a);
      } else v = at(0, i);
      m[i] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (this.family === 'salient') {
      // U²-Net's maps are min–max normalised to a matte.
      const s = hi - lo > 1e-6 ? 1 / (hi - lo) : 0;
      for (let i = 0; i < n; i++) m[i] = (m[i] - lo) * s;
    } else if (lo < 0 || hi > 1) {
      for (let i = 0; i < n; i++) m[i] = sigmoid(m[i]);
    }
    if (!classIds || classIds.includes(1)) maps.set(1, m);
    return { h: h!, w: w!, maps };
  }

  async segment(frame: Image8, roi: Roi, classIds: number[] | null): Promise<SegmentResult> {
    const raw = await this.rawMaps(frame, roi, classIds);
    const maps = new Map<number, Plane>();
    const cands = [];
    for (const [c, m] of raw.maps) {
      const plane = roiToFrame(m, raw.h, raw.w, roi, frame.width, frame.height);
      maps.set(c, plane);
      cands.push(...regionCandidates(plane, { classId: c, label: this.classNames[c] ?? `class ${c}` }));
    }
    return { roi, candidates: numberCandidates(cands), maps };
  }
}
