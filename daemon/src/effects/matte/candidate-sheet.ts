/**
 * What `matte --list` shows: the first frame's candidates as JSON (number,
 * class, score, box) and a picture of the frame with each candidate outlined in
 * its own colour and labelled with its number, to pick one with --instance.
 */
import type { Image8 } from '../../core/image.ts';
import type { Candidate } from './matte-types.ts';

export interface CandidateRecord {
  id: number;
  class: string;
  classId: number;
  score: number;
  /** [x0, y0, x1, y1] in source pixels (right/bottom edges exclusive). */
  box: [number, number, number, number];
  /** Pixels of the mask at processing size. */
  area: number;
}

/** JSON records; boxes scaled from processing to source pixels by 1/scaleX, 1/scaleY. */
export function candidateRecords(cands: Candidate[], scaleX = 1, scaleY = 1): CandidateRecord[] {
  const r = (v: number) => Math.round(v * 10) / 10;
  return cands.map((c) => ({
    id: c.id,
    class: c.label,
    classId: c.classId,
    score: Math.round(c.score * 1000) / 1000,
    box: [r(c.box.x0 / scaleX), r(c.box.y0 / scaleY), r(c.box.x1 / scaleX), r(c.box.y1 / scaleY)],
    area: c.area,
  }));
}

// 3×5 digits, rows top to bottom, 3 bits per row (MSB = left).
const DIGITS = [
  [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
];

/** A distinct, saturated colour per candidate number (golden-angle hues). */
export function candidateColour(id: number): [number, number, number] {
  const h = ((id * 137.508) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] = h < 1 ? [1, x, 0] : h < 2 ? [x, 1, 0] : h < 3 ? [0, 1, x] : h < 4 ? [0, x, 1] : h < 5 ? [x, 0, 1] : [1, 0, x];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

function put(img: Image8, x: number, y: number, c: [number, number, number]): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const j = (y * img.width + x) * img.channels;
  img.data[j] = c[0];
  img.data[j + 1] = c[1];
  img.data[j + 2] = c[2];
}

/** Draws `text` (digits) at (x, y) with `scale`-pixel cells, on a dark plate for contrast. */
function drawNumber(img: Image8, text: string, x: number, y: number, scale: number, c: [number, number, number]): void {
  const w = text.length * 4 * scale + scale, h = 7 * scale;
  for (let yy = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) put(img, x + xx, y + yy, [0, 0, 0]);
  [...text].forEach((ch, k) => {
    const rows = DIGITS[Number(ch)] ?? DIGITS[0];
    for (let r = 0; r < 5; r++) {
      for (let b = 0; b < 3; b++) {
        if (!((rows[r] >> (2 - b)) & 1)) continue;
        for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) put(img, x + scale + k * 4 * scale + b * scale + sx, y + scale + r * scale + sy, c);
      }
    }
  });
}

/** The frame (RGB copy) with each candidate's outline (mask ≥ 0.5, 2 px) and its number. */
export function candidateSheet(frame: Image8, cands: Candidate[]): Image8 {
  const { width: w, height: h } = frame;
  const out: Image8 = { width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3) };
  for (let i = 0, j = 0; i < w * h; i++, j += frame.channels) {
    out.data[i * 3] = frame.data[j];
    out.data[i * 3 + 1] = frame.data[j + 1];
    out.data[i * 3 + 2] = frame.data[j + 2];
  }
  const scale = Math.max(2, Math.round(Math.min(w, h) / 160));
  for (const c of cands) {
    const col = candidateColour(c.id);
    const m = c.mask.data;
    const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && m[y * w + x] >= 0.5;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!inside(x, y)) continue;
        // Within 2 px of the outside: outline.
        let edge = false;
        for (let dy = -2; dy <= 2 && !edge; dy++) for (let dx = -2; dx <= 2 && !edge; dx++) if (!inside(x + dx, y + dy)) edge = true;
        if (edge) put(out, x, y, col);
      }
    }
    drawNumber(out, String(c.id), Math.round(c.box.x0), Math.max(0, Math.round(c.box.y0) - 7 * scale), scale, col);
  }
  return out;
}
