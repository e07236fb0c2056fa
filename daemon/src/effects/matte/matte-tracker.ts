/**
 * The matte's frame-to-frame logic. First frame: choose the subject among the
 * model's candidates, then look again at a crop around it. Later frames: carry
 * the previous alpha along the optical flow, run the model on a crop around that
 * prediction (higher effective resolution), keep the candidates that overlap it
 * (same identity), refine to soft alpha with the guided filter, apply grow /
 * feather, and blend with the carried alpha where the flow is reliable (removes
 * edge shimmer without lagging: the blend follows the motion).
 *
 * Resume rule: `next` depends only on the current and previous source frames,
 * the previous *output* alpha and the first-frame reference (itself a function of
 * the first source frame and the parameters), so a resumed job is identical.
 */
import type { Image8 } from '../../core/image.ts';
import type { FlowEstimator } from '../../flow/types.ts';
import { featherAlpha, growAlpha } from './alpha-adjust.ts';
import { squaredDistance } from './distance-transform.ts';
import { FlipAveragedSegmenter } from './flip-averaged-segmenter.ts';
import { guidedFilter } from './guided-filter.ts';
import { createPlane, type Candidate, type MatteFamily, type Plane } from './matte-types.ts';
import { flowConfidence, flowToPrevious, warpPlane } from './motion.ts';
import { clamp01, fullRoi, maskBox, roiAround, type Roi } from './plane-ops.ts';
import { chooseSubject, colourSignature, isSingle, signatureSimilarity, unionMask, type Selection } from './select-subject.ts';
import type { Segmenter } from './segmenter.ts';

export interface TrackerOptions {
  segmenter: Segmenter;
  /** A second model (person or salient) whose map joins the subject's near it (see `fusion`). */
  assist?: Segmenter | null;
  /** Optical flow; null = assume no motion. */
  flow: FlowEstimator | null;
  selection: Selection;
  /** 0..1: how much of the motion-compensated previous alpha is kept where the flow is reliable. */
  temporal: number;
  /** Grow (px > 0) or shrink (px < 0) the matte. */
  grow: number;
  /** Soften the edge over about ±px. */
  feather: number;
  /** Refine edges with the guided filter (default true). */
  refine?: boolean;
  /** Crop around the tracked subject (default: yes for dense families, no for instance models); false = whole frame. */
  crop?: boolean;
  /** Margin of the crop around the predicted subject, as a fraction of its larger side (default 0.1). */
  cropMargin?: number;
  /**
   * Average dense models with their mirror image (FlipAveragedSegmenter; twice the model time): true = every dense
   * family, false = none, or the families to average (default: MIRROR_FAMILIES).
   */
  mirror?: boolean | readonly MatteFamily[];
  /** How the assisting map joins the subject's: 'max' (either model) or 'mean' (default 'max'). */
  fusion?: 'max' | 'mean';
  /**
   * Weight (0..1) of the flow-carried previous matte as evidence for the model's map, in log-odds (default 0.5; 0 = off):
   * where the models are unsure (a half-seen head), a subject seen on the previous frame stays; where they are sure,
   * they win.
   */
  prior?: number;
  /** Neighbourhood (px) of the fresh alpha that bounds the carried one (default 4). */
  clampRadius?: number;
  /** Colour difference (0..1) at which the flow confidence falls to 1/e (default 0.15). */
  confidenceSigma?: number;
  /** Longer side of the frames the flow is estimated on (default 448). */
  flowMaxSide?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** What is remembered from the first frame (a function of that frame and the parameters only). */
export interface SubjectReference {
  /** Subject class (single subject), null = all candidates of the selection's classes. */
  classId: number | null;
  single: boolean;
  /** Colour signature of the subject on the first frame (for re-acquiring it after an occlusion). */
  signature: Float32Array | null;
  area: number;
}

/** Per-frame diagnostics (for result.json and the benchmark). */
export interface FrameInfo {
  roi: Roi;
  candidates: number;
  chosen: number;
  lost: boolean;
  reacquired: boolean;
}

const COVER_FRACTION = 0.3; // a region mostly inside the prediction belongs to the subject…
const HIT_FRACTION = 0.1; // …and so does one that holds a good part of the prediction
const CLAMP_RADIUS = 4; // px: neighbourhood of the fresh alpha that bounds the carried one
const CONFIDENCE_SIGMA = 0.15;
const CROP_MARGIN = 0.1; // of the subject's larger side: the subject fills the model's input (0.25 before: J −0.03)
const PRIOR = 0.5;
/**
 * Dense families averaged with their mirror image by default. Person maps gain from it (selfie on dance-twirl:
 * J 0.738 → 0.766 with the other changes); U²-Net-p alone lost J with it (0.750 → 0.718) and the combination is
 * the same either way, so salient and semantic models run once.
 */
export const MIRROR_FAMILIES: readonly MatteFamily[] = ['person'];
const WHOLE_FRACTION = 0.8; // a region this much within reach of the prediction is taken whole

export class MatteTracker {
  lastInfo: FrameInfo | null = null;

  private readonly o: TrackerOptions;

  constructor(options: TrackerOptions) {
    // Dense models get mirror-averaged (their errors are not mirror-symmetric); Mask R-CNN's instances are not maps to average.
    const m = options.mirror ?? MIRROR_FAMILIES;
    const on = (f: MatteFamily) => f !== 'instance' && (m === true || (Array.isArray(m) && m.includes(f)));
    const mirror = (s: Segmenter) => (on(s.family) ? new FlipAveragedSegmenter(s) : s);
    this.o = { ...options, segmenter: mirror(options.segmenter), assist: options.assist ? mirror(options.assist) : options.assist };
  }

  private classFilter(ref: SubjectReference | null): number[] | null {
    if (ref?.classId != null) return [ref.classId];
    return this.o.selection.classIds;
  }

  /** First frame of the range: choose, zoom in, refine. */
  async first(frame: Image8): Promise<{ alpha: Plane; reference: SubjectReference }> {
    const { width: W, height: H } = frame;
    const sel = this.o.selection;
    const res = await this.o.segmenter.segment(frame, fullRoi(W, H), sel.classIds);
    const chosen = chooseSubject(res.candidates, sel, W, H);
    const single = isSingle(sel);
    if (!chosen) {
      this.o.log?.(`matte: no ${sel.classIds ? 'candidate of the chosen classes' : 'candidate'} ${sel.point ? 'at the point' : sel.box ? 'in the box' : ''} on the first frame; the matte is empty until one appears`);
      const reference: SubjectReference = { classId: sel.classIds?.[0] ?? null, single, signature: null, area: 0 };
      this.lastInfo = { roi: res.roi, candidates: res.candidates.length, chosen: 0, lost: true, reacquired: false };
      return { alpha: createPlane(W, H), reference };
    }
    let fresh = chosen.mask;
    const reference: SubjectReference = { classId: single ? chosen.classId : null, single, signature: null, area: 0 };
    if (single) fresh = (await this.fromPrediction(frame, chosen.mask, reference)).fresh;
    else fresh = await this.assistAll(frame, fresh);
    const alpha = this.finish(frame, fresh);
    reference.signature = colourSignature(frame, alpha);
    reference.area = maskBox(alpha)?.area ?? 0;
    return { alpha, reference };
  }

  /** A later frame: `prev`/`prevAlpha` are the previous source frame and output alpha (null = none). */
  async next(frame: Image8, prev: Image8 | null, prevAlpha: Plane | null, ref: SubjectReference): Promise<Plane> {
    const { width: W, height: H } = frame;
    let predicted: Plane | null = null;
    let confidence: Float32Array | null = null;
    if (prev && prevAlpha) {
      if (this.o.flow) {
        const flow = await flowToPrevious(this.o.flow, frame, prev, this.o.flowMaxSide ?? 448, this.o.signal);
        predicted = warpPlane(prevAlpha, flow).plane;
        confidence = flowConfidence(frame, prev, flow, this.o.confidenceSigma ?? CONFIDENCE_SIGMA);
      } else {
        predicted = prevAlpha;
        confidence = new Float32Array(W * H).fill(1);
      }
    }
    let fresh: Plane;
    if (ref.single) {
      const hasPrediction = predicted !== null && maskBox(predicted) !== null;
      if (hasPrediction) {
        const r = await this.fromPrediction(frame, predicted!, ref);
        fresh = r.fresh;
      } else {
        fresh = await this.reacquire(frame, ref);
      }
    } else {
      const res = await this.o.segmenter.segment(frame, fullRoi(W, H), this.classFilter(ref));
      fresh = await this.assistAll(frame, unionMask(res.candidates, W, H));
      this.lastInfo = { roi: res.roi, candidates: res.candidates.length, chosen: res.candidates.length, lost: false, reacquired: false };
    }
    const prior = this.o.prior ?? PRIOR;
    // Temporal 0 means each frame alone: no evidence from the previous frame either.
    if (ref.single && predicted && confidence && prior > 0 && this.o.temporal > 0) fresh = applyPrior(fresh, predicted, confidence, prior);
    const alpha = this.finish(frame, fresh);
    if (predicted && confidence && this.o.temporal > 0) {
      // As in temporal anti-aliasing, the carried alpha is first clamped to the range of the fresh alpha
      // around each pixel: it can steady an edge that flickers but cannot leave a trail where the fresh
      // matte is flatly 0 or 1 (so a wrong or too-short flow never makes the matte lag).
      const cr = this.o.clampRadius ?? CLAMP_RADIUS;
      const lo = growAlpha(alpha, -cr).data, hi = growAlpha(alpha, cr).data;
      const k = this.o.temporal;
      const a = alpha.data, p = predicted.data;
      for (let i = 0; i < a.length; i++) {
        const q = p[i] < lo[i] ? lo[i] : p[i] > hi[i] ? hi[i] : p[i];
        a[i] += k * confidence[i] * (q - a[i]);
      }
    }
    return alpha;
  }

  /** Looks at a crop around the predicted subject and keeps what overlaps the prediction. */
  private async fromPrediction(frame: Image8, predicted: Plane, ref: SubjectReference): Promise<{ fresh: Plane }> {
    const { width: W, height: H } = frame;
    const pb = maskBox(predicted)!;
    // Dense models have small fixed inputs: a crop around the subject sees it at a higher resolution.
    // Mask R-CNN already works at ~800 px and separates instances itself: it runs on the whole frame.
    const crop = this.o.crop ?? this.o.segmenter.family !== 'instance';
    const roi = crop ? roiAround(pb.box, W, H, this.o.cropMargin ?? CROP_MARGIN, 16) : fullRoi(W, H);
    const res = await this.o.segmenter.segment(frame, roi, this.classFilter(ref));
    const P = predicted.data;
    const scored = res.candidates.map((c) => {
      let inter = 0;
      for (let i = 0; i < P.length; i++) if (P[i] >= 0.5 && c.mask.data[i] >= 0.5) inter++;
      return { c, inter, iou: inter / (c.area + pb.area - inter), cover: inter / c.area, hit: inter / pb.area };
    });
    let keep: Candidate[];
    const gate = this.o.segmenter.family === 'instance' ? null : this.gate(predicted, pb.area);
    if (this.o.segmenter.family === 'instance') {
      const best = scored.filter((s) => s.iou >= 0.1).sort((a, b) => b.iou - a.iou)[0];
      keep = best ? [best.c] : [];
    } else {
      // Also keep a region lying entirely within reach of the prediction: a part of the subject that the
      // model split off (a head above a thin neck) or that an earlier frame missed comes back.
      const within = (c: Candidate) => {
        let near = 0;
        for (let i = 0; i < gate!.length; i++) if (c.mask.data[i] >= 0.5 && gate![i] > 0) near++;
        return near >= WHOLE_FRACTION * c.area;
      };
      keep = scored.filter((s) => s.cover >= COVER_FRACTION || s.hit >= HIT_FRACTION || (s.inter > 0 || s.c.area < pb.area) && within(s.c)).map((s) => s.c);
    }
    this.lastInfo = { roi, candidates: res.candidates.length, chosen: keep.length, lost: keep.length === 0, reacquired: false };
    let fresh: Plane;
    if (gate) {
      // A region lying mostly near the prediction is the subject, moved: take it whole (no lag when the
      // flow under-estimates the motion). One reaching far beyond it is the subject merged with
      // something else: keep only its part near the prediction.
      fresh = createPlane(W, H);
      for (const c of keep) {
        let near = 0;
        for (let i = 0; i < gate.length; i++) if (c.mask.data[i] >= 0.5 && gate[i] > 0) near++;
        const whole = near >= WHOLE_FRACTION * c.area;
        const m = c.mask.data, f = fresh.data;
        for (let i = 0; i < f.length; i++) {
          const v = whole ? m[i] : m[i] * gate[i];
          if (v > f[i]) f[i] = v;
        }
      }
    } else {
      fresh = unionMask(keep, W, H);
    }
    if (this.o.assist && keep.length) fresh = await this.fuseAssist(frame, roi, fresh, gate ?? this.gate(fresh, maskBox(fresh)?.area ?? 0));
    return { fresh };
  }

  /**
   * Dense models cannot tell touching objects apart: keep the fresh map only near the
   * prediction (1 within r, fading to 0 at 2r; r grows with the subject's size), so a
   * subject that touches a crowd is not merged with it.
   */
  private gate(predicted: Plane, area: number): Float32Array {
    const { width: W, height: H } = predicted;
    const r = Math.max(6, 0.1 * Math.sqrt(area));
    const d2 = squaredDistance(Array.from(predicted.data, (v) => (v >= 0.5 ? 1 : 0)), W, H);
    const g = new Float32Array(W * H);
    for (let i = 0; i < g.length; i++) {
      const d = Math.sqrt(d2[i]);
      g[i] = d <= r ? 1 : d >= 2 * r ? 0 : (2 * r - d) / r;
    }
    return g;
  }

  /** Joins the assisting model's map (inside the gate) to the subject's map: max, or mean. */
  private async fuseAssist(frame: Image8, roi: Roi, fresh: Plane, gate: Float32Array): Promise<Plane> {
    const a = await this.o.assist!.segment(frame, roi, null);
    const map = a.maps.get(1) ?? [...a.maps.values()][0];
    if (!map) return fresh;
    const out = createPlane(fresh.width, fresh.height);
    const f = fresh.data, m = map.data, o = out.data;
    if (this.o.fusion === 'mean') for (let i = 0; i < o.length; i++) o[i] = 0.5 * (f[i] + m[i] * gate[i]);
    else {
      // The assisting model can add what it sees as subject (≥ 0.5), but its faint values elsewhere would
      // only lay a haze over the background: below 0.5 it cannot raise the alpha.
      for (let i = 0; i < o.length; i++) {
        const a = m[i] * gate[i];
        o[i] = a >= 0.5 ? Math.max(f[i], a) : f[i];
      }
    }
    return out;
  }

  private async assistAll(frame: Image8, fresh: Plane): Promise<Plane> {
    if (!this.o.assist) return fresh;
    const box = maskBox(fresh);
    if (!box) return fresh;
    return this.fuseAssist(frame, fullRoi(frame.width, frame.height), fresh, this.gate(fresh, box.area));
  }

  /** After a full occlusion: the candidate of the subject's class that looks most like it did on the first frame. */
  private async reacquire(frame: Image8, ref: SubjectReference): Promise<Plane> {
    const { width: W, height: H } = frame;
    const res = await this.o.segmenter.segment(frame, fullRoi(W, H), this.classFilter(ref));
    let best: Candidate | null = null;
    let bestSim = 0.5;
    if (ref.signature) {
      for (const c of res.candidates) {
        if (ref.area > 0 && (c.area < 0.2 * ref.area || c.area > 5 * ref.area)) continue;
        const sim = signatureSimilarity(colourSignature(frame, c.mask), ref.signature);
        if (sim > bestSim) {
          bestSim = sim;
          best = c;
        }
      }
    }
    this.lastInfo = { roi: res.roi, candidates: res.candidates.length, chosen: best ? 1 : 0, lost: !best, reacquired: !!best };
    if (!best) return createPlane(W, H);
    const { fresh } = await this.fromPrediction(frame, best.mask, ref);
    this.lastInfo.reacquired = true;
    return fresh;
  }

  /** Guided-filter refinement around the subject, haze removal, then grow and feather. */
  private finish(frame: Image8, fresh: Plane): Plane {
    let alpha = this.o.refine === false ? clamp01({ ...fresh, data: fresh.data.slice() }) : refineAlpha(frame, fresh);
    alpha = trimHaze(alpha);
    if (this.o.grow) alpha = growAlpha(alpha, this.o.grow);
    if (this.o.feather) alpha = featherAlpha(alpha, this.o.feather);
    return clamp01(alpha);
  }
}

/**
 * Soft alpha from a coarse mask, guided by the frame (colour guided filter on the
 * subject's neighbourhood; radius ≈ 1 % of the subject's size, at least 2 px).
 */
export function refineAlpha(frame: Image8, coarse: Plane, opts: { radius?: number; eps?: number } = {}): Plane {
  const { width: W, height: H } = frame;
  const out = createPlane(W, H);
  const b = maskBox(coarse, 0.02);
  if (!b) return out;
  const size = Math.max(b.box.x1 - b.box.x0, b.box.y1 - b.box.y0);
  const r = opts.radius ?? Math.max(2, Math.round(0.012 * size));
  const pad = 3 * r + 2;
  const x0 = Math.max(0, b.box.x0 - pad), y0 = Math.max(0, b.box.y0 - pad);
  const x1 = Math.min(W, b.box.x1 + pad), y1 = Math.min(H, b.box.y1 + pad);
  const w = x1 - x0, h = y1 - y0, n = w * h;
  const guide = new Float32Array(3 * n);
  const p = new Float32Array(n);
  const ch = frame.channels;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const s = (y0 + y) * W + x0 + x;
      const j = s * ch;
      guide[i] = frame.data[j] / 255;
      guide[n + i] = frame.data[j + 1] / 255;
      guide[2 * n + i] = frame.data[j + 2] / 255;
      p[i] = coarse.data[s];
    }
  }
  const q = guidedFilter(guide, p, w, h, { radius: r, eps: opts.eps ?? 1e-3, subsample: r >= 4 ? 2 : 1 });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.data[(y0 + y) * W + x0 + x] = q[y * w + x];
  return clamp01(out);
}

const LOGIT_LIMIT = 4.6; // logit(0.99): a map value of 0 or 1 is strong evidence, not infinite

const logit = (p: number) => {
  const l = Math.log(p / (1 - p));
  return l > LOGIT_LIMIT ? LOGIT_LIMIT : l < -LOGIT_LIMIT || Number.isNaN(l) ? -LOGIT_LIMIT : l;
};

/**
 * Combines the model's map with the flow-carried previous matte as two pieces of evidence in log-odds:
 * logit(out) = logit(fresh) + weight · confidence · logit(carried), each clamped to ±logit(0.99). With
 * weight < 1 the model wins wherever it is sure (so a wrong carried matte cannot linger against it, and
 * no lag builds up where the model sees the subject move), while an unsure map value (≈ 0.5) follows
 * what the previous frame saw. Confidence 0 (flow unreliable there) leaves the map unchanged.
 */
export function applyPrior(fresh: Plane, carried: Plane, confidence: Float32Array, weight: number): Plane {
  const out = createPlane(fresh.width, fresh.height);
  const f = fresh.data, c = carried.data, o = out.data;
  for (let i = 0; i < o.length; i++) {
    const k = weight * confidence[i];
    // Where both say exactly 0 (or 1) the answer is that, not logit(0.99)'s small residue.
    o[i] = k > 0 && f[i] !== c[i] ? 1 / (1 + Math.exp(-(logit(f[i]) + k * logit(c[i])))) : f[i];
  }
  return out;
}

/**
 * Removes faint alpha far from the solid matte: partial alpha belongs on the subject's edge (hair, blur),
 * not as a haze over whatever a soft model map half-saw nearby. Alpha fades to 0 from `band` to 2·band
 * px away from the α ≥ 0.5 region (band ≈ 3 % of the subject's size, at least 6 px).
 */
export function trimHaze(alpha: Plane): Plane {
  const b = maskBox(alpha);
  if (!b) return alpha;
  const band = Math.max(6, 0.03 * Math.max(b.box.x1 - b.box.x0, b.box.y1 - b.box.y0));
  const d2 = squaredDistance(Array.from(alpha.data, (v) => (v >= 0.5 ? 1 : 0)), alpha.width, alpha.height);
  const out = alpha.data;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0 || d2[i] <= band * band) continue;
    const d = Math.sqrt(d2[i]);
    out[i] *= d >= 2 * band ? 0 : (2 * band - d) / band;
  }
  return alpha;
}
