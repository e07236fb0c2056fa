/**
 * What the After Effects adapter needs from AE, as plain JSON-able data, so
 * the same adapter runs on the UXP DOM (in-process, synchronous) and on
 * ExtendScript through CEP's evalScript (a string in, a string out).
 */
import type { LayerKind } from './host-adapter.ts';
import type { AePlacement } from './ae-timing.ts';

export interface AeRawLayer {
  /** 1-based index in the comp. */
  index: number;
  /** Layer.id where the host has it (AE 22+), else null. */
  id: number | null;
  name: string;
  kind: LayerKind;
  /** Native path of the source file (first frame for sequences), null when none. */
  filePath: string | null;
  footageMissing: boolean;
  isStill: boolean;
  width: number;
  height: number;
  /** Source frame rate (footage interpreted rate, or the precomp's rate). */
  fps: number;
  /** Source duration in seconds. */
  duration: number;
  inPoint: number;
  outPoint: number;
  startTime: number;
  stretch: number;
  timeRemapEnabled: boolean;
  /** Id of the source item (footage or precomp), null when none. */
  sourceId: number | null;
}

export interface AeRawComp {
  id: number;
  name: string;
  frameRate: number;
}

export type AeRawSelection =
  | { status: 'no-comp' }
  | { status: 'none'; comp: AeRawComp }
  | { status: 'several'; comp: AeRawComp; count: number }
  | { status: 'ok'; comp: AeRawComp; layer: AeRawLayer };

/** Identity of the source layer, kept in LayerRef.id. */
export interface AeLayerKey {
  compId: number;
  index: number;
  id: number | null;
  name: string;
}

/** One import, fully decided by the adapter; the backend only executes it. */
export interface AePlacePlan {
  source: AeLayerKey;
  resultName: string;
  /** First frame of the PNG sequence, the still, or the movie (native path). */
  file: string;
  /** Import as a numbered sequence. */
  sequence: boolean;
  /** Conform rate for sequences. */
  fps: number;
  placement: AePlacement;
  /** Text of the undo group. */
  undoName: string;
}

export interface AePlaceResult {
  /** 1-based index of the result layer after the move. */
  layerIndex: number;
  /** True when an existing result layer was re-pointed. */
  replaced: boolean;
}

export interface AeRenderPlan {
  /** The precomp to render. */
  compId: number;
  /** Comp seconds of the span to render. */
  start: number;
  duration: number;
  /** Output path with AE's frame token, e.g. /tmp/x/frame_[#####].png. */
  outputPath: string;
}

export interface AeBackend {
  readSelection(): Promise<AeRawSelection>;
  /** Re-reads the source layer now (it may have moved since the job started); null when gone. */
  readLayer(key: AeLayerKey): Promise<AeRawLayer | null>;
  place(plan: AePlacePlan): Promise<AePlaceResult>;
  /** Renders a comp through the render queue into a PNG sequence. */
  renderComp(plan: AeRenderPlan): Promise<void>;
}

/** Error a backend reports in words (becomes a HostError). */
export class AeBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AeBackendError';
  }
}
