/**
 * Still images through sharp: reading PNG/JPEG/TIFF/WebP into Image8/Image16, atomic PNG writing, JPEG previews
 * and resizing. Pixel values are passed through untouched (no ICC conversion beyond what decoding requires);
 * EXIF orientation is not applied, matching how ffmpeg reads the same files.
 */
import sharp, { type Sharp } from 'sharp';
import type { Image16, Image8, PixelImage } from '../core/image.ts';
import { is16 } from '../core/image.ts';
import { DreamLayerError, type ErrorStage } from '../../../shared/src/errors.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { checkInputPath } from './input-file.ts';
import { encodePng16 } from './png16-encode.ts';

// Frame files are read once and may be rewritten under the same name; libvips' operation cache would only
// cost memory and could hand back stale pixels.
sharp.cache(false);

type Colourspace = 'b-w' | 'srgb' | 'grey16' | 'rgb16';

function colourspaceFor(channels: number, bits: 8 | 16): Colourspace {
  const gray = channels <= 2;
  return bits === 16 ? (gray ? 'grey16' : 'rgb16') : gray ? 'b-w' : 'srgb';
}

/** Copies/reinterprets a sharp raw buffer as the typed array of the right depth (copy keeps alignment safe). */
function toTyped(buf: Buffer, bits: 8 | 16): Uint8Array | Uint16Array {
  if (bits === 8) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteOffset % 2 === 0) return new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
  const out = new Uint16Array(buf.byteLength / 2);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

function makeImage(data: Uint8Array | Uint16Array, width: number, height: number, channels: number): PixelImage {
  return { width, height, channels: channels as 1 | 3 | 4, data } as PixelImage;
}

/** 8-bit → 16-bit (v × 257, so 255 → 65535) or 16-bit → 8-bit (rounded v / 257). */
export function convertDepth(img: PixelImage, bits: 8 | 16): PixelImage {
  if ((bits === 16) === is16(img)) return img;
  if (bits === 16) {
    const src = img.data as Uint8Array;
    const out = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] * 257;
    return { width: img.width, height: img.height, channels: img.channels, data: out } satisfies Image16;
  }
  const src = img.data as Uint16Array;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Math.round(src[i] / 257);
  return { width: img.width, height: img.height, channels: img.channels, data: out } satisfies Image8;
}

/** A sharp pipeline over raw pixels. */
export function sharpFromImage(img: PixelImage): Sharp {
  checkImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

/** Throws PARAM_INVALID when an image's buffer does not match its declared shape. */
export function checkImage(img: PixelImage): void {
  const n = img.width * img.height * img.channels;
  if (!(img.width > 0 && img.height > 0 && Number.isInteger(img.width) && Number.isInteger(img.height)) || ![1, 3, 4].includes(img.channels) || img.data.length !== n) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `Image buffer does not match its shape (${img.width}x${img.height}x${img.channels} needs ${n} values, has ${img.data.length}).`,
      hint: 'This is a bug in the caller; please report it.',
    });
  }
}

export interface ReadImageOptions {
  /** Output depth; default: the file's own (8 for 8-bit files, 16 for deeper ones). */
  bits?: 8 | 16;
  /** Output channels; default: the file's own (gray 1, gray+alpha → 4, RGB 3, RGBA 4). */
  channels?: 1 | 3 | 4;
  stage?: ErrorStage;
}

/**
 * Reads a PNG/JPEG/TIFF/WebP file. Gray, RGB and RGBA stay 1, 3 and 4 channels (gray+alpha becomes RGBA);
 * 16-bit files give Image16 with exact values. Errors: INPUT_NOT_FOUND, INPUT_EMPTY, INPUT_UNREADABLE (naming the file).
 */
export async function readImage(file: string, opts: ReadImageOptions = {}): Promise<PixelImage> {
  const stage = opts.stage ?? 'decode';
  await checkInputPath(file, { stage, allowDir: false });
  try {
    const meta = await sharp(file).metadata();
    // Decode at the file's own depth and change depth in JS: libvips' 8 → 16-bit cast is not v × 257.
    const bits: 8 | 16 = meta.depth === 'uchar' || meta.depth === 'char' || !meta.depth ? 8 : 16;
    const srcChannels = meta.channels ?? 3;
    const channels = opts.channels ?? (srcChannels === 2 ? 4 : (srcChannels as 1 | 3 | 4));
    let pipeline = sharp(file).toColourspace(colourspaceFor(channels, bits));
    if (channels === 3 && (meta.hasAlpha || srcChannels === 4)) pipeline = pipeline.removeAlpha();
    if (channels === 4) pipeline = pipeline.ensureAlpha();
    if (channels === 1 && meta.hasAlpha) pipeline = pipeline.removeAlpha();
    const { data, info } = await pipeline.raw({ depth: bits === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) {
      throw new Error(`decoded ${info.channels} channels, expected ${channels}`);
    }
    const img = makeImage(toTyped(data, bits), info.width, info.height, info.channels);
    return opts.bits ? convertDepth(img, opts.bits) : img;
  } catch (e) {
    if (e instanceof DreamLayerError) throw e;
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `The image "${file}" cannot be read (${(e as Error).message}).`, stage, cause: e });
  }
}

/** Basic facts about an image file, without decoding its pixels. */
export interface ImageFileInfo {
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  format: string;
  /** ICC/colour interpretation as sharp reports it (e.g. 'srgb', 'b-w', 'rgb16', 'grey16'). */
  space?: string;
}

/** Reads an image file's header through sharp. Throws INPUT_UNREADABLE naming the file. */
export async function readImageInfo(file: string, stage: ErrorStage = 'probe'): Promise<ImageFileInfo> {
  await checkInputPath(file, { stage, allowDir: false });
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('no image size in the header');
    return {
      width: m.width,
      height: m.height,
      channels: m.channels ?? 3,
      bitDepth: m.depth === 'uchar' || m.depth === 'char' || !m.depth ? 8 : 16,
      hasAlpha: Boolean(m.hasAlpha),
      format: m.format ?? 'unknown',
      space: m.space,
    };
  } catch (e) {
    if (e instanceof DreamLayerError) throw e;
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `The image "${file}" cannot be read (${(e as Error).message}).`, stage, cause: e });
  }
}

export interface WritePngOptions {
  /** zlib level 0..9; default 6 (sharp's). Frames are written once and read by compositors: speed over size. */
  compressionLevel?: number;
  stage?: ErrorStage;
}

/**
 * Encodes an 8/16-bit gray/RGB/RGBA image as PNG bytes of the same depth and channels. 16-bit images go
 * through png16-encode.ts (row filters, deflate on the thread pool: about 3× faster and a third smaller
 * than libvips for depth maps); 8-bit ones through sharp.
 */
export async function encodePng(img: PixelImage, opts: WritePngOptions = {}): Promise<Buffer> {
  const bits = is16(img) ? 16 : 8;
  if (bits === 16) {
    checkImage(img);
    return encodePng16(img as Image16, { compressionLevel: opts.compressionLevel ?? 6 });
  }
  return sharpFromImage(img)
    .toColourspace(colourspaceFor(img.channels, bits))
    .png({ compressionLevel: opts.compressionLevel ?? 6, adaptiveFiltering: false })
    .toBuffer();
}

/**
 * Writes a PNG atomically (temp file `.<name>.<pid>-<rand>.tmp` in the same folder, fsync, rename), keeping
 * the image's depth (8/16) and channels (1/3/4). Errors: OUTPUT_UNWRITABLE / DISK_FULL naming the file.
 */
export async function writePng(file: string, img: PixelImage, opts: WritePngOptions = {}): Promise<void> {
  const png = await encodePng(img, opts);
  await writeFileAtomic(file, png, { stage: opts.stage ?? 'write' });
}

/**
 * Encodes a JPEG preview (4:2:0, sRGB). `maxSize` bounds the longer side (never enlarges). Alpha is flattened
 * over black; 16-bit input is reduced to 8 bits.
 */
export async function encodeJpeg(img: PixelImage, quality = 80, maxSize?: number): Promise<Buffer> {
  let p = sharpFromImage(img);
  if (maxSize && (img.width > maxSize || img.height > maxSize)) {
    p = p.resize(maxSize, maxSize, { fit: 'inside', kernel: 'lanczos3', withoutEnlargement: true });
  }
  if (img.channels === 4) p = p.flatten({ background: { r: 0, g: 0, b: 0 } });
  return p.toColourspace('srgb').jpeg({ quality: Math.max(1, Math.min(100, Math.round(quality))) }).toBuffer();
}

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';

/** Resizes to exactly width×height (aspect not kept) with sharp, keeping depth and channels. */
export function resizeImage(img: Image8, width: number, height: number, kernel?: ResizeKernel): Promise<Image8>;
export function resizeImage(img: Image16, width: number, height: number, kernel?: ResizeKernel): Promise<Image16>;
export function resizeImage(img: PixelImage, width: number, height: number, kernel?: ResizeKernel): Promise<PixelImage>;
export async function resizeImage(img: PixelImage, width: number, height: number, kernel: ResizeKernel = 'lanczos3'): Promise<PixelImage> {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new DreamLayerError('PARAM_INVALID', { message: `Resize target must be positive integers, got ${width}x${height}.` });
  }
  const bits = is16(img) ? 16 : 8;
  if (width === img.width && height === img.height) {
    return makeImage(img.data.slice(), width, height, img.channels);
  }
  const { data, info } = await sharpFromImage(img)
    .resize(width, height, { fit: 'fill', kernel })
    .toColourspace(colourspaceFor(img.channels, bits))
    .raw({ depth: bits === 16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return makeImage(toTyped(data, bits), info.width, info.height, info.channels);
}

/**
 * Decodes an image file to exactly `channels` (3 or 4) at `bits`, optionally resized: the building block of
 * image-sequence decoding. Errors name the file.
 */
export async function readImageAs(
  file: string,
  opts: {
    bits: 8 | 16;
    channels: 1 | 3 | 4;
    width?: number;
    height?: number;
    kernel?: ResizeKernel;
    /** The size every frame of a sequence must have; another size is INPUT_UNREADABLE. */
    expectSize?: { width: number; height: number };
    stage?: ErrorStage;
  },
): Promise<PixelImage> {
  const stage = opts.stage ?? 'decode';
  await checkInputPath(file, { stage, allowDir: false });
  try {
    const meta = await sharp(file).metadata();
    if (opts.expectSize && (meta.width !== opts.expectSize.width || meta.height !== opts.expectSize.height)) {
      throw new DreamLayerError('INPUT_UNREADABLE', {
        message: `The frame "${file}" is ${meta.width}x${meta.height}, but the sequence is ${opts.expectSize.width}x${opts.expectSize.height}.`,
        hint: 'All frames of an image sequence must have the same size; re-render the odd frames.',
        stage,
      });
    }
    let p = sharp(file);
    if (opts.width && opts.height && (meta.width !== opts.width || meta.height !== opts.height)) {
      p = p.resize(opts.width, opts.height, { fit: 'fill', kernel: opts.kernel ?? 'lanczos3' });
    }
    const bits: 8 | 16 = meta.depth === 'uchar' || meta.depth === 'char' || !meta.depth ? 8 : 16;
    p = p.toColourspace(colourspaceFor(opts.channels, bits));
    if (opts.channels === 4) p = p.ensureAlpha();
    else if (meta.hasAlpha) p = p.removeAlpha();
    const { data, info } = await p.raw({ depth: bits === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== opts.channels) throw new Error(`decoded ${info.channels} channels, expected ${opts.channels}`);
    return convertDepth(makeImage(toTyped(data, bits), info.width, info.height, info.channels), opts.bits);
  } catch (e) {
    if (e instanceof DreamLayerError) throw e;
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `The image "${file}" cannot be read (${(e as Error).message}).`, stage, cause: e });
  }
}
