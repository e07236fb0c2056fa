/**
 * Turns a dense probability map (one class of a semantic, person or salient
 * model) into instance candidates, one per connected region. Each candidate
 * keeps the map's soft values over its region and over the low-probability
 * fringe next to it, so edges stay soft.
 */
import { labelRegions } from './connected-regions.ts';
import { createPlane, type Candidate, type Plane } from './matte-types.ts';

export interface RegionCandidateOptions {
  classId: number;
  label: string;
  /** Threshold that defines a region (default 0.5). */
  threshold?: number;
  /** Regions smaller than this fraction of the frame are noise (default 0.0005). */
  minAreaFraction?: number;
  /** How far (px) the soft fringe below the threshold is given to a neighbouring region (default 6). */
  fringe?: number;
}

/** Candidates (ids not yet assigned: 0) for one class map. */
export function regionCandidates(map: Plane, opts: RegionCandidateOptions): Candidate[] {
  const { width: w, height: h, data } = map;
  const thr = opts.threshold ?? 0.5;
  const minArea = Math.max(4, Math.round((opts.minAreaFraction ?? 0.0005) * w * h));
  const { labels, regions } = labelRegions(map, thr, minArea);
  if (regions.length === 0) return [];
  // Multi-source breadth-first growth of the labels into the soft fringe (p > 0.02).
  const owner = labels.slice();
  let frontier: number[] = [];
  for (let i = 0; i < owner.length; i++) if (owner[i]) frontier.push(i);
  const steps = opts.fringe ?? 6;
  for (let s = 0; s < steps && frontier.length; s++) {
    const nextF: number[] = [];
    for (const i of frontier) {
      const x = i % w, y = (i - x) / w, l = owner[i];
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (owner[j] || data[j] <= 0.02 || labels[j]) continue;
          owner[j] = l;
          nextF.push(j);
        }
      }
    }
    frontier = nextF;
  }
  const masks = regions.map(() => createPlane(w, h));
  for (let i = 0; i < owner.length; i++) if (owner[i]) masks[owner[i] - 1].data[i] = data[i];
  return regions.map((r, k) => ({
    id: 0,
    classId: opts.classId,
    label: opts.label,
    score: r.mass / r.area,
    box: r.box,
    area: r.area,
    mask: masks[k],
  }));
}

/** Sorts by score × sqrt(area) (big confident regions first) and numbers them 1…n. */
export function numberCandidates(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => b.score * Math.sqrt(b.area) - a.score * Math.sqrt(a.area));
  return sorted.map((c, i) => ({ ...c, id: i + 1 }));
}
