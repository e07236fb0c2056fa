/**
 * The per-frame depth pipeline, free of files and sessions so tests can drive it directly:
 *
 *   raw network depth → working grid (source aspect) → one clip mapping → temporal filter along
 *   the flow → edge-aware upsampling guided by the frame → 16/8-bit grey (near = white)
 *
 * Everything that depends on the frame alone (luminance, guide statistics, optical flow) comes
 * before awaiting the network's output. (onnxruntime-node runs the network synchronously on the
 * main thread, so this overlaps nothing there; the depth effect therefore runs the renderer on a
 * worker thread, depth-render-thread.ts, while the main thread runs the network on the next
 * frames.) The temporal state is rebuilt from the written pixels and the source frame only, both
 * after each frame and on resume, so a resumed job is identical.
 *
 * Cost: the frame is read twice at full resolution (its luminance straight onto the working
 * grid; the final pass that computes luminance, applies the guided filter's coefficients and
 * writes the grey codes in one go) and the written codes once (the state); everything else
 * runs on the working grid in buffers reused from frame to frame.
 */
import type { Image8, PixelImage } from '../../core/image.ts';
import type { FlowEstimator, FlowField } from '../../flow/types.ts';
import { builtinFlowParams, type BuiltinFlowOptions } from '../../flow/builtin-flow.ts';
import { resizeFlow } from '../../flow/resize-flow.ts';
import { resizePlanes } from '../../runtime/resize.ts';
import type { DepthBits } from './depth-image.ts';
import { lumaToPlane, resizeChannelToPlane } from './rgb-resize.ts';
import { applyMapping, type DepthMapping } from './depth-normalization.ts';
import type { DepthPlane } from './depth-network.ts';
import { applyToGreyCodes, guidedCoefficients, GuidedScratch, guideStats, type GuideStats } from './guided-upsample.ts';
import { DEFAULT_TEMPORAL, filterDepthStep, type TemporalDepthOptions } from './temporal-depth-filter.ts';

export interface DepthRenderOptions {
  /** Frame (output) size. */
  width: number;
  height: number;
  /** Working grid: normalisation, temporal filter and guided-filter coefficients live here. */
  grid: { width: number; height: number };
  /** Grid of the optical flow (coarser: depth needs only the gross motion). */
  flowGrid: { width: number; height: number };
  bits: DepthBits;
  invert: boolean;
  temporal: TemporalDepthOptions;
  upsampling: 'guided' | 'bilinear';
  /** Guided filter window radius on the working grid, and its regulariser (luminance²). */
  guidedRadius: number;
  guidedEps: number;
}

/** Guided-filter defaults, chosen on Middlebury Motorcycle and the step-edge test (see docs/depth.md). */
export const GUIDED_DEFAULTS = { radius: 1, eps: 1e-4 };

/**
 * The working grid: the smallest grid with the frame's aspect ratio that holds the network's
 * output grid (so no network detail is thrown away), never larger than the frame.
 */
export function workingGrid(net: { width: number; height: number }, frame: { width: number; height: number }): { width: number; height: number } {
  const aspect = frame.width / frame.height;
  let w = Math.max(net.width, Math.round(net.height * aspect));
  let h = Math.round(w / aspect);
  if (h < net.height) {
    h = net.height;
    w = Math.round(h * aspect);
  }
  return { width: Math.max(1, Math.min(frame.width, w)), height: Math.max(1, Math.min(frame.height, h)) };
}

/** Longer side of the optical-flow grid: depth needs only the gross motion, and flow is the costliest step. */
export const FLOW_LONG_SIDE = 96;

/**
 * Flow for the temporal filter: DIS with the fast preset's patch search down to the (coarse) flow
 * grid's full resolution, without the variational refinement. The filter needs only the gross
 * motion and checks every vector photometrically before trusting it; the refinement was about
 * 70 % of the flow's cost and changed nothing measurable (person-walk: static flicker 0.332 vs
 * 0.337 of per-frame min–max, lag ratio 0.066 both; docs/depth.md).
 */
export const DEPTH_FLOW_OPTIONS: BuiltinFlowOptions = {
  preset: 'fast',
  params: { finestScale: 0, refine: { ...builtinFlowParams('fast').refine, iterations: 0 } },
};

/** The flow grid: the working grid scaled down to a longer side of {@link FLOW_LONG_SIDE} (never up). */
export function flowGridFor(grid: { width: number; height: number }): { width: number; height: number } {
  const long = Math.max(grid.width, grid.height);
  if (long <= FLOW_LONG_SIDE) return { ...grid };
  const s = FLOW_LONG_SIDE / long;
  return { width: Math.max(16, Math.round(grid.width * s)), height: Math.max(16, Math.round(grid.height * s)) };
}

interface TemporalState {
  depth: Float32Array;
  luma: Float32Array;
}

/** Renders depth frames one after the other, carrying the temporal state. */
export class DepthRenderer {
  private state: TemporalState | null = null;
  /** Working-grid buffers reused from frame to frame (render is not re-entrant: calls are awaited in turn). */
  private readonly scratch: GuidedScratch;
  private readonly stats: { meanI: Float32Array; varI: Float32Array };
  private spareLuma: Float32Array | null = null;
  private spareDepth: Float32Array | null = null;
  private busy = false;

  constructor(
    readonly opts: DepthRenderOptions,
    private readonly flow: FlowEstimator | null,
  ) {
    const { width, height } = opts.grid;
    this.scratch = new GuidedScratch(width, height);
    this.stats = { meanI: new Float32Array(width * height), varI: new Float32Array(width * height) };
  }

  static defaults(partial: Pick<DepthRenderOptions, 'width' | 'height' | 'grid'> & Partial<DepthRenderOptions>): DepthRenderOptions {
    return {
      flowGrid: flowGridFor(partial.grid),
      bits: 16,
      invert: false,
      temporal: { strength: 0, ...DEFAULT_TEMPORAL },
      upsampling: 'guided',
      guidedRadius: GUIDED_DEFAULTS.radius,
      guidedEps: GUIDED_DEFAULTS.eps,
      ...partial,
    };
  }

  private get temporalOn(): boolean {
    return this.opts.temporal.strength > 0 && this.flow !== null;
  }

  /** The frame's luminance on the working grid (the same arithmetic in render and restore). */
  private lowLuma(img: Image8, out?: Float32Array): Float32Array {
    const { width: W, height: H, grid } = this.opts;
    return lumaToPlane(img.data, W, H, img.channels, grid.width, grid.height, out);
  }

  /**
   * Renders one frame. `raw` is the network's depth (a promise, so the guide and the flow are
   * computed while it runs); `mapping` maps raw values to 0..1 (near = 1). `lowLuma`, when the
   * caller has it, is the frame's luminance on the working grid exactly as `lumaToPlane` gives it
   * (rgb-resize.ts computes it with the network's input at no extra cost); it is taken over.
   */
  async render(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, signal?: AbortSignal, lowLuma?: Float32Array | null): Promise<PixelImage> {
    if (this.busy) throw new Error('DepthRenderer.render called again before the previous frame finished');
    this.busy = true;
    try {
      return await this.renderFrame(img, raw, mappingFor, signal, lowLuma ?? undefined);
    } finally {
      this.busy = false;
    }
  }

  private async renderFrame(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, signal?: AbortSignal, given?: Float32Array): Promise<PixelImage> {
    const o = this.opts;
    const { width: W, height: H, grid } = o;
    // Work that does not need the network's output first (overlaps inference).
    const luma = given && given.length === grid.width * grid.height ? given : this.lowLuma(img, this.takeSpare('luma'));
    const guide: GuideStats | null = o.upsampling === 'guided' ? guideStats(luma, grid.width, grid.height, o.guidedRadius, this.stats, this.scratch) : null;
    let flow: FlowField | null = null;
    if (this.temporalOn && this.state) {
      const fg = o.flowGrid;
      const cur = resizePlanes(luma, 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
      const prev = resizePlanes(this.state.luma, 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
      // Flow from the current frame to the previous one: cur(x) ≈ prev(x + w(x)).
      const f = await this.flow!.estimate({ width: fg.width, height: fg.height, channels: 1, data: cur }, { width: fg.width, height: fg.height, channels: 1, data: prev }, signal);
      flow = resizeFlow(f, grid.width, grid.height);
    }
    const plane = await raw;
    const depth = resizePlanes(plane.data, 1, plane.height, plane.width, grid.height, grid.width, 'bilinear');
    applyMapping(depth, mappingFor(plane.data), depth);
    if (flow && this.state) filterDepthStep(depth, luma, this.state, flow, o.temporal, depth);
    const coeff = guide ? guidedCoefficients(guide, depth, o.guidedEps, this.scratch) : null;
    const data = applyToGreyCodes(coeff?.a ?? null, coeff?.b ?? depth, grid.width, grid.height, img.data, img.channels, W, H, o.bits, o.invert);
    const out = { width: W, height: H, channels: 1, data } as PixelImage;
    if (this.temporalOn) this.setState(this.stateDepth(out, this.takeSpare('depth')), luma);
    else this.spareLuma = luma;
    return out;
  }

  /** The state after a frame, from its source and the pixels written for it (resume). */
  restore(source: Image8, output: PixelImage): void {
    if (!this.temporalOn) return;
    this.setState(this.stateDepth(output), this.lowLuma(source));
  }

  /** Forgets the temporal state (the next frame starts afresh). */
  reset(): void {
    this.state = null;
  }

  /** Installs a new state; the previous one's planes become the spares for the next frame. */
  private setState(depth: Float32Array, luma: Float32Array): void {
    if (this.state) {
      if (this.state.depth !== depth) this.spareDepth = this.state.depth;
      if (this.state.luma !== luma) this.spareLuma = this.state.luma;
    }
    this.state = { depth, luma };
  }

  private takeSpare(which: 'luma' | 'depth'): Float32Array | undefined {
    const n = this.opts.grid.width * this.opts.grid.height;
    const s = which === 'luma' ? this.spareLuma : this.spareDepth;
    if (which === 'luma') this.spareLuma = null;
    else this.spareDepth = null;
    return s && s.length === n ? s : undefined;
  }

  private stateDepth(out: PixelImage, buf?: Float32Array): Float32Array {
    const { width: W, height: H, grid } = this.opts;
    const max = out.data instanceof Uint16Array ? 65535 : 255;
    const d = resizeChannelToPlane(out.data, W, H, out.channels, grid.width, grid.height, 1 / max, buf);
    if (this.opts.invert) for (let i = 0; i < d.length; i++) d[i] = 1 - d[i];
    return d;
  }
}
