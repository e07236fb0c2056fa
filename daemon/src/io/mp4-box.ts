/**
 * ISO BMFF (MP4 / QuickTime) boxes: reading box headers in a buffer, a small
 * tree of boxes that can be edited and written back (sizes recomputed), and
 * builders for the boxes the movie writer makes itself. Only what
 * mp4-movie-writer.ts and fragmented-mp4-reader.ts need; no codec knowledge.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';

/** A box found in a buffer: `start` is where its header begins, `body` where its payload begins, `end` its end. */
export interface BoxRef {
  type: string;
  start: number;
  body: number;
  end: number;
}

/** Reads the header of the box at `at`; undefined when fewer than a header's bytes are there. */
export function readBoxHeader(buf: Buffer, at: number, limit = buf.length): { type: string; headerSize: number; size: number | null } | undefined {
  if (at + 8 > limit) return undefined;
  const size32 = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  if (size32 === 1) {
    if (at + 16 > limit) return undefined;
    return { type, headerSize: 16, size: Number(buf.readBigUInt64BE(at + 8)) };
  }
  // size 0: the box runs to the end of the file (only legal for the last box).
  return { type, headerSize: 8, size: size32 === 0 ? null : size32 };
}

/** The boxes directly inside [start, end) of `buf`. Throws on a box that overruns its parent. */
export function listBoxes(buf: Buffer, start = 0, end = buf.length): BoxRef[] {
  const out: BoxRef[] = [];
  let at = start;
  while (at + 8 <= end) {
    const h = readBoxHeader(buf, at, end);
    if (!h) break;
    const size = h.size ?? end - at;
    if (size < h.headerSize || at + size > end) throw malformed(`box "${h.type}" at ${at} overruns its parent (${size} bytes)`);
    out.push({ type: h.type, start: at, body: at + h.headerSize, end: at + size });
    at += size;
  }
  return out;
}

/** The first child of type `type` (or a path of types, one level each) inside a box. */
export function findBox(buf: Buffer, parent: { body: number; end: number }, ...types: string[]): BoxRef | undefined {
  let cur: BoxRef | undefined;
  let range = parent;
  for (const t of types) {
    cur = listBoxes(buf, range.body, range.end).find((b) => b.type === t);
    if (!cur) return undefined;
    range = cur;
  }
  return cur;
}

/** The whole buffer seen as the body of one box (for findBox on a file's top level). */
export const whole = (buf: Buffer): { body: number; end: number } => ({ body: 0, end: buf.length });

export function malformed(what: string): DreamLayerError {
  return new DreamLayerError('FFMPEG_FAILED', { stage: 'encode', message: `The encoder's MP4 output is not as expected: ${what}.` });
}

/** A box built from its type and payload parts (64-bit size only when needed). */
export function box(type: string, ...parts: Buffer[]): Buffer {
  const len = parts.reduce((a, p) => a + p.length, 0);
  if (len + 8 > 0xffffffff) {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(1, 0);
    h.write(type, 4, 'latin1');
    h.writeBigUInt64BE(BigInt(len + 16), 8);
    return Buffer.concat([h, ...parts]);
  }
  const h = Buffer.alloc(8);
  h.writeUInt32BE(len + 8, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, ...parts]);
}

/** A "full box": version and flags before the payload. */
export function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, vf, ...parts);
}

/** Big-endian 32-bit unsigned integers. */
export function u32(...values: number[]): Buffer {
  return u32s(values);
}

/** Big-endian 32-bit unsigned integers from an array (any length: no argument spreading). */
export function u32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  for (let i = 0; i < values.length; i++) b.writeUInt32BE(values[i] >>> 0, 4 * i);
  return b;
}

/** A box kept as bytes (`raw`, header included) or as children to be written back. */
export interface BoxNode {
  type: string;
  raw?: Buffer;
  children?: BoxNode[];
}

/** Parses the box at `ref` into a tree, descending into the container types named. */
export function parseTree(buf: Buffer, ref: BoxRef, containers: ReadonlySet<string>): BoxNode {
  if (!containers.has(ref.type)) return { type: ref.type, raw: buf.subarray(ref.start, ref.end) };
  return { type: ref.type, children: listBoxes(buf, ref.body, ref.end).map((c) => parseTree(buf, c, containers)) };
}

/** Writes a tree back into bytes. */
export function serializeTree(node: BoxNode): Buffer {
  if (node.raw) return node.raw;
  return box(node.type, ...(node.children ?? []).map(serializeTree));
}

/** The first child of a node with the type. */
export function child(node: BoxNode, type: string): BoxNode | undefined {
  return node.children?.find((c) => c.type === type);
}

/** The payload of a raw node (after its header). */
export function payloadOf(node: BoxNode): Buffer {
  if (!node.raw) throw malformed(`box "${node.type}" has no bytes`);
  const h = readBoxHeader(node.raw, 0)!;
  return node.raw.subarray(h.headerSize);
}

/** The identity matrix of tkhd/mvhd. */
export const UNITY_MATRIX = u32(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);
