/** Accuracy measures of a flow field against ground truth. */
import type { FlowField } from './types.ts';
import { FLO_UNKNOWN_THRESHOLD } from './flo-file.ts';

export interface EndPointError {
  /** Mean end-point error over the counted pixels, in pixels. */
  epe: number;
  /** Number of pixels counted. */
  count: number;
}

/**
 * Average end-point error |w − w_gt| over pixels where `include` (if given) is non-zero and the
 * ground truth is known (Middlebury marks unknown flow with components above 1e9).
 */
export function endPointError(flow: FlowField, gt: FlowField, include?: ArrayLike<number>): EndPointError {
  if (flow.width !== gt.width || flow.height !== gt.height) {
    throw new RangeError(`flow is ${flow.width}x${flow.height} but ground truth is ${gt.width}x${gt.height}`);
  }
  let sum = 0;
  let count = 0;
  const n = flow.width * flow.height;
  for (let i = 0; i < n; i++) {
    if (include && !include[i]) continue;
    const gu = gt.u[i];
    const gv = gt.v[i];
    if (!(Math.abs(gu) < FLO_UNKNOWN_THRESHOLD && Math.abs(gv) < FLO_UNKNOWN_THRESHOLD)) continue;
    const du = flow.u[i] - gu;
    const dv = flow.v[i] - gv;
    sum += Math.sqrt(du * du + dv * dv);
    count++;
  }
  return { epe: count ? sum / count : NaN, count };
}
