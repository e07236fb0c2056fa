/**
 * Reads a fragmented MP4/MOV as it streams out of ffmpeg (`-movflags
 * frag_keyframe+empty_moov+default_base_moof`): the init part (ftyp, moov with
 * the sample description) is kept, each moof's sample table (sizes, durations,
 * composition offsets, keyframe flags) is collected, and the media bytes of each
 * mdat are handed on as they arrive — never held in memory whole. Only one
 * track (the encoder's video) is expected.
 */
import { findBox, listBoxes, malformed } from './mp4-box.ts';

/** One coded frame, in decode order. */
export interface FragmentSample {
  size: number;
  /** Decode duration in the track's timescale. */
  duration: number;
  /** Composition (presentation) time minus decode time, in the track's timescale; may be negative. */
  cts: number;
  /** A keyframe (random access point). */
  sync: boolean;
}

interface TrackDefaults {
  duration: number;
  size: number;
  flags: number;
}

const NON_SYNC = 0x10000;

/**
 * Incremental parser. `push()` the bytes in order (awaiting each); media bytes go to `onMedia` in order, with no gap,
 * so the caller can append them to a file. After the last byte, `end()` checks that nothing was cut off.
 */
export class FragmentedMp4Reader {
  ftyp?: Buffer;
  /** The init moov (its trak holds the sample description, stsd, and the track's timescale). */
  moov?: Buffer;
  readonly samples: FragmentSample[] = [];
  /** Media bytes handed on so far. */
  mediaBytes = 0;

  private pos = 0; // stream position of the first byte in `pending`
  private pending: Buffer = Buffer.alloc(0);
  private mdatLeft = 0; // media bytes of the current mdat still to come
  private expectedMedia: { start: number; bytes: number } | null = null; // what the last moof announced
  private trex: TrackDefaults = { duration: 0, size: 0, flags: 0 };

  constructor(private readonly onMedia: (chunk: Buffer) => Promise<void>) {}

  async push(chunk: Buffer): Promise<void> {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (this.mdatLeft > 0) {
        const n = Math.min(this.mdatLeft, buf.length - at);
        if (n === 0) break;
        await this.onMedia(buf.subarray(at, at + n));
        this.mediaBytes += n;
        this.mdatLeft -= n;
        at += n;
        continue;
      }
      if (buf.length - at < 8) break;
      const size32 = buf.readUInt32BE(at);
      const type = buf.toString('latin1', at + 4, at + 8);
      let headerSize = 8;
      let size = size32;
      if (size32 === 1) {
        if (buf.length - at < 16) break;
        size = Number(buf.readBigUInt64BE(at + 8));
        headerSize = 16;
      } else if (size32 === 0) {
        throw malformed(`box "${type}" of unknown size in a stream`);
      }
      if (size < headerSize) throw malformed(`box "${type}" of ${size} bytes`);
      if (type === 'mdat') {
        const start = this.pos + at + headerSize;
        const bytes = size - headerSize;
        const exp = this.expectedMedia;
        if (!exp || exp.start !== start || exp.bytes !== bytes) {
          throw malformed(`mdat at ${start} (${bytes} bytes) is not the one its moof describes (${exp ? `${exp.start}, ${exp.bytes} bytes` : 'none'})`);
        }
        this.expectedMedia = null;
        this.mdatLeft = bytes;
        at += headerSize;
        continue;
      }
      if (buf.length - at < size) break; // other boxes are small: wait for the whole box
      this.onBox(type, buf.subarray(at, at + size), this.pos + at);
      at += size;
    }
    this.pending = Buffer.from(buf.subarray(at)); // copy: the caller's chunk may be reused
    this.pos += at;
  }

  /** Checks the stream ended between boxes, with every announced sample delivered. */
  end(): void {
    if (this.mdatLeft > 0 || this.pending.length) throw malformed(`the stream ended inside a box (${this.mdatLeft || this.pending.length} bytes missing)`);
    if (this.expectedMedia) throw malformed('the stream ended before the media of its last fragment');
    if (!this.moov) throw malformed('no moov');
  }

  private onBox(type: string, b: Buffer, streamAt: number): void {
    if (type === 'ftyp') this.ftyp = Buffer.from(b);
    else if (type === 'moov') {
      this.moov = Buffer.from(b);
      const trex = findBox(b, listBoxes(b)[0], 'mvex', 'trex');
      if (trex) this.trex = { duration: b.readUInt32BE(trex.body + 12), size: b.readUInt32BE(trex.body + 16), flags: b.readUInt32BE(trex.body + 20) };
    } else if (type === 'moof') this.onMoof(b, streamAt);
    // styp, sidx, mfra, free, udta: nothing we need.
  }

  private onMoof(b: Buffer, moofAt: number): void {
    if (this.expectedMedia) throw malformed('a moof before the media of the previous one');
    const moof = listBoxes(b)[0];
    const trafs = listBoxes(b, moof.body, moof.end).filter((x) => x.type === 'traf');
    if (trafs.length !== 1) throw malformed(`${trafs.length} track fragments in a moof (one track expected)`);
    const traf = trafs[0];
    const tfhd = findBox(b, traf, 'tfhd');
    if (!tfhd) throw malformed('traf without tfhd');
    const tfFlags = b.readUInt32BE(tfhd.body) & 0xffffff;
    let p = tfhd.body + 8; // version/flags, track_ID
    let base = moofAt;
    if (tfFlags & 0x1) {
      base = Number(b.readBigUInt64BE(p));
      p += 8;
    }
    if (tfFlags & 0x2) p += 4;
    const def: TrackDefaults = { ...this.trex };
    if (tfFlags & 0x8) (def.duration = b.readUInt32BE(p)), (p += 4);
    if (tfFlags & 0x10) (def.size = b.readUInt32BE(p)), (p += 4);
    if (tfFlags & 0x20) (def.flags = b.readUInt32BE(p)), (p += 4);
    let next: number | null = null; // where the next trun's data follows on
    let start: number | null = null;
    let bytes = 0;
    for (const trun of listBoxes(b, traf.body, traf.end).filter((x) => x.type === 'trun')) {
      const vf = b.readUInt32BE(trun.body);
      const version = vf >>> 24;
      const flags = vf & 0xffffff;
      const count = b.readUInt32BE(trun.body + 4);
      let q = trun.body + 8;
      let dataAt: number = next ?? base;
      if (flags & 0x1) {
        dataAt = base + b.readInt32BE(q);
        q += 4;
      }
      let firstFlags: number | undefined;
      if (flags & 0x4) (firstFlags = b.readUInt32BE(q)), (q += 4);
      if (start === null) start = dataAt;
      else if (dataAt !== start + bytes) throw malformed('the runs of a fragment are not contiguous');
      for (let i = 0; i < count; i++) {
        let duration = def.duration;
        let size = def.size;
        let sflags = i === 0 && firstFlags !== undefined ? firstFlags : def.flags;
        let cts = 0;
        if (flags & 0x100) (duration = b.readUInt32BE(q)), (q += 4);
        if (flags & 0x200) (size = b.readUInt32BE(q)), (q += 4);
        if (flags & 0x400) (sflags = b.readUInt32BE(q)), (q += 4);
        if (flags & 0x800) (cts = version === 0 ? b.readUInt32BE(q) : b.readInt32BE(q)), (q += 4);
        if (q > trun.end) throw malformed('trun shorter than its sample count');
        this.samples.push({ size, duration, cts, sync: (sflags & NON_SYNC) === 0 });
        bytes += size;
      }
      next = dataAt + bytes;
    }
    if (start !== null && bytes > 0) this.expectedMedia = { start, bytes };
  }
}

/** The track's timescale and the trak box of an init moov. */
export function initTrack(moov: Buffer): { trak: Buffer; timescale: number } {
  const top = listBoxes(moov)[0];
  const trak = findBox(moov, top, 'trak');
  if (!trak) throw malformed('moov without trak');
  const mdhd = findBox(moov, trak, 'mdia', 'mdhd');
  if (!mdhd) throw malformed('trak without mdhd');
  const v = moov[mdhd.body];
  const timescale = moov.readUInt32BE(mdhd.body + (v === 1 ? 20 : 12));
  return { trak: moov.subarray(trak.start, trak.end), timescale };
}
