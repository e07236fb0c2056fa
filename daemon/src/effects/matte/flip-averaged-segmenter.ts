/**
 * Test-time mirror averaging for dense segmenters: the model runs on the region
 * of interest and on its left–right mirror image, and the two probability maps
 * (the second mirrored back) are averaged before candidates are formed. A model's
 * errors are not mirror-symmetric (a half-seen head, a limb against the crowd), so
 * the average is steadier and usually closer to the truth; it costs a second run.
 */
import type { Image8 } from '../../core/image.ts';
import { createPlane, type Plane } from './matte-types.ts';
import { fullRoi, type Roi } from './plane-ops.ts';
import { numberCandidates, regionCandidates } from './region-candidates.ts';
import type { Segmenter, SegmentResult } from './segmenter.ts';

/** The ROI of `img` as its own image, mirrored left–right. */
export function cropMirrored(img: Image8, roi: Roi): Image8 {
  const ch = img.channels;
  const out = new Uint8Array(roi.width * roi.height * ch);
  for (let y = 0; y < roi.height; y++) {
    const src = ((roi.y + y) * img.width + roi.x) * ch;
    const dst = y * roi.width * ch;
    for (let x = 0; x < roi.width; x++) {
      const s = src + (roi.width - 1 - x) * ch, d = dst + x * ch;
      for (let c = 0; c < ch; c++) out[d + c] = img.data[s + c];
    }
  }
  return { width: roi.width, height: roi.height, channels: ch, data: out } as Image8;
}

/** Adds `k`·(a map of the mirrored ROI crop, mirrored back) into `dst` (frame size) at the ROI. */
export function addMirroredBack(dst: Plane, map: Plane, roi: Roi, k: number): void {
  for (let y = 0; y < roi.height; y++) {
    const row = (roi.y + y) * dst.width + roi.x;
    for (let x = 0; x < roi.width; x++) dst.data[row + x] += k * map.data[y * map.width + (roi.width - 1 - x)];
  }
}

/** Wraps a dense segmenter (person, salient, semantic) so every call averages it with its mirror image. */
export class FlipAveragedSegmenter implements Segmenter {
  readonly family;
  readonly label;
  readonly classNames;

  constructor(private readonly inner: Segmenter) {
    this.family = inner.family;
    this.label = inner.label;
    this.classNames = inner.classNames;
  }

  async segment(frame: Image8, roi: Roi, classIds: number[] | null): Promise<SegmentResult> {
    const a = await this.inner.segment(frame, roi, classIds);
    const mirrored = cropMirrored(frame, roi);
    const b = await this.inner.segment(mirrored, fullRoi(roi.width, roi.height), classIds);
    const maps = new Map<number, Plane>();
    const cands = [];
    for (const c of new Set([...a.maps.keys(), ...b.maps.keys()])) {
      const m = createPlane(frame.width, frame.height);
      const ma = a.maps.get(c);
      if (ma) for (let i = 0; i < m.data.length; i++) m.data[i] = 0.5 * ma.data[i];
      const mb = b.maps.get(c);
      if (mb) addMirroredBack(m, mb, roi, 0.5);
      maps.set(c, m);
      cands.push(...regionCandidates(m, { classId: c, label: this.classNames[c] ?? `class ${c}` }));
    }
    return { roi, candidates: numberCandidates(cands), maps };
  }
}
