/**
 * Middlebury `.flo` files: float32 tag 202021.25 ("PIEH"), int32 width, int32 height,
 * then interleaved float32 (u, v) per pixel, row-major; everything little-endian.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import type { FlowField } from './types.ts';

const TAG = 202021.25;
const HEADER = 12;
/** Middlebury's sentinel for unknown flow: components larger than this are "unknown". */
export const FLO_UNKNOWN_THRESHOLD = 1e9;

/** Encodes a flow field as `.flo` bytes. */
export function encodeFlo(flow: FlowField): Uint8Array {
  const { width, height, u, v } = flow;
  const n = width * height;
  const buf = new ArrayBuffer(HEADER + 8 * n);
  const dv = new DataView(buf);
  dv.setFloat32(0, TAG, true);
  dv.setInt32(4, width, true);
  dv.setInt32(8, height, true);
  const body = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    body[2 * i] = u[i];
    body[2 * i + 1] = v[i];
  }
  const out = new Uint8Array(buf);
  // Float32Array uses the platform's byte order; every platform Node supports is little-endian,
  // but stay exact on a big-endian host too.
  if (isLittleEndian()) out.set(new Uint8Array(body.buffer), HEADER);
  else for (let i = 0; i < 2 * n; i++) dv.setFloat32(HEADER + 4 * i, body[i], true);
  return out;
}

/** Decodes `.flo` bytes; `label` names the source in errors. */
export function decodeFlo(bytes: Uint8Array, label = '.flo data'): FlowField {
  if (bytes.byteLength < HEADER) throw invalid(label, `it has ${bytes.byteLength} bytes, fewer than the 12-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = dv.getFloat32(0, true);
  if (tag !== TAG) throw invalid(label, `its tag is ${tag}, not 202021.25`);
  const width = dv.getInt32(4, true);
  const height = dv.getInt32(8, true);
  if (width <= 0 || height <= 0 || width > 1 << 16 || height > 1 << 16) throw invalid(label, `its size ${width}x${height} is not plausible`);
  const n = width * height;
  if (bytes.byteLength < HEADER + 8 * n) throw invalid(label, `it is truncated (${bytes.byteLength} bytes for ${width}x${height}, need ${HEADER + 8 * n})`);
  const u = new Float32Array(n);
  const v = new Float32Array(n);
  for (let i = 0, o = HEADER; i < n; i++, o += 8) {
    u[i] = dv.getFloat32(o, true);
    v[i] = dv.getFloat32(o + 4, true);
  }
  return { width, height, u, v };
}

/** Reads a `.flo` file. */
export async function readFlo(file: string): Promise<FlowField> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DreamLayerError('INPUT_NOT_FOUND', { message: `The flow file ${file} does not exist.`, cause: e });
    throw e;
  }
  return decodeFlo(bytes, file);
}

/** Writes a `.flo` file atomically (temporary file in the same folder, then rename). */
export async function writeFlo(file: string, flow: FlowField): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, encodeFlo(flow));
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

function invalid(label: string, why: string): DreamLayerError {
  return new DreamLayerError('INPUT_UNREADABLE', {
    message: `${label} is not a Middlebury .flo file: ${why}.`,
    hint: 'Pass a .flo file written by DreamLayer or another optical-flow tool (tag 202021.25, little-endian).',
  });
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
