/**
 * After Effects time arithmetic, shared by the UXP and the CEP adapters.
 *
 * A layer maps source time τ to comp time t = startTime + τ·stretch/100
 * (no time remap). It is visible over [inPoint, outPoint) in comp seconds.
 * The daemon wants the source frames behind that span; the result layer must
 * show result frame k (= source frame first+k) at the same comp time.
 */

/** The raw layer facts both AE adapters read from the host. */
export interface AeLayerTiming {
  /** Comp seconds. */
  inPoint: number;
  outPoint: number;
  startTime: number;
  /** Percent; negative = reversed. */
  stretch: number;
  /** Source frames per second (footage's interpreted rate). */
  fps: number;
  /** Source duration in seconds (0 for stills). */
  duration: number;
  timeRemapEnabled: boolean;
}

// Comp times are doubles computed by AE from frame counts; a small epsilon
// keeps 0.9999999 from flooring to the previous frame.
const EPS = 1e-6;

/** Source frame range (0-based, both ends included) the layer shows, clamped to the clip. */
export function aeSourceFrameRange(t: AeLayerTiming): { first: number; last: number } {
  const frameCount = Math.max(1, Math.round(t.duration * t.fps));
  if (t.timeRemapEnabled || t.stretch === 0) return { first: 0, last: frameCount - 1 };
  const k = 100 / t.stretch;
  const a = (t.inPoint - t.startTime) * k * t.fps;
  const b = (t.outPoint - t.startTime) * k * t.fps;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const first = Math.min(frameCount - 1, Math.max(0, Math.floor(lo + EPS)));
  const last = Math.min(frameCount - 1, Math.ceil(hi - EPS) - 1);
  return { first, last: Math.max(first, last) };
}

/** Where the result layer goes so result frame 0 (= source frame `first`) lines up with the source. */
export interface AePlacement {
  startTime: number;
  stretch: number;
  inPoint: number;
  outPoint: number;
}

/** Placement of a result layer whose frame 0 is source frame `first`, played at the source fps. */
export function aeResultPlacement(t: AeLayerTiming, first: number, isStill: boolean): AePlacement {
  if (isStill) return { startTime: t.startTime, stretch: 100, inPoint: t.inPoint, outPoint: t.outPoint };
  const stretch = t.timeRemapEnabled || t.stretch === 0 ? 100 : t.stretch;
  return {
    startTime: t.startTime + ((first / t.fps) * stretch) / 100,
    stretch,
    inPoint: t.inPoint,
    outPoint: t.outPoint,
  };
}

/** Warnings for layer setups the result cannot reproduce exactly. */
export function aeTimingWarnings(t: AeLayerTiming): string[] {
  const w: string[] = [];
  if (t.timeRemapEnabled) w.push('Time remapping is on: the whole clip is processed and the result layer plays it without the remap.');
  if (t.stretch < 0) w.push('The layer is reversed (negative stretch); the result layer is reversed the same way.');
  return w;
}
