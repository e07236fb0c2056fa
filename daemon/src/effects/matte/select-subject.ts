/**
 * Choosing the subject on the first frame: the candidate under a clicked point,
 * the one that best fills a drawn box, one by its --list number, or all
 * candidates of the chosen classes. Also the subject's colour signature, used to
 * recognise it again after it was hidden.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { Image8 } from '../../core/image.ts';
import { squaredDistance } from './distance-transform.ts';
import { boxIou, createPlane, type Box, type Candidate, type Plane } from './matte-types.ts';

export interface Selection {
  /** Class ids to consider (null = any). */
  classIds: number[] | null;
  /** A point on the subject, in processing-frame pixels. */
  point: { x: number; y: number } | null;
  /** A box around the subject, in processing-frame pixels. */
  box: Box | null;
  /** A candidate number from `--list` (first frame). */
  instance: number | null;
}

/** True when one subject is chosen (point, box or number); false = all candidates of the classes. */
export function isSingle(sel: Selection): boolean {
  return sel.point !== null || sel.box !== null || sel.instance !== null;
}

function numbers(text: string, count: number, flag: string, example: string): number[] {
  const parts = text.split(/[ ,]+/).filter(Boolean).map(Number);
  if (parts.length !== count || parts.some((v) => !Number.isFinite(v))) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `${flag} "${text}" is not ${count} numbers.`, hint: `Write ${flag} ${example} in source pixels (x right, y down, from the top-left corner).` });
  }
  return parts;
}

/** Parses `--point X,Y` / `--box X0,Y0,X1,Y1` (source pixels) into processing-frame pixels (scale = processing / source). */
export function parseSelection(p: { point: string; box: string; instance: number }, classIds: number[] | null, scaleX: number, scaleY: number, frameW: number, frameH: number): Selection {
  let point: Selection['point'] = null;
  let box: Selection['box'] = null;
  if (p.point.trim()) {
    const [x, y] = numbers(p.point, 2, '--point', '412,180');
    point = { x: x * scaleX, y: y * scaleY };
    if (point.x < 0 || point.y < 0 || point.x >= frameW || point.y >= frameH) {
      throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--point ${p.point} lies outside the frame (${Math.round(frameW / scaleX)}×${Math.round(frameH / scaleY)}).`, hint: 'Give a point on the subject in source pixels.' });
    }
  }
  if (p.box.trim()) {
    const [a, b, c, d] = numbers(p.box, 4, '--box', '300,40,520,470');
    box = { x0: Math.min(a, c) * scaleX, y0: Math.min(b, d) * scaleY, x1: Math.max(a, c) * scaleX, y1: Math.max(b, d) * scaleY };
    if (box.x1 - box.x0 < 1 || box.y1 - box.y0 < 1) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `--box ${p.box} is empty.`, hint: 'Give two opposite corners: --box X0,Y0,X1,Y1.' });
  }
  return { classIds, point, box, instance: p.instance > 0 ? p.instance : null };
}

/** The union (max) of the candidates' masks. */
export function unionMask(cands: Candidate[], w: number, h: number): Plane {
  const out = createPlane(w, h);
  for (const c of cands) for (let i = 0; i < out.data.length; i++) if (c.mask.data[i] > out.data[i]) out.data[i] = c.mask.data[i];
  return out;
}

/** Keeps a mask only inside `box` grown by `pad` px. */
export function clipToBox(m: Plane, box: Box, pad: number): Plane {
  const out = createPlane(m.width, m.height);
  const x0 = Math.max(0, Math.floor(box.x0 - pad)), x1 = Math.min(m.width, Math.ceil(box.x1 + pad));
  const y0 = Math.max(0, Math.floor(box.y0 - pad)), y1 = Math.min(m.height, Math.ceil(box.y1 + pad));
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.data[y * m.width + x] = m.data[y * m.width + x];
  return out;
}

export interface Chosen {
  candidates: Candidate[];
  mask: Plane;
  /** Class of the subject (the first chosen candidate's). */
  classId: number | null;
}

/**
 * The subject on the first frame. Point: the candidate whose mask is highest at the
 * point (ties: the smaller), else the nearest within 5 % of the diagonal. Box: the
 * best box overlap, clipped to the box. Number: that candidate. None of these: all.
 * Returns null when nothing fits.
 */
export function chooseSubject(cands: Candidate[], sel: Selection, w: number, h: number): Chosen | null {
  if (cands.length === 0) return null;
  if (sel.instance !== null) {
    const c = cands.find((x) => x.id === sel.instance);
    if (!c) {
      throw new DreamLayerError('PARAM_INVALID', {
        stage: 'validate',
        message: `--instance ${sel.instance}: the first frame has ${cands.length} candidate${cands.length === 1 ? '' : 's'} (1–${cands.length}).`,
        hint: 'Run with --list to see the numbered candidates.',
      });
    }
    return { candidates: [c], mask: c.mask, classId: c.classId };
  }
  if (sel.point) {
    const px = Math.min(w - 1, Math.max(0, Math.round(sel.point.x - 0.5)));
    const py = Math.min(h - 1, Math.max(0, Math.round(sel.point.y - 0.5)));
    const at = cands.filter((c) => c.mask.data[py * w + px] >= 0.5).sort((a, b) => b.mask.data[py * w + px] - a.mask.data[py * w + px] || a.area - b.area);
    let c = at[0];
    if (!c) {
      const limit = 0.05 * Math.hypot(w, h);
      let best = Infinity;
      for (const k of cands) {
        const d = Math.sqrt(squaredDistance(Array.from(k.mask.data, (v) => (v >= 0.5 ? 1 : 0)), w, h)[py * w + px]);
        if (d < best && d <= limit) {
          best = d;
          c = k;
        }
      }
    }
    return c ? { candidates: [c], mask: c.mask, classId: c.classId } : null;
  }
  if (sel.box) {
    let best: Candidate | undefined;
    let bestIou = 0;
    for (const c of cands) {
      const iou = boxIou(c.box, sel.box);
      if (iou > bestIou) {
        bestIou = iou;
        best = c;
      }
    }
    if (!best) return null;
    const pad = 0.02 * Math.hypot(sel.box.x1 - sel.box.x0, sel.box.y1 - sel.box.y0);
    return { candidates: [best], mask: clipToBox(best.mask, sel.box, pad), classId: best.classId };
  }
  return { candidates: cands, mask: unionMask(cands, w, h), classId: null };
}

/** Colour signature of the subject: an alpha-weighted 8×8×8 RGB histogram, normalised to sum 1. */
export function colourSignature(img: Image8, alpha: Plane): Float32Array {
  const hist = new Float32Array(512);
  const ch = img.channels;
  let sum = 0;
  for (let i = 0, j = 0; i < alpha.data.length; i++, j += ch) {
    const a = alpha.data[i];
    if (a < 0.5) continue;
    const bin = ((img.data[j] >> 5) << 6) | ((img.data[j + 1] >> 5) << 3) | (img.data[j + 2] >> 5);
    hist[bin] += a;
    sum += a;
  }
  if (sum > 0) for (let k = 0; k < 512; k++) hist[k] /= sum;
  return hist;
}

/** Bhattacharyya coefficient of two normalised histograms (1 = identical). */
export function signatureSimilarity(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.sqrt(a[k] * b[k]);
  return s;
}
