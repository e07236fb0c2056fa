/**
 * Per-step state images of stateful effects whose output is not itself on disk
 * (a step in the middle of a chain, or any step of a movie output). The last
 * two frames are kept, written atomically, so a job killed at any instant can
 * restore the state after the frame before its resume point. A sink that
 * resumes only after checkpoint frames (segmented movies) names them with
 * `checkpoints`: then only those frames' states are written, and the three
 * most recent are kept.
 */
import { readdirSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { PixelImage } from '../core/image.ts';
import { readImage, writePng } from '../io/image-file.ts';

export class StateStore {
  private readonly dir: string;

  constructor(outDir: string, private readonly steps: boolean[], private readonly checkpoints?: (index: number) => boolean) {
    this.dir = path.join(outDir, '.dreamlayer-state');
  }

  enabled(step: number): boolean {
    return this.steps[step] ?? false;
  }

  private file(step: number, index: number): string {
    return path.join(this.dir, `step${step}_${String(index).padStart(6, '0')}.png`);
  }

  async write(step: number, index: number, img: PixelImage): Promise<void> {
    if (this.checkpoints && !this.checkpoints(index)) return; // never a resume point: no state needed
    const { mkdir } = await import('node:fs/promises');
    await mkdir(this.dir, { recursive: true });
    await writePng(this.file(step, index), img);
    // keep index and index-1 (with checkpoints: the three latest, since the pipeline runs a few frames ahead of the sink)
    const mine: number[] = [];
    for (const name of safeList(this.dir)) {
      const m = /^step(\d+)_(\d+)\.png$/.exec(name);
      if (m && Number(m[1]) === step) mine.push(Number(m[2]));
    }
    const keep = this.checkpoints ? mine.sort((a, b) => b - a).slice(0, 3) : [index, index - 1];
    for (const i of mine) {
      if (i < index && !keep.includes(i)) await unlink(this.file(step, i)).catch(() => undefined);
    }
  }

  async read(step: number, index: number): Promise<PixelImage | null> {
    try {
      return await readImage(this.file(step, index));
    } catch {
      return null;
    }
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
