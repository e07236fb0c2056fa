/**
 * OpenEXR frames, written and read by DreamLayer itself. The bundled ffmpeg (4.1) has no EXR encoder and sharp
 * none at all, and the format's single-part scanline flavour is small enough to write directly: a header of typed
 * attributes, a table of chunk offsets, then blocks of 16 scanlines, each ZIP-compressed after OpenEXR's byte
 * reordering and delta predictor (ImfZip.cpp). Channels are 32-bit float, so every 16-bit level n is stored exactly
 * as n / 65535: nothing is lost against the 16-bit PNG, and compositors get the float pass they expect.
 *
 * One grey channel is written as `Y` (OpenEXR's luminance-only image), three as `R G B`, four as `R G B A`.
 * The reader reads what this writer writes (and uncompressed / ZIPS / ZIP float or half scanline files).
 */
import { readFile } from 'node:fs/promises';
import { deflateSync, inflateSync } from 'node:zlib';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { is16, type Image16, type PixelImage } from '../core/image.ts';
import { writeFileAtomic } from './atomic-file.ts';

const MAGIC = 20000630;
const PIXEL_HALF = 1;
const PIXEL_FLOAT = 2;
const COMPRESSION_NONE = 0;
const COMPRESSION_ZIPS = 2;
const COMPRESSION_ZIP = 3;
const LINES_PER_BLOCK: Record<number, number> = { [COMPRESSION_NONE]: 1, [COMPRESSION_ZIPS]: 1, [COMPRESSION_ZIP]: 16 };

/** Channel names in file order (OpenEXR stores channels sorted by name) and where each sits in an HWC pixel. */
function channelLayout(channels: number): { names: string[]; source: number[] } {
  if (channels === 1) return { names: ['Y'], source: [0] };
  if (channels === 3) return { names: ['B', 'G', 'R'], source: [2, 1, 0] };
  if (channels === 4) return { names: ['A', 'B', 'G', 'R'], source: [3, 2, 1, 0] };
  throw new Error(`EXR: unsupported channel count ${channels}`);
}

/** Growable little-endian byte writer for the header. */
class ByteWriter {
  private parts: Buffer[] = [];
  str(s: string): this {
    this.parts.push(Buffer.from(`${s}\0`, 'latin1'));
    return this;
  }
  i32(...v: number[]): this {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeInt32LE(x, 4 * i));
    this.parts.push(b);
    return this;
  }
  f32(...v: number[]): this {
    const b = Buffer.alloc(4 * v.length);
    v.forEach((x, i) => b.writeFloatLE(x, 4 * i));
    this.parts.push(b);
    return this;
  }
  u8(...v: number[]): this {
    this.parts.push(Buffer.from(v));
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  attr(name: string, type: string, value: Buffer): this {
    return this.str(name).str(type).i32(value.length).bytes(value);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** OpenEXR's ZIP pre-pass: even bytes then odd bytes, then byte deltas (+128), which makes float planes compress. */
function zipPredict(raw: Uint8Array): Buffer {
  const n = raw.length;
  const tmp = Buffer.allocUnsafe(n);
  const half = (n + 1) >> 1;
  for (let i = 0, a = 0, b = half; i < n; i += 2) {
    tmp[a++] = raw[i];
    if (i + 1 < n) tmp[b++] = raw[i + 1];
  }
  let p = tmp[0];
  for (let i = 1; i < n; i++) {
    const v = tmp[i];
    tmp[i] = (v - p + 384) & 0xff;
    p = v;
  }
  return tmp;
}

/** Inverse of {@link zipPredict}. */
function zipUnpredict(data: Uint8Array): Buffer {
  const n = data.length;
  const tmp = Buffer.from(data);
  for (let i = 1; i < n; i++) tmp[i] = (tmp[i - 1] + tmp[i] - 128) & 0xff;
  const out = Buffer.allocUnsafe(n);
  const half = (n + 1) >> 1;
  for (let i = 0, a = 0, b = half; i < n; i += 2) {
    out[i] = tmp[a++];
    if (i + 1 < n) out[i + 1] = tmp[b++];
  }
  return out;
}

/** Encodes an 8- or 16-bit image as a float OpenEXR file (values 0..1), ZIP-compressed in blocks of 16 lines. */
export function encodeExr(img: PixelImage, opts: { compressionLevel?: number } = {}): Buffer {
  const { width, height, channels } = img;
  const { names, source } = channelLayout(channels);
  const scale = is16(img) ? 1 / 65535 : 1 / 255;
  const chlist = new ByteWriter();
  for (const name of names) chlist.str(name).i32(PIXEL_FLOAT).u8(0, 0, 0, 0).i32(1, 1);
  chlist.u8(0);
  const box = new ByteWriter().i32(0, 0, width - 1, height - 1).toBuffer();
  const header = new ByteWriter()
    .i32(MAGIC, 2)
    .attr('channels', 'chlist', chlist.toBuffer())
    .attr('compression', 'compression', Buffer.from([COMPRESSION_ZIP]))
    .attr('dataWindow', 'box2i', box)
    .attr('displayWindow', 'box2i', box)
    .attr('lineOrder', 'lineOrder', Buffer.from([0]))
    .attr('pixelAspectRatio', 'float', new ByteWriter().f32(1).toBuffer())
    .attr('screenWindowCenter', 'v2f', new ByteWriter().f32(0, 0).toBuffer())
    .attr('screenWindowWidth', 'float', new ByteWriter().f32(1).toBuffer())
    .u8(0)
    .toBuffer();

  const lines = LINES_PER_BLOCK[COMPRESSION_ZIP];
  const blockCount = Math.ceil(height / lines);
  const chunks: Buffer[] = [];
  const src = img.data;
  for (let block = 0; block < blockCount; block++) {
    const y0 = block * lines;
    const y1 = Math.min(height, y0 + lines);
    // Uncompressed block: for each line, each channel's samples of that line, little-endian float.
    const raw = new Float32Array((y1 - y0) * width * names.length);
    let o = 0;
    for (let y = y0; y < y1; y++) {
      for (let c = 0; c < names.length; c++) {
        let s = y * width * channels + source[c];
        for (let x = 0; x < width; x++, s += channels) raw[o++] = src[s] * scale;
      }
    }
    const rawBytes = new Uint8Array(raw.buffer);
    const packed = deflateSync(zipPredict(rawBytes), { level: opts.compressionLevel ?? 4 });
    // A block that does not shrink is stored as is; readers tell by its size.
    const data = packed.length < rawBytes.length ? packed : Buffer.from(rawBytes);
    const head = Buffer.alloc(8);
    head.writeInt32LE(y0, 0);
    head.writeInt32LE(data.length, 4);
    chunks.push(head, data);
  }
  const table = Buffer.alloc(8 * blockCount);
  let offset = header.length + table.length;
  for (let block = 0; block < blockCount; block++) {
    table.writeBigUInt64LE(BigInt(offset), 8 * block);
    offset += chunks[2 * block].length + chunks[2 * block + 1].length;
  }
  return Buffer.concat([header, table, ...chunks]);
}

/** Writes `img` as a float EXR file atomically (temp + rename). */
export async function writeExr(file: string, img: PixelImage, opts: { compressionLevel?: number } = {}): Promise<void> {
  await writeFileAtomic(file, encodeExr(img, opts));
}

/** Float planes of a decoded EXR file, by channel name. */
export interface ExrImage {
  width: number;
  height: number;
  channels: Map<string, Float32Array>;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes a single-part scanline EXR (NONE, ZIPS or ZIP compression; HALF or FLOAT channels). */
export function decodeExr(buf: Buffer, name = 'EXR file'): ExrImage {
  const fail = (why: string): never => {
    throw new DreamLayerError('INPUT_UNREADABLE', { stage: 'decode', message: `${name} cannot be read as OpenEXR: ${why}.`, hint: 'Re-export the frame, or use PNG/TIFF frames.' });
  };
  if (buf.length < 8 || buf.readInt32LE(0) !== MAGIC) fail('not an OpenEXR file');
  if ((buf.readInt32LE(4) & 0xff) !== 2 || buf.readInt32LE(4) & 0x1e00) fail('only single-part scanline files are read');
  let p = 8;
  const cstr = (): string => {
    const end = buf.indexOf(0, p);
    if (end < 0) fail('truncated header');
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const chans: { name: string; type: number }[] = [];
  let compression = -1;
  let win: number[] | undefined;
  for (;;) {
    const attr = cstr();
    if (attr === '') break;
    cstr(); // type name
    const size = buf.readInt32LE(p);
    p += 4;
    const v = buf.subarray(p, p + size);
    if (v.length < size) fail('truncated header');
    if (attr === 'channels') {
      let q = 0;
      while (q < v.length && v[q] !== 0) {
        const end = v.indexOf(0, q);
        const chName = v.toString('latin1', q, end);
        chans.push({ name: chName, type: v.readInt32LE(end + 1) });
        if (v.readInt32LE(end + 9) !== 1 || v.readInt32LE(end + 13) !== 1) fail('sub-sampled channels are not supported');
        q = end + 17;
      }
    } else if (attr === 'compression') compression = v[0];
    else if (attr === 'dataWindow') win = [v.readInt32LE(0), v.readInt32LE(4), v.readInt32LE(8), v.readInt32LE(12)];
    p += size;
  }
  if (!win || chans.length === 0) fail('the header has no channels or data window');
  const lines = LINES_PER_BLOCK[compression];
  if (!lines) fail(`compression ${compression} is not supported (NONE, ZIPS and ZIP are)`);
  if (chans.some((c) => c.type !== PIXEL_FLOAT && c.type !== PIXEL_HALF)) fail('only HALF and FLOAT channels are supported');
  const [x0, y0, x1, y1] = win!;
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;
  const planes = chans.map(() => new Float32Array(width * height));
  const blocks = Math.ceil(height / lines);
  for (let b = 0; b < blocks; b++) {
    const off = Number(buf.readBigUInt64LE(p + 8 * b));
    if (off + 8 > buf.length) fail('truncated (a scanline block lies past the end of the file)');
    const first = buf.readInt32LE(off) - y0;
    const size = buf.readInt32LE(off + 4);
    const rows = Math.min(lines, height - first);
    const rawSize = rows * width * chans.reduce((s, c) => s + (c.type === PIXEL_FLOAT ? 4 : 2), 0);
    let data: Buffer = buf.subarray(off + 8, off + 8 + size);
    if (data.length < size) fail('truncated (a scanline block is cut short)');
    if (compression !== COMPRESSION_NONE && size < rawSize) {
      try {
        data = zipUnpredict(inflateSync(data));
      } catch {
        fail(`scanline block ${b} is damaged`);
      }
    }
    if (data.length !== rawSize) fail(`scanline block ${b} has ${data.length} bytes, expected ${rawSize}`);
    let q = 0;
    for (let r = 0; r < rows; r++) {
      const row = (first + r) * width;
      chans.forEach((c, ci) => {
        const plane = planes[ci];
        if (c.type === PIXEL_FLOAT) for (let x = 0; x < width; x++, q += 4) plane[row + x] = data.readFloatLE(q);
        else for (let x = 0; x < width; x++, q += 2) plane[row + x] = halfToFloat(data.readUInt16LE(q));
      });
    }
  }
  return { width, height, channels: new Map(chans.map((c, i) => [c.name, planes[i]])) };
}

/**
 * Reads an EXR written by {@link writeExr} back as a 16-bit image (value × 65535, rounded, clamped): exact for
 * files this module wrote, which is what resuming a stateful effect needs.
 */
export async function readExr(file: string): Promise<Image16> {
  const exr = decodeExr(await readFile(file), file);
  const names = exr.channels.has('Y') ? ['Y'] : exr.channels.has('A') ? ['R', 'G', 'B', 'A'] : ['R', 'G', 'B'];
  const planes = names.map((n) => exr.channels.get(n));
  if (planes.some((pl) => !pl)) {
    throw new DreamLayerError('INPUT_UNREADABLE', { stage: 'decode', message: `${file} has channels ${[...exr.channels.keys()].join(', ')}; expected Y, RGB or RGBA.`, hint: 'Use frames written by DreamLayer, or PNG/TIFF frames.' });
  }
  const ch = names.length as 1 | 3 | 4;
  const n = exr.width * exr.height;
  const data = new Uint16Array(n * ch);
  for (let c = 0; c < ch; c++) {
    const pl = planes[c]!;
    for (let i = 0; i < n; i++) {
      const v = pl[i] * 65535 + 0.5;
      data[i * ch + c] = v <= 0 ? 0 : v >= 65535 ? 65535 : v;
    }
  }
  return { width: exr.width, height: exr.height, channels: ch, data };
}
