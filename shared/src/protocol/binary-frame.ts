/**
 * Header of binary WebSocket messages (previews daemon → client, uploaded
 * frames client → daemon). Fixed 8 bytes, then the ASCII id, then the payload:
 *
 * ```
 * offset size  field
 * 0      1     magic 0xD1 ("DreamLayer binary, version 1")
 * 1      1     kind      1 = PREVIEW (daemon → client), 2 = UPLOAD_FRAME (client → daemon)
 * 2      1     encoding  1 = JPEG, 2 = PNG, 3 = RGBA8 (raw, width*height*4 bytes, row-major, no padding)
 * 3      1     idLength  n, 1..64
 * 4      4     frame     uint32 little-endian (PREVIEW: source frame index; UPLOAD_FRAME: 0-based index in the upload)
 * 8      n     id        job id (PREVIEW) or upload id (UPLOAD_FRAME), ASCII [A-Za-z0-9_-]
 * 8+n    …     payload
 * ```
 *
 * Browser-safe (Uint8Array/DataView only), so the panel bundles it.
 */
import { ID_PATTERN } from './messages.ts';

export const BINARY_MAGIC = 0xd1;
export const BinaryKind = { PREVIEW: 1, UPLOAD_FRAME: 2 } as const;
export type BinaryKind = (typeof BinaryKind)[keyof typeof BinaryKind];
export const BinaryEncoding = { JPEG: 1, PNG: 2, RGBA8: 3 } as const;
export type BinaryEncoding = (typeof BinaryEncoding)[keyof typeof BinaryEncoding];
export const BINARY_HEADER_FIXED = 8;

export interface BinaryFrameHeader {
  kind: BinaryKind;
  encoding: BinaryEncoding;
  /** Job id (previews) or upload id (uploaded frames). */
  id: string;
  frame: number;
}

export interface BinaryFrame extends BinaryFrameHeader {
  /** A view into the message, not a copy. */
  payload: Uint8Array;
}

const KINDS = new Set<number>(Object.values(BinaryKind));
const ENCODINGS = new Set<number>(Object.values(BinaryEncoding));

/** Builds one binary message: header + payload. */
export function encodeBinaryFrame(h: BinaryFrameHeader, payload: Uint8Array): Uint8Array {
  if (!ID_PATTERN.test(h.id)) throw new RangeError(`Expected an id of 1-64 [A-Za-z0-9_-] for a binary frame but received ${JSON.stringify(h.id)}`);
  if (!Number.isInteger(h.frame) || h.frame < 0 || h.frame > 0xffffffff) throw new RangeError(`Expected a frame index 0..2^32-1 but received ${h.frame}`);
  const n = h.id.length;
  const out = new Uint8Array(BINARY_HEADER_FIXED + n + payload.byteLength);
  out[0] = BINARY_MAGIC;
  out[1] = h.kind;
  out[2] = h.encoding;
  out[3] = n;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(4, h.frame, true);
  for (let i = 0; i < n; i++) out[BINARY_HEADER_FIXED + i] = h.id.charCodeAt(i);
  out.set(payload, BINARY_HEADER_FIXED + n);
  return out;
}

/** Reads a binary message; returns a reason string instead of throwing when it is not a valid frame. */
export function decodeBinaryFrame(data: Uint8Array): BinaryFrame | string {
  if (data.byteLength < BINARY_HEADER_FIXED + 1) return `binary message too short (${data.byteLength} bytes; the header alone is ${BINARY_HEADER_FIXED + 1}+)`;
  if (data[0] !== BINARY_MAGIC) return `binary message does not start with the magic byte 0xD1 (got 0x${data[0]!.toString(16).padStart(2, '0')})`;
  const kind = data[1]!;
  const encoding = data[2]!;
  const n = data[3]!;
  if (!KINDS.has(kind)) return `unknown binary kind ${kind}`;
  if (!ENCODINGS.has(encoding)) return `unknown binary encoding ${encoding}`;
  if (n < 1 || n > 64 || data.byteLength < BINARY_HEADER_FIXED + n) return `bad id length ${n}`;
  let id = '';
  for (let i = 0; i < n; i++) id += String.fromCharCode(data[BINARY_HEADER_FIXED + i]!);
  if (!ID_PATTERN.test(id)) return 'id holds characters outside [A-Za-z0-9_-]';
  const frame = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4, true);
  return { kind: kind as BinaryKind, encoding: encoding as BinaryEncoding, id, frame, payload: data.subarray(BINARY_HEADER_FIXED + n) };
}
