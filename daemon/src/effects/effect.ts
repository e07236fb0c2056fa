/**
 * The contract between the job runner and an effect. An effect turns one source
 * frame into one output image; temporal effects carry state from frame to frame.
 *
 * Resume rule: a stateful processor derives its state for frame k+1 ONLY from
 * what `process` returned for frame k (the exact pixels written) and from the
 * source frames. On resume the runner hands that same output back through
 * `restore`, so a resumed job is byte-identical to an uninterrupted one.
 */
import type { EffectDescriptor } from '../../../shared/src/params/param-spec.ts';
import type { PixelImage, VideoFrame } from '../core/image.ts';
import type { MediaInfo } from '../io/probe.ts';
import type { Device } from '../runtime/providers.ts';

export interface ModelRecord {
  id: string;
  path: string;
  sha256: string;
}

export interface EffectSetup {
  params: Record<string, unknown>;
  /** Catalog id, file path, or undefined for the effect's default. */
  model: string | undefined;
  device: Device;
  source: MediaInfo;
  range: { first: number; last: number };
  /** Size of the frames this processor receives. */
  width: number;
  height: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  /**
   * For effects that need a pre-pass over the clip (e.g. depth's clip-wide normalisation): a fresh frame stream at
   * the processing size; with `pick`, only those frames of first..last (ascending), the rest skipped cheaply.
   */
  readFrames: (first: number, last: number, pick?: readonly number[]) => AsyncGenerator<VideoFrame>;
}

export interface FrameProcessor {
  model: ModelRecord | null;
  /** Execution provider that really runs (cpu, cuda…), or 'none'. */
  device: string;
  /** Size of the images `process` returns. */
  outputSize: { width: number; height: number };
  /** Carries state from frame to frame (needs the previous output on resume). */
  stateful: boolean;
  process(frame: VideoFrame): Promise<PixelImage>;
  /**
   * Optional look-ahead for the first step of a job: the runner hands it each decoded frame, in
   * order, as soon as it is decoded, while `process` is still busy with earlier frames (a few
   * frames ahead at most). Work that needs only the source frame (e.g. starting the network, which
   * runs on its own threads) then overlaps the previous frames' post-processing. `process` is
   * still called for every frame, in order, and must give the same result whether or not
   * `prefetch` was called for it.
   */
  prefetch?(frame: VideoFrame): void;
  /** Rebuild the state as it was after frame `prev.index` (resume of a stateful processor). */
  restore?(prev: { source: VideoFrame; output: PixelImage }): Promise<void>;
  /** Effect-specific record for result.json. */
  extra?(): Record<string, unknown>;
  dispose?(): Promise<void>;
}

export interface Effect {
  descriptor: EffectDescriptor;
  create(setup: EffectSetup): Promise<FrameProcessor>;
}
