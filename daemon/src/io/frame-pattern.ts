/**
 * printf-style frame file patterns ("frame_%06d.png"), as ffmpeg's image2 muxer/demuxer and compositors use them,
 * and discovery of numbered image sequences in a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';

/** Still-image file extensions (lower case, no dot) that probe/decode treat as images. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'tif', 'tiff', 'exr', 'webp']);

/** Whether a path names a still image by its extension. */
export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(p).slice(1).toLowerCase());
}

/** `framePattern('frame', 6, 'png')` → `'frame_%06d.png'` (an empty prefix gives `'%06d.png'`). */
export function framePattern(prefix = 'frame', digits = 6, ext = 'png'): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 12) {
    throw new DreamLayerError('PARAM_INVALID', { message: `Frame number digits must be 1..12, got ${digits}.` });
  }
  const e = ext.startsWith('.') ? ext.slice(1) : ext;
  return `${prefix ? `${prefix}_` : ''}%0${digits}d.${e}`;
}

/** A pattern split around its one number field. `width` is the zero-padded width (0 for `%d`). */
export interface ParsedPattern {
  before: string;
  after: string;
  width: number;
}

const TOKEN = /%(0?)(\d*)d/g;

/** Whether a string contains a printf frame-number field (`%d`, `%04d`…). */
export function isFramePattern(p: string): boolean {
  return /%0?\d*d/.test(p.replace(/%%/g, ''));
}

/** Splits a pattern around its single `%d`/`%0Nd` field (`%%` is a literal percent). Throws PARAM_INVALID otherwise. */
export function parseFramePattern(pattern: string): ParsedPattern {
  const placeholder = '\u0000';
  const s = pattern.replace(/%%/g, placeholder);
  const matches = [...s.matchAll(TOKEN)];
  if (matches.length !== 1 || s.replace(TOKEN, '').includes('%')) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `The frame pattern "${pattern}" must contain exactly one number field such as %06d.`,
      hint: 'Use a pattern like frame_%06d.png.',
    });
  }
  const m = matches[0];
  const unescape = (t: string) => t.split(placeholder).join('%');
  return {
    before: unescape(s.slice(0, m.index)),
    after: unescape(s.slice(m.index! + m[0].length)),
    width: m[2] ? Number(m[2]) : 0,
  };
}

function formatNumber(n: number, width: number): string {
  return width > 0 ? String(n).padStart(width, '0') : String(n);
}

/** The file name of frame `index` under `pattern`: `frameFileName('frame_%06d.png', 7)` → `'frame_000007.png'`. */
export function frameFileName(pattern: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) {
    throw new DreamLayerError('PARAM_INVALID', { message: `Frame index must be a non-negative integer, got ${index}.` });
  }
  const p = parseFramePattern(pattern);
  return p.before + formatNumber(index, p.width) + p.after;
}

/** The frame number a file name carries under `pattern`, or undefined when the name does not follow it exactly. */
export function matchFrameNumber(pattern: string | ParsedPattern, fileName: string): number | undefined {
  const p = typeof pattern === 'string' ? parseFramePattern(pattern) : pattern;
  if (fileName.length <= p.before.length + p.after.length) return undefined;
  if (!fileName.startsWith(p.before) || !fileName.endsWith(p.after)) return undefined;
  const digits = fileName.slice(p.before.length, fileName.length - p.after.length);
  if (!/^\d+$/.test(digits)) return undefined;
  const n = Number(digits);
  // The number must print back to the same digits, so "frame_7.png" is not frame 7 of "frame_%04d.png".
  return formatNumber(n, p.width) === digits ? n : undefined;
}

/** A numbered image sequence found on disk, in frame order. */
export interface FoundSequence {
  dir: string;
  pattern: string;
  numbers: number[];
  files: string[];
}

/** Lists the files of `dir` that follow `pattern`, sorted by number. */
export function listPatternFiles(dir: string, pattern: string): FoundSequence {
  const p = parseFramePattern(pattern);
  const found: { n: number; name: string }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const n = matchFrameNumber(p, name);
    if (n !== undefined) found.push({ n, name });
  }
  found.sort((a, b) => a.n - b.n);
  return { dir, pattern, numbers: found.map((f) => f.n), files: found.map((f) => path.join(dir, f.name)) };
}

/**
 * Finds the numbered image sequence in a folder: image files named prefix + number + extension, grouped by
 * prefix and extension; the largest group wins. Hidden files (temp files start with a dot) are ignored.
 * The pattern is zero-padded (`%04d`) when all numbers have the same digit count and some have a leading zero
 * or all are that wide; otherwise plain `%d`. Returns undefined when the folder has no numbered images.
 */
export function findSequenceInDir(dir: string): FoundSequence | undefined {
  const groups = new Map<string, { prefix: string; ext: string; digits: string[] }>();
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const m = /^(.*?)(\d+)(\.[A-Za-z0-9]+)$/.exec(name);
    if (!m || !IMAGE_EXTENSIONS.has(m[3].slice(1).toLowerCase())) continue;
    const key = `${m[1]}\u0000${m[3]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { prefix: m[1], ext: m[3], digits: [] }));
    g.digits.push(m[2]);
  }
  const best = [...groups.values()].sort((a, b) => b.digits.length - a.digits.length || (a.prefix + a.ext).localeCompare(b.prefix + b.ext))[0];
  if (!best) return undefined;
  // Zero-padded names fix the width (a %04d sequence may run past 9999 into 10000); otherwise a common
  // width over 1 is taken as padding too, and mixed widths without leading zeros mean plain %d.
  const zeroPadded = best.digits.filter((d) => d.length > 1 && d[0] === '0');
  const widths = new Set(best.digits.map((d) => d.length));
  let width = 0;
  if (zeroPadded.length > 0) width = Math.min(...zeroPadded.map((d) => d.length));
  else if (widths.size === 1 && best.digits[0].length > 1) width = best.digits[0].length;
  const escape = (t: string) => t.replace(/%/g, '%%');
  const pattern = `${escape(best.prefix)}${width > 0 ? `%0${width}d` : '%d'}${escape(best.ext)}`;
  return listPatternFiles(dir, pattern);
}
