/**
 * The one interface every matte family is driven through: run the model on a
 * region of a frame, get numbered candidates (instances or connected regions)
 * and, for dense families, the per-class probability maps.
 */
import type { Image8 } from '../../core/image.ts';
import type { Candidate, MatteFamily, Plane } from './matte-types.ts';
import type { Roi } from './plane-ops.ts';

export interface SegmentResult {
  roi: Roi;
  /** Numbered 1…n, best first. */
  candidates: Candidate[];
  /** Class id → probability at frame size (0 outside the ROI). Instance family: the union of that class's masks. */
  maps: Map<number, Plane>;
}

export interface Segmenter {
  readonly family: MatteFamily;
  /** Model name for messages. */
  readonly label: string;
  /** Class names by id (0 = background). */
  readonly classNames: readonly string[];
  /** Runs the model on `roi` of `frame` (8-bit RGB); `classIds` null = every class. */
  segment(frame: Image8, roi: Roi, classIds: number[] | null): Promise<SegmentResult>;
}
