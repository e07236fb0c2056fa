/**
 * Portable Float Map reader (the format of Middlebury ground-truth disparities): a text header
 * "Pf" (grey) or "PF" (RGB), "width height", a scale whose sign gives the byte order
 * (negative = little-endian), then float32 rows stored bottom to top.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../../shared/src/errors.ts';

export interface PfmImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Interleaved, top row first (flipped from the file's bottom-up order). */
  data: Float32Array;
}

/** Parses PFM bytes. */
export function parsePfm(bytes: Uint8Array, label = 'PFM file'): PfmImage {
  // Three whitespace-separated header tokens, each ended by one whitespace byte.
  let pos = 0;
  const token = (): string => {
    while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
    const t = Buffer.from(bytes.subarray(start, pos)).toString('latin1');
    pos++; // the single whitespace after the token
    return t;
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const scale = Number(token());
  const channels = magic === 'PF' ? 3 : magic === 'Pf' ? 1 : 0;
  if (!channels || !(width > 0) || !(height > 0) || !Number.isFinite(scale) || scale === 0) {
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `${label} is not a PFM image (header "${magic} ${width} ${height} ${scale}").` });
  }
  const n = width * height * channels;
  if (bytes.length - pos < n * 4) {
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `${label} is truncated: ${bytes.length - pos} bytes of pixels for ${width}x${height}x${channels} floats.` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, n * 4);
  const little = scale < 0;
  const data = new Float32Array(n);
  const rowLen = width * channels;
  for (let y = 0; y < height; y++) {
    const srcRow = (height - 1 - y) * rowLen;
    const dstRow = y * rowLen;
    for (let i = 0; i < rowLen; i++) data[dstRow + i] = view.getFloat32((srcRow + i) * 4, little);
  }
  return { width, height, channels: channels as 1 | 3, data };
}

/** Reads a PFM file. */
export function readPfm(file: string): PfmImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DreamLayerError('INPUT_NOT_FOUND', { message: `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? e}).`, cause: e });
  }
  return parsePfm(bytes, path.basename(file));
}
