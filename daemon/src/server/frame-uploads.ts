/**
 * Frames mode: a layer without a file of its own (precomp, solid, nested
 * sequence) is streamed by the panel as one binary message per frame. Each
 * frame is written atomically as `<data>/uploads/<id>/frame_%06d.png`
 * (frame i of the upload = file i), so the job then reads an ordinary PNG
 * sequence and resumes like any other job. `upload.json` beside it records
 * the announced size, count and fps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { BinaryEncoding, BinaryKind, type BinaryFrame } from '../../../shared/src/protocol/binary-frame.ts';
import { ID_PATTERN, type ClientMessageOf } from '../../../shared/src/protocol/messages.ts';
import { writeFileAtomic, writeJsonAtomicSync } from '../io/atomic-file.ts';
import { writePng } from '../io/image-file.ts';

export const UPLOAD_PATTERN = 'frame_%06d.png';

export interface UploadInfo {
  id: string;
  width: number;
  height: number;
  count: number;
  fps: number;
  encoding: 'rgba8' | 'png';
  createdAt: string;
}

interface Upload extends UploadInfo {
  dir: string;
  received: Set<number>;
  /** Frames accepted but not yet on disk (bounds memory per upload). */
  pending: number;
  chain: Promise<void>;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR, or null when the bytes are not a PNG. */
export function pngSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.byteLength < 24 || PNG_SIGNATURE.some((v, i) => b[i] !== v)) return null;
  if (String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

const fileName = (i: number): string => `frame_${String(i).padStart(6, '0')}.png`;

export class FrameUploads {
  readonly dir: string;
  private readonly uploads = new Map<string, Upload>();
  /** Frames written but not yet acknowledged beyond this many per upload are refused (client must pace on acks). */
  readonly maxPending: number;

  constructor(uploadsDir: string, opts: { maxPending?: number } = {}) {
    this.dir = uploadsDir;
    this.maxPending = opts.maxPending ?? 16;
    fs.mkdirSync(uploadsDir, { recursive: true, mode: 0o700 });
  }

  /** Starts (or, with identical parameters, continues) an upload. */
  begin(m: ClientMessageOf<'frames.begin'>): Upload {
    const id = m.uploadId ?? `u-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const existing = this.uploads.get(id) ?? this.loadFromDisk(id);
    if (existing) {
      const same = existing.width === m.width && existing.height === m.height && existing.count === m.count && existing.encoding === m.encoding && existing.fps === m.fps;
      if (!same) throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `Upload ${id} already exists with other parameters (${existing.width}x${existing.height}, ${existing.count} frames, ${existing.encoding}).`, hint: 'Use a new uploadId.' });
      this.uploads.set(id, existing);
      return existing;
    }
    const dir = path.join(this.dir, id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const info: UploadInfo = { id, width: m.width, height: m.height, count: m.count, fps: m.fps, encoding: m.encoding, createdAt: new Date().toISOString() };
    writeJsonAtomicSync(path.join(dir, 'upload.json'), info, { mode: 0o600 });
    const up: Upload = { ...info, dir, received: new Set(), pending: 0, chain: Promise.resolve() };
    this.uploads.set(id, up);
    return up;
  }

  /** The printf path of an upload's PNG sequence. */
  patternPath(id: string): string {
    return path.join(this.dir, id, UPLOAD_PATTERN);
  }

  /**
   * Checks and stores one uploaded frame; resolves once it is on disk.
   * Throws MESSAGE_INVALID (bad frame), UPLOAD_INCOMPLETE (unknown upload) or RATE_LIMITED (too many in flight).
   */
  async receive(f: BinaryFrame): Promise<{ upload: Upload; index: number; complete: boolean }> {
    if (f.kind !== BinaryKind.UPLOAD_FRAME) throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `Binary kind ${f.kind} cannot be sent to the daemon (only UPLOAD_FRAME = ${BinaryKind.UPLOAD_FRAME}).` });
    const up = this.uploads.get(f.id);
    if (!up) throw new DreamLayerError('UPLOAD_INCOMPLETE', { stage: 'server', message: `No upload ${f.id} was begun on this daemon.`, hint: 'Send frames.begin first.' });
    if (f.frame >= up.count) throw new DreamLayerError('MESSAGE_INVALID', { stage: 'server', message: `Frame index ${f.frame} is outside upload ${up.id} (0..${up.count - 1}).` });
    const invalid = (message: string) => new DreamLayerError('MESSAGE_INVALID', { stage: 'server', frame: f.frame, message });
    if (up.encoding === 'rgba8') {
      if (f.encoding !== BinaryEncoding.RGBA8) throw invalid(`Upload ${up.id} expects RGBA8 frames (encoding ${BinaryEncoding.RGBA8}), got encoding ${f.encoding}.`);
      const want = up.width * up.height * 4;
      if (f.payload.byteLength !== want) throw invalid(`Frame ${f.frame} has ${f.payload.byteLength} bytes; ${up.width}x${up.height} RGBA8 needs ${want}.`);
    } else {
      if (f.encoding !== BinaryEncoding.PNG) throw invalid(`Upload ${up.id} expects PNG frames (encoding ${BinaryEncoding.PNG}), got encoding ${f.encoding}.`);
      const size = pngSize(f.payload);
      if (!size) throw invalid(`Frame ${f.frame} is not a PNG.`);
      if (size.width !== up.width || size.height !== up.height) throw invalid(`Frame ${f.frame} is ${size.width}x${size.height}; upload ${up.id} is ${up.width}x${up.height}.`);
    }
    if (up.pending >= this.maxPending) throw new DreamLayerError('RATE_LIMITED', { stage: 'server', frame: f.frame, message: `More than ${this.maxPending} frames of upload ${up.id} are waiting to be written.`, hint: 'Wait for frames.ack before sending more frames.' });
    // Copy: the payload is a view into the socket's buffer.
    const bytes = Uint8Array.from(f.payload);
    const file = path.join(up.dir, fileName(f.frame));
    up.pending++;
    const write = up.chain.then(async () => {
      if (up.encoding === 'rgba8') await writePng(file, { width: up.width, height: up.height, channels: 4, data: bytes }, { compressionLevel: 1, stage: 'write' });
      else await writeFileAtomic(file, bytes, { stage: 'write' });
    });
    up.chain = write.catch(() => undefined);
    try {
      await write;
    } finally {
      up.pending--;
    }
    up.received.add(f.frame);
    return { upload: up, index: f.frame, complete: up.received.size === up.count };
  }

  /** Resolves a `job.submit` input `{uploadId, frames?}` to an ordinary sequence input, or throws UPLOAD_INCOMPLETE. */
  resolveInput(uploadId: string, frames?: { first: number; last: number }): { path: string; frames: { first: number; last: number }; fps: number } {
    const up = this.uploads.get(uploadId) ?? this.loadFromDisk(uploadId);
    if (!up) throw new DreamLayerError('UPLOAD_INCOMPLETE', { stage: 'validate', message: `No upload ${uploadId} exists.` });
    this.uploads.set(uploadId, up);
    const range = frames ?? { first: 0, last: up.count - 1 };
    const missing: number[] = [];
    for (let i = range.first; i <= Math.min(range.last, up.count - 1); i++) if (!up.received.has(i)) missing.push(i);
    if (range.last >= up.count || range.first > range.last) throw new DreamLayerError('FRAME_RANGE_INVALID', { stage: 'validate', message: `Frames ${range.first}:${range.last} lie outside upload ${uploadId} (0:${up.count - 1}).` });
    if (missing.length) {
      throw new DreamLayerError('UPLOAD_INCOMPLETE', { stage: 'validate', message: `Upload ${uploadId} lacks ${missing.length} frame(s) (first missing: ${missing.slice(0, 10).join(', ')}).` });
    }
    return { path: this.patternPath(uploadId), frames: range, fps: up.fps };
  }

  abort(id: string): void {
    this.uploads.delete(id);
    if (ID_PATTERN.test(id)) fs.rmSync(path.join(this.dir, id), { recursive: true, force: true });
  }

  /** Removes uploads older than `maxAgeMs` that no job still needs. */
  prune(maxAgeMs: number, keep: ReadonlySet<string>): string[] {
    const removed: string[] = [];
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return removed;
    }
    for (const name of names) {
      if (!ID_PATTERN.test(name) || keep.has(name)) continue;
      try {
        const st = fs.statSync(path.join(this.dir, name));
        if (Date.now() - st.mtimeMs > maxAgeMs) {
          this.abort(name);
          removed.push(name);
        }
      } catch {
        /* vanished */
      }
    }
    return removed;
  }

  /** An upload from an earlier daemon run: its info file and the frames already on disk. */
  private loadFromDisk(id: string): Upload | null {
    if (!ID_PATTERN.test(id)) return null;
    const dir = path.join(this.dir, id);
    let info: UploadInfo;
    try {
      info = JSON.parse(fs.readFileSync(path.join(dir, 'upload.json'), 'utf8')) as UploadInfo;
    } catch {
      return null;
    }
    const received = new Set<number>();
    for (const n of fs.readdirSync(dir)) {
      const m = /^frame_(\d{6})\.png$/.exec(n);
      if (m && Number(m[1]) < info.count) received.add(Number(m[1]));
    }
    return { ...info, id, dir, received, pending: 0, chain: Promise.resolve() };
  }
}
