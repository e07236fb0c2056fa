/**
 * A movie encoder whose output is not a file but a stream of coded frames:
 * ffmpeg writes a fragmented MP4/MOV to its stdout, which is parsed as it
 * arrives (fragmented-mp4-reader.ts). The media bytes go to `onMedia` in order
 * (the movie sink appends them to the file being built), and finish() returns
 * the encoder's track (sample description, timescale) and the frames' sample
 * table. Nothing is written to disk by ffmpeg itself.
 */
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { writeError } from './atomic-file.ts';
import { containerFor, PipeMovieEncoder, type Container, type MovieEncoderOptions } from './encode.ts';
import type { ExitStatus, ToolProcess } from './ffmpeg-process.ts';
import { FragmentedMp4Reader, initTrack, type FragmentSample } from './fragmented-mp4-reader.ts';

export interface FragmentEncoderOptions extends Omit<MovieEncoderOptions, 'audioFrom'> {
  /** Receives the coded bytes of every frame, in decode order, with no gap; awaited (backpressure). */
  onMedia(chunk: Buffer): Promise<void>;
}

/** What one encode produced. */
export interface EncodedFrames {
  /** The encoder's trak (sample description with codec configuration and colour tags, timescale). */
  trak: Buffer;
  timescale: number;
  /** One entry per frame, decode order. */
  samples: FragmentSample[];
  /** Media bytes handed to onMedia (the sum of the sample sizes). */
  bytes: number;
}

class FragmentEncoder extends PipeMovieEncoder {
  protected override readonly streamsOut = true;
  private readonly reader: FragmentedMp4Reader;
  private reading: Promise<void> = Promise.resolve();
  private readError: unknown;

  constructor(fopts: FragmentEncoderOptions) {
    super({ ...fopts, audioFrom: undefined });
    this.reader = new FragmentedMp4Reader((chunk) => fopts.onMedia(chunk));
  }

  protected override outputArgs(container: Container): string[] {
    // One fragment per keyframe, the init part first, and moof-relative offsets (what the reader expects);
    // write_colr keeps the BT.709 tags in the sample description.
    return ['-movflags', '+frag_keyframe+empty_moov+default_base_moof+write_colr', '-f', container, 'pipe:1'];
  }

  protected override started(tool: ToolProcess): void {
    const out = tool.proc.stdout!;
    this.reading = (async () => {
      try {
        for await (const chunk of out) await this.reader.push(chunk as Buffer);
        this.reader.end();
      } catch (e) {
        this.readError ??= e;
        tool.kill(); // ffmpeg would block on a stdout nobody reads
      }
    })();
  }

  protected override async complete(): Promise<void> {
    await this.reading;
    if (this.readError) throw this.readFailure();
  }

  /** When ffmpeg was stopped because its output could not be taken (disk full, unexpected stream), that is the error. */
  protected override failure(status: ExitStatus, stderr: string): DreamLayerError {
    return this.readError ? this.readFailure() : super.failure(status, stderr);
  }

  private readFailure(): DreamLayerError {
    const e = this.readError;
    // A file-system error of onMedia (ENOSPC → DISK_FULL) names the movie; a malformed stream is already ours.
    return e instanceof DreamLayerError ? e : writeError(e, this.path, 'encode', 'movie');
  }

  /** The result; valid after finish(). */
  result(): EncodedFrames {
    const { trak, timescale } = initTrack(this.reader.moov!);
    return { trak: Buffer.from(trak), timescale, samples: this.reader.samples, bytes: this.reader.mediaBytes };
  }
}

/** A started fragment encoder: write() frames, then finish() for the sample table, or abort(). */
export interface FrameStreamEncoder {
  readonly framesWritten: number;
  write(img: Parameters<PipeMovieEncoder['write']>[0]): Promise<void>;
  finish(): Promise<EncodedFrames>;
  abort(): Promise<void>;
}

/**
 * Starts ffmpeg encoding raw frames into coded frames delivered through `onMedia`. `path` only names the movie in
 * messages and picks the container by its extension (.mp4 or .mov).
 */
export function createFrameStreamEncoder(opts: FragmentEncoderOptions): FrameStreamEncoder {
  containerFor(opts.path, opts.codec); // the extension check, at once
  const enc = new FragmentEncoder(opts);
  return {
    get framesWritten() {
      return enc.framesWritten;
    },
    write: (img) => enc.write(img),
    async finish() {
      await enc.finish();
      return enc.result();
    },
    abort: () => enc.abort(),
  };
}
