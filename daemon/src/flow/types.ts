/**
 * Optical flow types shared by every flow backend, the warper and the occlusion test.
 *
 * Convention (backward-warping form, as in Middlebury/Sintel `.flo` files): a flow
 * field `w = (u, v)` *from A to B* is defined on the pixel grid of A. The pixel at
 * integer position x = (col, row) of A corresponds to the point x + w(x) of B, which is
 * generally not on the grid. Consequently A is reconstructed from B by *sampling B at
 * x + w(x)* (`warpBackward(B, flowAB) ≈ A`). Pixel centres sit at integer coordinates,
 * u is horizontal (+ = right), v vertical (+ = down), both in pixels of A's grid.
 */
import type { FloatImage } from '../core/image.ts';

/** A dense 2-D motion field, planar u and v, row-major, top row first. */
export interface FlowField {
  width: number;
  height: number;
  /** Horizontal displacement in pixels, length width*height. */
  u: Float32Array;
  /** Vertical displacement in pixels, length width*height. */
  v: Float32Array;
}

/** A backend that estimates the flow from frame `a` to frame `b` (see the convention above). */
export interface FlowEstimator {
  /** Short identifier for logs and result records, e.g. `builtin:medium`, `rife-v4.6`. */
  readonly name: string;
  /**
   * Flow from `a` to `b` on `a`'s grid: `a(x) ≈ b(x + w(x))`. Images are float, nominally 0..1,
   * of equal size, 1, 3 or 4 channels (RGB order; alpha ignored).
   */
  estimate(a: FloatImage, b: FloatImage, signal?: AbortSignal): Promise<FlowField>;
}

/** Forward (a→b, on a's grid) and backward (b→a, on b's grid) flow of one frame pair. */
export interface FlowPair {
  forward: FlowField;
  backward: FlowField;
}

/** Runs `est` both ways; the two calls are sequential so a single-session backend is never re-entered. */
export async function estimatePair(est: FlowEstimator, a: FloatImage, b: FloatImage, signal?: AbortSignal): Promise<FlowPair> {
  const forward = await est.estimate(a, b, signal);
  signal?.throwIfAborted();
  const backward = await est.estimate(b, a, signal);
  return { forward, backward };
}

/** A zero flow of the given size. */
export function createFlowField(width: number, height: number): FlowField {
  const n = width * height;
  return { width, height, u: new Float32Array(n), v: new Float32Array(n) };
}
