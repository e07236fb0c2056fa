/**
 * Accuracy of relative inverse depth against ground truth, as in the MiDaS / Depth Anything
 * evaluations: the prediction is aligned to the ground-truth inverse depth by a least-squares
 * scale and shift over the valid pixels, capped at the inverse of the farthest ground-truth
 * depth (so a far-away prediction cannot turn negative), turned into depth, and compared:
 *
 *   AbsRel = mean |Z_pred − Z_gt| / Z_gt,   δ<1.25 = share of pixels with max(Z_pred/Z_gt, Z_gt/Z_pred) < 1.25
 *
 * Everything is accumulated in float64.
 */

export interface ScaleShift {
  scale: number;
  shift: number;
}

/** Least-squares s, t minimising Σ (s·pred + t − target)² over pixels where mask ≠ 0. */
export function alignScaleShift(pred: ArrayLike<number>, target: ArrayLike<number>, mask: ArrayLike<number>): ScaleShift {
  let n = 0;
  let sp = 0;
  let st = 0;
  let spp = 0;
  let spt = 0;
  for (let i = 0; i < pred.length; i++) {
    if (!mask[i]) continue;
    const p = pred[i];
    const t = target[i];
    n++;
    sp += p;
    st += t;
    spp += p * p;
    spt += p * t;
  }
  const det = n * spp - sp * sp;
  if (n === 0 || Math.abs(det) < 1e-30) return { scale: 0, shift: n ? st / n : 0 };
  const scale = (n * spt - sp * st) / det;
  return { scale, shift: (st - scale * sp) / n };
}

export interface DepthAccuracy {
  absRel: number;
  delta1: number;
  /** The alignment applied to the prediction. */
  scale: number;
  shift: number;
  /** Valid pixels evaluated. */
  pixels: number;
}

/** AbsRel and δ<1.25 of a relative inverse-depth prediction against ground-truth inverse depth (both on one grid). */
export function depthAccuracy(predInv: ArrayLike<number>, gtInv: ArrayLike<number>, mask: ArrayLike<number>): DepthAccuracy {
  const { scale, shift } = alignScaleShift(predInv, gtInv, mask);
  let minInv = Infinity;
  for (let i = 0; i < gtInv.length; i++) if (mask[i] && gtInv[i] < minInv) minInv = gtInv[i];
  let n = 0;
  let rel = 0;
  let good = 0;
  for (let i = 0; i < predInv.length; i++) {
    if (!mask[i]) continue;
    const aligned = Math.max(minInv, scale * predInv[i] + shift);
    const zp = 1 / aligned;
    const zg = 1 / gtInv[i];
    rel += Math.abs(zp - zg) / zg;
    if (Math.max(zp / zg, zg / zp) < 1.25) good++;
    n++;
  }
  return { absRel: n ? rel / n : NaN, delta1: n ? good / n : NaN, scale, shift, pixels: n };
}

/** Middlebury calib.txt (key=value lines; the camera matrices are ignored). */
export function parseCalib(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*([-+0-9.eE]+)\s*$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Ground-truth inverse depth (1/mm) from a Middlebury disparity map: Z = f·baseline / (d + doffs).
 * Pixels with unknown (non-finite) or non-positive disparity are invalid.
 */
export function inverseDepthFromDisparity(disp: ArrayLike<number>, calib: { f: number; baseline: number; doffs: number }): { inv: Float64Array; valid: Uint8Array } {
  const inv = new Float64Array(disp.length);
  const valid = new Uint8Array(disp.length);
  const k = 1 / (calib.f * calib.baseline);
  for (let i = 0; i < disp.length; i++) {
    const d = disp[i];
    if (Number.isFinite(d) && d > 0) {
      inv[i] = (d + calib.doffs) * k;
      valid[i] = 1;
    }
  }
  return { inv, valid };
}
