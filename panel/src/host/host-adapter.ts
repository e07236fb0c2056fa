/**
 * The one interface between the panel and a host application. Each host
 * (Premiere UXP, After Effects UXP, After Effects CEP, the browser's simulated
 * timeline) implements it; nothing else in the panel touches a host API.
 */

/** What a selected layer (AE) or track item (Premiere) is made of. */
export type LayerKind =
  /** A movie file. */
  | 'footage'
  /** A single image file. */
  | 'still'
  /** A numbered image sequence on disk. */
  | 'sequence'
  /** A precomp (AE) or nested sequence (Premiere): no file of its own. */
  | 'comp'
  /** Solid / colour matte: no file of its own. */
  | 'solid'
  /** Adjustment layer: no pixels of its own. */
  | 'adjustment'
  /** Text, shape, camera, light, graphics… */
  | 'other';

/** A selected layer, as the daemon needs it: an explicit source file and frame range. */
export interface LayerRef {
  /** Host-specific identity used by importResult (AE layer index + comp id, Premiere track/start…). */
  id: string;
  /** Display name of the layer / clip. */
  name: string;
  kind: LayerKind;
  /** Native path of the source file, or null when the layer has none (comp, solid…). */
  sourcePath: string | null;
  /** First and last source frame (0-based, both included) that the layer shows. */
  firstFrame: number;
  lastFrame: number;
  /** Frame rate of the source frames (the footage's interpreted rate). */
  fps: number;
  width: number;
  height: number;
  /** Things the user should know before running (e.g. "time remapping is not copied"). */
  warnings: string[];
}

/** What the daemon produced, in the shape an adapter needs to import it. */
export interface ImportRequest {
  /** Effect name, used in the new layer's name. */
  effect: string;
  /** Result folder (native path). */
  dir: string;
  /** printf pattern of the frame files relative to dir (e.g. "frame_%06d.png"), or null for a movie. */
  pattern: string | null;
  /** Movie file relative to dir, or null. */
  movie: string | null;
  /** Frame numbers of the written files (first file = pattern % first). */
  frames: { first: number; last: number; count: number };
  fps: number;
  width: number;
  height: number;
}

/** What importResult did, shown in the panel. */
export interface ImportedLayer {
  /** Name of the new (or updated) layer / clip: "<source> – <effect>". */
  name: string;
  /** File the host imported (first frame of the sequence, or the movie). */
  path: string;
  /** True when an earlier result layer was re-pointed instead of a new one added. */
  replaced: boolean;
  /** Where it landed, in words ("above layer 3", "V2 at 00:00:01:00"). */
  where: string;
  warnings: string[];
}

/** Frames a host renders itself for a layer without a file (AE render queue). */
export interface RenderedFrames {
  /** printf pattern of the rendered PNG files (native path). */
  path: string;
  /** Frame numbers of the first and last file. */
  first: number;
  last: number;
}

/** One frame streamed to the daemon's frames mode. */
export interface RgbaFrame {
  width: number;
  height: number;
  /** width*height*4 bytes, row-major. */
  rgba: Uint8Array;
}

export interface HostAdapter {
  /** "Premiere Pro", "After Effects", "Browser (simulated)". */
  readonly hostName: string;
  /** Throws HostError NO_SELECTION when nothing (or not exactly one layer) is selected. */
  getSelectedLayer(): Promise<LayerRef>;
  /** Puts the result above the source layer, same start and duration, named "<source> – <effect>"; re-runs replace the earlier result. */
  importResult(layer: LayerRef, result: ImportRequest): Promise<ImportedLayer>;
  /** For layers without a file: renders them to a PNG sequence inside `folder` (host render). */
  renderLayer?(layer: LayerRef, folder: string): Promise<RenderedFrames>;
  /** For layers without a file: yields the layer's frames for the daemon's frames mode. */
  streamFrames?(layer: LayerRef): AsyncIterable<RgbaFrame>;
}

export type HostErrorCode = 'NO_SELECTION' | 'NO_SOURCE_FILE' | 'SOURCE_MISSING' | 'UNSUPPORTED' | 'IMPORT_FAILED' | 'HOST_UNAVAILABLE';

/** A host-side problem, in words for the panel: what happened and what to do. */
export class HostError extends Error {
  readonly code: HostErrorCode;
  readonly hint: string;
  constructor(code: HostErrorCode, message: string, hint: string) {
    super(message);
    this.name = 'HostError';
    this.code = code;
    this.hint = hint;
  }
}

/** Name of a result layer: "<source> – <effect>" (en dash), so re-runs can find it. */
export function resultLayerName(sourceName: string, effect: string): string {
  return `${sourceName} \u2013 ${effect}`;
}
