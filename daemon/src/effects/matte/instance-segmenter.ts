/**
 * Mask R-CNN (R-50-FPN, ONNX Model Zoo contract) behind the Segmenter interface:
 * float32 [3,H,W] BGR minus the Detectron means, H and W padded to multiples of
 * 32, the short side scaled to about 800; outputs boxes [n,4] (input pixels),
 * labels [n] (COCO, 1 = person), scores [n] and masks [n,1,28,28], each mask
 * pasted into its box at full frame resolution.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { Image8 } from '../../core/image.ts';
import type { ModelSession } from '../../runtime/model-session.ts';
import { classNamesFor } from './class-names.ts';
import type { FamilyLayout } from './model-family.ts';
import { createPlane, type Candidate, type Plane } from './matte-types.ts';
import { pasteMask } from './paste-mask.ts';
import { roiToChw, type Roi } from './plane-ops.ts';
import type { Segmenter, SegmentResult } from './segmenter.ts';

/** Per-channel means subtracted from BGR px (Detectron / ONNX Model Zoo Mask R-CNN). */
export const MASK_RCNN_MEAN_BGR = [102.9801, 115.9465, 122.7717] as const;

export interface InstanceOptions {
  /** Short side of the network input (default 800). */
  shortSide?: number;
  /** Cap on the long side (default 1333). */
  maxSide?: number;
  /** Detections below this score are dropped (default 0.5). */
  minScore?: number;
  /** At most this many candidates per frame (default 50). */
  maxCandidates?: number;
}

/** Network input size for a region: short side → `short` (long side capped), padded up to multiples of 32. */
export function instanceInputSize(w: number, h: number, short = 800, max = 1333): { scale: number; rw: number; rh: number; pw: number; ph: number } {
  let scale = short / Math.min(w, h);
  if (Math.max(w, h) * scale > max) scale = max / Math.max(w, h);
  const rw = Math.max(1, Math.round(w * scale));
  const rh = Math.max(1, Math.round(h * scale));
  return { scale, rw, rh, pw: Math.ceil(rw / 32) * 32, ph: Math.ceil(rh / 32) * 32 };
}

export class InstanceSegmenter implements Segmenter {
  readonly family = 'instance' as const;
  readonly classNames = classNamesFor('instance');
  readonly label: string;

  constructor(private readonly session: ModelSession, private readonly layout: FamilyLayout, private readonly opts: InstanceOptions = {}) {
    this.label = session.label;
  }

  async segment(frame: Image8, roi: Roi, classIds: number[] | null): Promise<SegmentResult> {
    const { scale, rw, rh, pw, ph } = this.layout.fixedSize
      ? { scale: Math.min(this.layout.fixedSize[0] / roi.height, this.layout.fixedSize[1] / roi.width), rw: 0, rh: 0, pw: this.layout.fixedSize[1], ph: this.layout.fixedSize[0] }
      : instanceInputSize(roi.width, roi.height, this.opts.shortSide, this.opts.maxSide);
    const w = rw || Math.round(roi.width * scale);
    const h = rh || Math.round(roi.height * scale);
    const rgb = roiToChw(frame, roi, h, w);
    // BGR minus mean, zero-padded on the right and bottom.
    const x = new Float32Array(3 * ph * pw);
    const n = w * h;
    for (let c = 0; c < 3; c++) {
      const src = (2 - c) * n;
      for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) x[c * ph * pw + yy * pw + xx] = rgb[src + yy * w + xx] - MASK_RCNN_MEAN_BGR[c];
    }
    const dims = this.layout.layout === 'CHW' ? [3, ph, pw] : [1, 3, ph, pw];
    const roles = this.layout.instance!;
    const out = await this.session.run({ [this.layout.input]: { data: x, dims } }, [roles.boxes, roles.labels, roles.scores, roles.masks]);
    const boxes = out[roles.boxes], labels = out[roles.labels], scores = out[roles.scores], masks = out[roles.masks];
    const count = scores.dims[0] ?? 0;
    const bad = (why: string): never => {
      throw new DreamLayerError('MODEL_CONTRACT', {
        stage: 'infer',
        message: `Model ${this.label} returned ${why}: boxes [${boxes.dims.join(',')}], labels [${labels.dims.join(',')}], scores [${scores.dims.join(',')}], masks [${masks.dims.join(',')}].`,
      });
    };
    if (boxes.dims.length !== 2 || boxes.dims[1] !== 4 || boxes.dims[0] !== count) bad('boxes that are not [n,4] for its n scores');
    if (labels.dims[0] !== count) bad('a label count different from its score count');
    if (masks.dims.length !== 4 || masks.dims[0] !== count) bad('masks that are not [n,1,h,w] for its n scores');
    const mh = masks.dims[2], mw = masks.dims[3];
    const mc = masks.dims[1];
    const minScore = this.opts.minScore ?? 0.5;
    const cands: Candidate[] = [];
    const maps = new Map<number, Plane>();
    const bd = boxes.data as Float32Array, sd = scores.data as Float32Array, md = masks.data as Float32Array;
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => sd[b] - sd[a]);
    for (const i of order) {
      const score = sd[i];
      const cls = Number(labels.data[i]);
      if (!(score >= minScore) || cls <= 0 || (classIds && !classIds.includes(cls))) continue;
      if (cands.length >= (this.opts.maxCandidates ?? 50)) break;
      // Network pixels → frame pixels.
      const box = {
        x0: roi.x + bd[i * 4] / scale,
        y0: roi.y + bd[i * 4 + 1] / scale,
        x1: roi.x + bd[i * 4 + 2] / scale,
        y1: roi.y + bd[i * 4 + 3] / scale,
      };
      const grid = md.subarray(i * mc * mh * mw, i * mc * mh * mw + mh * mw);
      const mask = pasteMask(grid, mh, mw, box, frame.width, frame.height);
      let area = 0;
      for (const v of mask.data) if (v >= 0.5) area++;
      if (area === 0) continue;
      const clipped = { x0: Math.max(0, box.x0), y0: Math.max(0, box.y0), x1: Math.min(frame.width, box.x1), y1: Math.min(frame.height, box.y1) };
      cands.push({ id: cands.length + 1, classId: cls, label: this.classNames[cls] ?? `class ${cls}`, score, box: clipped, area, mask });
      let m = maps.get(cls);
      if (!m) maps.set(cls, (m = createPlane(frame.width, frame.height)));
      for (let k = 0; k < m.data.length; k++) if (mask.data[k] > m.data[k]) m.data[k] = mask.data[k];
    }
    return { roi, candidates: cands, maps };
  }
}
