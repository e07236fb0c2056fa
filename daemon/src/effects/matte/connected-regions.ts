/**
 * Connected-region labelling (8-connectivity, two passes with union–find) of a
 * thresholded probability map: how semantic, person and salient models, which
 * give one map per class, are split into separate instances so that "the dancer"
 * is not "everyone in the crowd".
 */
import type { Box, Plane } from './matte-types.ts';

export interface Region {
  /** Label in `labels` (1-based). */
  label: number;
  area: number;
  box: Box;
  /** Sum of the probabilities over the region's pixels. */
  mass: number;
}

export interface RegionLabels {
  width: number;
  height: number;
  /** 0 = background, k = region k. */
  labels: Int32Array;
  /** Regions by label (regions[k-1].label === k), largest first is NOT guaranteed. */
  regions: Region[];
}

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

/** Labels the pixels with `p ≥ thr`; regions smaller than `minArea` pixels are dropped (set to 0). */
export function labelRegions(p: Plane, thr = 0.5, minArea = 1): RegionLabels {
  const { width: w, height: h, data } = p;
  const labels = new Int32Array(w * h);
  // Provisional labels can reach w*h/2 in a checkerboard; size the forest for the worst case lazily.
  let parent = new Int32Array(1024);
  let next = 1;
  const grow = () => {
    const bigger = new Int32Array(parent.length * 2);
    bigger.set(parent);
    parent = bigger;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (data[i] < thr) continue;
      let l = 0;
      // Neighbours already visited: W, NW, N, NE.
      for (let k = 0; k < 4; k++) {
        const n =
          k === 0 ? (x > 0 ? labels[i - 1] : 0)
          : k === 1 ? (x > 0 && y > 0 ? labels[i - w - 1] : 0)
          : k === 2 ? (y > 0 ? labels[i - w] : 0)
          : x < w - 1 && y > 0 ? labels[i - w + 1] : 0;
        if (!n) continue;
        if (!l) l = n;
        else if (n !== l) {
          const ra = find(parent, l), rb = find(parent, n);
          if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
      }
      if (!l) {
        if (next >= parent.length) grow();
        parent[next] = next;
        l = next++;
      }
      labels[i] = l;
    }
  }
  // Second pass: roots → compact labels, with stats.
  const compact = new Int32Array(next);
  const stats: { area: number; x0: number; y0: number; x1: number; y1: number; mass: number }[] = [];
  for (let i = 0; i < w * h; i++) {
    const l0 = labels[i];
    if (!l0) continue;
    const r = find(parent, l0);
    let c = compact[r];
    if (!c) {
      stats.push({ area: 0, x0: w, y0: h, x1: -1, y1: -1, mass: 0 });
      c = compact[r] = stats.length;
    }
    labels[i] = c;
    const s = stats[c - 1];
    const x = i % w, y = (i - x) / w;
    s.area++;
    s.mass += data[i];
    if (x < s.x0) s.x0 = x;
    if (x > s.x1) s.x1 = x;
    if (y < s.y0) s.y0 = y;
    if (y > s.y1) s.y1 = y;
  }
  // Drop small regions and renumber.
  const remap = new Int32Array(stats.length + 1);
  const regions: Region[] = [];
  stats.forEach((s, k) => {
    if (s.area >= minArea) {
      regions.push({ label: regions.length + 1, area: s.area, mass: s.mass, box: { x0: s.x0, y0: s.y0, x1: s.x1 + 1, y1: s.y1 + 1 } });
      remap[k + 1] = regions.length;
    }
  });
  for (let i = 0; i < labels.length; i++) if (labels[i]) labels[i] = remap[labels[i]];
  return { width: w, height: h, labels, regions };
}
