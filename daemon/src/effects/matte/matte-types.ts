/**
 * Shared shapes of the matte effect: single-channel float planes (alpha,
 * probabilities), axis-aligned boxes, and the candidates a segmentation model
 * proposes for the subject.
 */

/** One channel of floats, row-major, top row first; alpha and probabilities are 0..1. */
export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** An axis-aligned box in pixel coordinates of a frame: x0,y0 inclusive edges, x1,y1 exclusive edges (floats allowed). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The four model families behind the one matte interface. */
export const MATTE_FAMILIES = ['instance', 'semantic', 'person', 'salient'] as const;
export type MatteFamily = (typeof MATTE_FAMILIES)[number];

/** One object the model found in a frame: an instance (Mask R-CNN) or a connected region (dense models). */
export interface Candidate {
  /** 1-based number, stable for one frame (largest score first). */
  id: number;
  /** The family's class id (COCO label, VOC class, 1 for person/salient). */
  classId: number;
  /** Class name, e.g. "person". */
  label: string;
  /** Detection score (instance) or mean probability over the region (dense). */
  score: number;
  /** Tight box of the region (mask ≥ 0.5), in frame pixels. */
  box: Box;
  /** Number of pixels with mask ≥ 0.5. */
  area: number;
  /** Soft mask at frame size (0 outside the region). */
  mask: Plane;
}

export function createPlane(width: number, height: number, fill = 0): Plane {
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

export function boxWidth(b: Box): number {
  return Math.max(0, b.x1 - b.x0);
}

export function boxHeight(b: Box): number {
  return Math.max(0, b.y1 - b.y0);
}

export function boxArea(b: Box): number {
  return boxWidth(b) * boxHeight(b);
}

/** Intersection over union of two boxes. */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (boxArea(a) + boxArea(b) - inter);
}
