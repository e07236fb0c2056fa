/**
 * A minimal MP4/MOV writer for a movie whose coded frames are appended to the
 * file piece by piece as they are encoded, with the index (moov) written once
 * at the end. File layout:
 *
 *   ftyp | free (room reserved for the moov) | mdat (64-bit size): piece 1, piece 2, …, audio | [moov]
 *
 * At the end the moov goes into the reserved room when it fits (so the index
 * comes before the media, as with ffmpeg's +faststart), else after the mdat
 * (valid, just not "fast start"). Nothing is ever moved, so the disk holds the
 * final file only, and a piece once appended stays where it is.
 *
 * The video track is rebuilt from the encoder's own trak (stsd with the codec
 * configuration and colour tags, tkhd, hdlr, vmhd, dinf) with new sample tables:
 * constant frame duration (stts), composition offsets from each piece's
 * presentation order (ctts), keyframes (stss), one chunk per piece (stsc, stco/
 * co64), and one edit that starts the presentation at the first frame. The
 * audio track is taken whole from an audio-only file made by ffmpeg (its edit
 * list, priming and sample tables as ffmpeg wrote them), with the chunk offsets
 * moved to where its media is appended.
 */
import fsp, { type FileHandle } from 'node:fs/promises';
import { box, child, findBox, fullBox, listBoxes, malformed, parseTree, payloadOf, readBoxHeader, serializeTree, u32, u32s, UNITY_MATRIX, type BoxNode } from './mp4-box.ts';

export type MovieContainer = 'mp4' | 'mov';

/** Coded frames stored back to back (decode order) from `offset`: one chunk of the video track. */
export interface MoviePiece {
  offset: number;
  sizes: number[];
  /** Presentation rank of each sample (decode order) within the piece: 0 is shown first. */
  ranks: number[];
  /** Decode-order indices (within the piece) of the keyframes. */
  keyframes: number[];
}

export interface VideoTrack {
  /** The encoder's trak box; its sample description is kept, its tables are rebuilt. */
  trak: Buffer;
  /** The track's timescale (units per second). */
  timescale: number;
  /** Every frame's duration in the timescale (constant frame rate). */
  sampleDuration: number;
  pieces: MoviePiece[];
}

/** Where things are in a movie file being written. */
export interface MovieLayout {
  ftyp: Buffer;
  reserveAt: number;
  /** Bytes of the reserved room (a free box, header included). */
  reserveBytes: number;
  mdatAt: number;
  /** First media byte. */
  dataStart: number;
}

const MDAT_HEADER = 16; // always the 64-bit form: the size is only known at the end
const TRAK_CONTAINERS = new Set(['trak', 'mdia', 'minf', 'stbl', 'edts']);

/** The file type box: what ffmpeg writes for these codecs and containers. */
export function fileTypeBox(container: MovieContainer, sampleEntry: string): Buffer {
  const brands = container === 'mov' ? ['qt  '] : ['isom', 'iso2', ...(sampleEntry === 'avc1' ? ['avc1'] : []), 'mp41'];
  const major = container === 'mov' ? 'qt  ' : 'isom';
  return box('ftyp', Buffer.from(major, 'latin1'), u32(0x200), Buffer.from(brands.join(''), 'latin1'));
}

/**
 * Room to reserve for the moov: the sample tables take at most 16 bytes per frame (size, composition offset and a
 * keyframe entry) and 32 per piece; the audio track's tables are bounded by 1 kB per second (≤ 100 packets/s at ≤ 10
 * bytes each); 16 kB for the boxes themselves and the codec configuration.
 */
export function moovReserve(frames: number, pieces: number, seconds: number): number {
  return 16384 + 16 * frames + 32 * pieces + Math.ceil(1000 * seconds);
}

export function movieLayout(container: MovieContainer, sampleEntry: string, reserveBytes: number): MovieLayout {
  const ftyp = fileTypeBox(container, sampleEntry);
  const reserveAt = ftyp.length;
  const mdatAt = reserveAt + reserveBytes;
  return { ftyp, reserveAt, reserveBytes, mdatAt, dataStart: mdatAt + MDAT_HEADER };
}

/** A free box of exactly `bytes` bytes (≥ 8), zero-filled. */
function freeBox(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUInt32BE(bytes, 0);
  b.write('free', 4, 'latin1');
  return b;
}

function mdatHeader(size: number): Buffer {
  const b = Buffer.alloc(MDAT_HEADER);
  b.writeUInt32BE(1, 0);
  b.write('mdat', 4, 'latin1');
  b.writeBigUInt64BE(BigInt(size), 8);
  return b;
}

/** Writes ftyp, the reserved room and the mdat header (size still unknown) at the start of an open file. */
export async function writeMovieHeader(fh: FileHandle, layout: MovieLayout): Promise<void> {
  const head = Buffer.concat([layout.ftyp, freeBox(layout.reserveBytes), mdatHeader(0)]);
  await fh.write(head, 0, head.length, 0);
}

/** The sample entry type of a trak (avc1, hvc1, ap4h …). */
export function sampleEntryType(trak: Buffer): string {
  const top = listBoxes(trak)[0];
  const stsd = findBox(trak, top, 'mdia', 'minf', 'stbl', 'stsd');
  if (!stsd) throw malformed('trak without stsd');
  return trak.toString('latin1', stsd.body + 12, stsd.body + 16);
}

/** The stsd box of a trak: the codec configuration; pieces that disagree on it cannot share a track. */
export function sampleDescription(trak: Buffer): Buffer {
  const top = listBoxes(trak)[0];
  const stsd = findBox(trak, top, 'mdia', 'minf', 'stbl', 'stsd');
  if (!stsd) throw malformed('trak without stsd');
  return trak.subarray(stsd.start, stsd.end);
}

function patchTkhd(raw: Buffer, trackId: number, duration: number): Buffer {
  const b = Buffer.from(raw);
  const h = readBoxHeader(b, 0)!.headerSize;
  if (b[h] === 1) {
    b.writeUInt32BE(trackId, h + 20);
    b.writeBigUInt64BE(BigInt(duration), h + 28);
  } else {
    b.writeUInt32BE(trackId, h + 12);
    b.writeUInt32BE(checked32(duration), h + 20);
  }
  return b;
}

function patchMdhd(raw: Buffer, duration: number): Buffer {
  const b = Buffer.from(raw);
  const h = readBoxHeader(b, 0)!.headerSize;
  if (b[h] === 1) b.writeBigUInt64BE(BigInt(duration), h + 24);
  else b.writeUInt32BE(checked32(duration), h + 16);
  return b;
}

function tkhdDuration(raw: Buffer): number {
  const h = readBoxHeader(raw, 0)!.headerSize;
  return raw[h] === 1 ? Number(raw.readBigUInt64BE(h + 28)) : raw.readUInt32BE(h + 20);
}

function checked32(v: number): number {
  if (!(v >= 0 && v <= 0xffffffff)) throw malformed(`duration ${v} does not fit 32 bits`);
  return v;
}

/** Run-length entries (count, value) of a sequence. */
function runs(values: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && last[1] === v) last[0]++;
    else out.push([1, v]);
  }
  return out;
}

/** The chunk-offset box, 64-bit only when an offset needs it. */
function chunkOffsets(offsets: number[]): Buffer {
  if (offsets.every((o) => o <= 0xffffffff)) return fullBox('stco', 0, 0, u32(offsets.length), u32s(offsets));
  const b = Buffer.alloc(4 + 8 * offsets.length);
  b.writeUInt32BE(offsets.length, 0);
  offsets.forEach((o, i) => b.writeBigUInt64BE(BigInt(o), 4 + 8 * i));
  return fullBox('co64', 0, 0, b);
}

/** The video trak with the pieces' sample tables, and its duration in the movie timescale. */
export function buildVideoTrak(v: VideoTrack, movieTimescale: number, trackId = 1): { trak: Buffer; movieDuration: number } {
  const dur = v.sampleDuration;
  const sizes: number[] = [];
  const offsets: number[] = []; // composition offset per sample, before the shift
  const keyframes: number[] = [];
  for (const p of v.pieces) {
    if (p.ranks.length !== p.sizes.length) throw malformed('a piece with unequal size and order tables');
    const base = sizes.length;
    p.sizes.forEach((s, j) => {
      sizes.push(s);
      offsets.push((p.ranks[j] - j) * dur); // pts − dts with dts = (base + j)·dur, pts = (base + rank)·dur
    });
    for (const k of p.keyframes) keyframes.push(base + k + 1);
  }
  const n = sizes.length;
  if (!n) throw malformed('a video track without samples');
  // Shift so no composition offset is negative (version-0 ctts); the edit list takes the shift back out.
  const shift = Math.max(0, -offsets.reduce((a, b) => Math.min(a, b), 0));
  const mediaDuration = n * dur;
  // Rounded up, as ffmpeg does: an edit that ended before the last frame does could cut it short.
  const movieDuration = Math.ceil((mediaDuration * movieTimescale) / v.timescale - 1e-9);

  const tables: Buffer[] = [fullBox('stts', 0, 0, u32(1, n, dur))];
  if (offsets.some((o) => o + shift !== 0)) {
    const r = runs(offsets.map((o) => o + shift));
    tables.push(fullBox('ctts', 0, 0, u32(r.length), u32s(r.flat())));
  }
  if (keyframes.length !== n) tables.push(fullBox('stss', 0, 0, u32(keyframes.length), u32s(keyframes)));
  const stsc: number[] = [];
  let prev = -1;
  v.pieces.forEach((p, i) => {
    if (p.sizes.length !== prev) stsc.push(i + 1, p.sizes.length, 1);
    prev = p.sizes.length;
  });
  tables.push(fullBox('stsc', 0, 0, u32(stsc.length / 3), u32s(stsc)));
  tables.push(fullBox('stsz', 0, 0, u32(0, n), u32s(sizes)));
  tables.push(chunkOffsets(v.pieces.map((p) => p.offset)));

  const top = listBoxes(v.trak)[0];
  const tree = parseTree(v.trak, top, TRAK_CONTAINERS);
  const edts = box('edts', fullBox('elst', 0, 0, u32(1, checked32(movieDuration), shift, 0x00010000)));
  const kids: BoxNode[] = [];
  for (const c of tree.children ?? []) {
    if (c.type === 'edts') continue;
    if (c.type === 'tkhd') {
      kids.push({ type: 'tkhd', raw: patchTkhd(c.raw!, trackId, movieDuration) }, { type: 'edts', raw: edts });
    } else kids.push(c);
  }
  tree.children = kids;
  const mdia = child(tree, 'mdia');
  const minf = mdia && child(mdia, 'minf');
  const stbl = minf && child(minf, 'stbl');
  const stsd = stbl && child(stbl, 'stsd');
  if (!mdia || !minf || !stbl || !stsd) throw malformed('the encoder trak lacks mdia/minf/stbl/stsd');
  mdia.children = mdia.children!.map((c) => (c.type === 'mdhd' ? { type: 'mdhd', raw: patchMdhd(c.raw!, mediaDuration) } : c));
  stbl.children = [stsd, ...tables.map((raw) => ({ type: raw.toString('latin1', 4, 8), raw }))];
  return { trak: serializeTree(tree), movieDuration };
}

function movieHeader(timescale: number, duration: number, nextTrackId: number): Buffer {
  return fullBox('mvhd', 0, 0, u32(0, 0, timescale, checked32(duration), 0x00010000), Buffer.from([0x01, 0x00]), Buffer.alloc(10), UNITY_MATRIX, Buffer.alloc(24), u32(nextTrackId));
}

/** An audio track taken from an audio-only movie, its media appended elsewhere. */
export interface AudioTrack {
  /** The trak with track ID 2 and chunk offsets moved. */
  trak: Buffer;
  /** The source file's movie timescale (its edit list is in it). */
  movieTimescale: number;
  movieDuration: number;
}

/** The moov of a movie: mvhd, the video trak, the audio trak (if any). */
export function buildMoov(video: VideoTrack, audio?: AudioTrack): Buffer {
  const mts = audio?.movieTimescale ?? video.timescale; // without audio: durations exact in the track's own units
  const v = buildVideoTrak(video, mts);
  const duration = Math.max(v.movieDuration, audio?.movieDuration ?? 0);
  return box('moov', movieHeader(mts, duration, audio ? 3 : 2), v.trak, ...(audio ? [audio.trak] : []));
}

/** Reads the top-level boxes of a file without loading it: the moov (in memory) and the mdat's byte range. */
async function readMovieIndex(file: string): Promise<{ moov: Buffer; mdat: { start: number; end: number } }> {
  const fh = await fsp.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    let at = 0;
    let moov: Buffer | undefined;
    let mdat: { start: number; end: number } | undefined;
    const head = Buffer.alloc(16);
    while (at + 8 <= size) {
      await fh.read(head, 0, 16, at);
      const h = readBoxHeader(head, 0, Math.min(16, size - at));
      if (!h) break;
      const boxSize = h.size ?? size - at;
      if (boxSize < h.headerSize || at + boxSize > size) throw malformed(`box "${h.type}" overruns ${file}`);
      if (h.type === 'moov') {
        moov = Buffer.alloc(boxSize);
        await fh.read(moov, 0, boxSize, at);
      } else if (h.type === 'mdat') mdat = { start: at + h.headerSize, end: at + boxSize };
      at += boxSize;
    }
    if (!moov || !mdat) throw malformed(`${file} has no ${moov ? 'mdat' : 'moov'}`);
    return { moov, mdat };
  } finally {
    await fh.close();
  }
}

/** Copies `length` bytes from one file position to another, in 1 MiB pieces. */
async function copyRange(from: FileHandle, fromAt: number, to: FileHandle, toAt: number, length: number): Promise<void> {
  const buf = Buffer.alloc(Math.min(length, 1 << 20));
  for (let done = 0; done < length; ) {
    const n = Math.min(buf.length, length - done);
    const { bytesRead } = await from.read(buf, 0, n, fromAt + done);
    if (bytesRead !== n) throw malformed('a file ended early while copying');
    await to.write(buf, 0, n, toAt + done);
    done += n;
  }
}

/**
 * Appends the media of an audio-only movie (made by ffmpeg) at `at` in `fh`, and returns its track with the chunk
 * offsets moved there; the bytes appended are the source's whole mdat payload.
 */
export async function appendAudioTrack(fh: FileHandle, at: number, audioFile: string): Promise<{ track: AudioTrack; bytes: number }> {
  const { moov, mdat } = await readMovieIndex(audioFile);
  const top = listBoxes(moov)[0];
  const mvhd = findBox(moov, top, 'mvhd');
  if (!mvhd) throw malformed(`${audioFile} has no mvhd`);
  const movieTimescale = moov.readUInt32BE(mvhd.body + (moov[mvhd.body] === 1 ? 20 : 12));
  const trakRef = listBoxes(moov, top.body, top.end).find((t) => t.type === 'trak' && moov.toString('latin1', (findBox(moov, t, 'mdia', 'hdlr')?.body ?? 0) + 8, (findBox(moov, t, 'mdia', 'hdlr')?.body ?? 0) + 12) === 'soun');
  if (!trakRef) throw malformed(`${audioFile} has no audio track`);
  const src = await fsp.open(audioFile, 'r');
  try {
    await copyRange(src, mdat.start, fh, at, mdat.end - mdat.start);
  } finally {
    await src.close();
  }
  const delta = at - mdat.start;
  const tree = parseTree(moov, trakRef, TRAK_CONTAINERS);
  let movieDuration = 0;
  tree.children = tree.children!.map((c) => {
    if (c.type !== 'tkhd') return c;
    movieDuration = tkhdDuration(c.raw!);
    return { type: 'tkhd', raw: patchTkhd(c.raw!, 2, movieDuration) };
  });
  const stbl = child(child(child(tree, 'mdia') ?? { type: '' }, 'minf') ?? { type: '' }, 'stbl');
  if (!stbl) throw malformed(`${audioFile}: audio track without stbl`);
  stbl.children = stbl.children!.map((c) => {
    if (c.type !== 'stco' && c.type !== 'co64') return c;
    const p = payloadOf(c);
    const count = p.readUInt32BE(4);
    const offs: number[] = [];
    for (let i = 0; i < count; i++) offs.push((c.type === 'stco' ? p.readUInt32BE(8 + 4 * i) : Number(p.readBigUInt64BE(8 + 8 * i))) + delta);
    const raw = chunkOffsets(offs);
    return { type: raw.toString('latin1', 4, 8), raw };
  });
  return { track: { trak: serializeTree(tree), movieTimescale, movieDuration }, bytes: mdat.end - mdat.start };
}

/**
 * Turns a file holding `layout`'s header and the video pieces up to `dataEnd` into the finished movie: anything after
 * `dataEnd` is cut (a half-done earlier attempt), the audio is appended (and `audioFile` deleted), the mdat size set
 * and the moov written into the reserved room (or after the mdat when it does not fit). A second call after a kill
 * (with the audio file made again) gives the same bytes. Returns the file size.
 */
export async function finishMovieFile(
  file: string, layout: MovieLayout, dataEnd: number, video: VideoTrack, audioFile?: string, onStep?: (step: 'audio' | 'moov') => void,
): Promise<number> {
  const fh = await fsp.open(file, 'r+');
  try {
    await fh.truncate(dataEnd);
    let end = dataEnd;
    let audio: AudioTrack | undefined;
    if (audioFile) {
      const a = await appendAudioTrack(fh, end, audioFile);
      audio = a.track;
      end += a.bytes;
      // Its media is in the movie now; a second call (after a kill) needs the file made again.
      await fh.sync();
      await fsp.rm(audioFile, { force: true });
      onStep?.('audio');
    }
    const mdat = mdatHeader(end - layout.mdatAt);
    await fh.write(mdat, 0, mdat.length, layout.mdatAt);
    const moov = buildMoov(video, audio);
    const rest = layout.reserveBytes - moov.length;
    if (rest === 0 || rest >= 8) {
      const room = rest ? Buffer.concat([moov, freeBox(rest)]) : moov;
      await fh.write(room, 0, room.length, layout.reserveAt);
    } else {
      const room = freeBox(layout.reserveBytes);
      await fh.write(room, 0, room.length, layout.reserveAt);
      await fh.write(moov, 0, moov.length, end);
      end += moov.length;
    }
    await fh.sync();
    onStep?.('moov');
    return end;
  } finally {
    await fh.close();
  }
}

/** Writes a small stand-alone movie of one piece whose bytes are given (ftyp, mdat, moov). */
export async function writePieceMovie(target: string, container: MovieContainer, data: Buffer, video: VideoTrack): Promise<void> {
  const ftyp = fileTypeBox(container, sampleEntryType(video.trak));
  const dataStart = ftyp.length + MDAT_HEADER;
  const moov = buildMoov({ ...video, pieces: video.pieces.map((p) => ({ ...p, offset: dataStart })) });
  await fsp.writeFile(target, Buffer.concat([ftyp, mdatHeader(MDAT_HEADER + data.length), data, moov]));
}
