/**
 * FrameSequenceWriter: an output PNG (or float EXR, by the pattern's extension) sequence numbered by SOURCE frame index, written so that a job killed at any
 * instant can resume: each frame is written to a temp file and renamed into place, so a file with a frame's
 * final name is always complete, and `has(index)` is the whole resume test.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PixelImage } from '../core/image.ts';
import { ensureWritableDir, isNonEmptyFile, isTempNameFor, TEMP_SUFFIX } from './atomic-file.ts';
import { framePattern, frameFileName, matchFrameNumber, parseFramePattern, type ParsedPattern } from './frame-pattern.ts';
import { convertDepth, readImage, writePng } from './image-file.ts';
import { readExr, writeExr } from './exr-file.ts';

export { framePattern, frameFileName } from './frame-pattern.ts';
export { convertDepth } from './image-file.ts';

export interface FrameSequenceWriterOptions {
  /** printf pattern of the file names; default `frame_%06d.png`. */
  pattern?: string;
  /** Depth of the written PNGs; default: each image's own. Images of the other depth are converted (×257 / ÷257). */
  bits?: 8 | 16;
  /** zlib level for the files (0..9). */
  compressionLevel?: number;
}

export class FrameSequenceWriter {
  readonly dir: string;
  readonly pattern: string;
  readonly bits?: 8 | 16;
  private readonly parsed: ParsedPattern;
  private readonly compressionLevel?: number;
  /** `frame_%06d.exr` patterns write float EXR; everything else PNG. */
  private readonly exr: boolean;
  private ready?: Promise<void>;

  constructor(dir: string, opts: FrameSequenceWriterOptions = {}) {
    this.dir = dir;
    this.pattern = opts.pattern ?? framePattern();
    this.parsed = parseFramePattern(this.pattern);
    if (path.basename(this.pattern) !== this.pattern) throw new Error(`frame pattern must be a file name, got "${this.pattern}"`);
    this.bits = opts.bits;
    this.compressionLevel = opts.compressionLevel;
    this.exr = /\.exr$/i.test(this.pattern);
  }

  /** Full path of frame `index`'s finished file. */
  pathFor(index: number): string {
    return path.join(this.dir, frameFileName(this.pattern, index));
  }

  /** Creates the folder and checks it is writable (OUTPUT_UNWRITABLE naming it otherwise). Called by the first write. */
  init(): Promise<void> {
    this.ready ??= ensureWritableDir(this.dir).catch((e) => {
      this.ready = undefined; // allow a retry once the user fixes the folder
      throw e;
    });
    return this.ready;
  }

  /** Writes frame `index` atomically (temp + fsync + rename), replacing any previous file of that frame. */
  async write(index: number, img: PixelImage): Promise<void> {
    const file = this.pathFor(index);
    await this.init();
    const out = this.bits ? convertDepth(img, this.bits) : img;
    if (this.exr) await writeExr(file, out, { compressionLevel: this.compressionLevel });
    else await writePng(file, out, { compressionLevel: this.compressionLevel });
  }

  /** Whether frame `index` is finished: its file exists and is not empty (files appear only by rename). */
  has(index: number): boolean {
    return isNonEmptyFile(this.pathFor(index));
  }

  /** Indices of the finished frames, ascending. */
  listFinished(): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of names) {
      const n = matchFrameNumber(this.parsed, name);
      if (n !== undefined && isNonEmptyFile(path.join(this.dir, name))) out.push(n);
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Deletes temp files left by interrupted writes of this sequence. Synchronous, so that it is finished before
   * any write starts; call it when opening a sequence for (re)writing. Temps of this process are removed, and
   * those of other processes unless that process is still running. Returns how many were removed.
   */
  removeStaleTemps(): number {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!name.startsWith('.') || !name.endsWith(TEMP_SUFFIX)) continue;
      // `.<frame name>.<pid>-<rand>.tmp`: recover the frame name and check it belongs to this pattern.
      const m = /^\.(.*)\.(\d+)-[0-9a-f]+\.tmp$/.exec(name);
      if (!m || matchFrameNumber(this.parsed, m[1]) === undefined || !isTempNameFor(m[1], name)) continue;
      const pid = Number(m[2]);
      if (pid !== process.pid && processAlive(pid)) continue;
      try {
        fs.rmSync(path.join(this.dir, name), { force: true });
        removed++;
      } catch {
        // vanished meanwhile, or not ours to remove
      }
    }
    return removed;
  }

  /** Reads a finished frame back (e.g. the previous output frame that temporal effects resume from). */
  read(index: number): Promise<PixelImage> {
    return this.exr ? readExr(this.pathFor(index)) : readImage(this.pathFor(index), { stage: 'write' });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
