/**
 * The per-frame depth pipeline, free of files and sessions so tests can drive it directly:
 *
 *   raw network depth → working grid (source aspect) → one clip mapping → temporal filter along
 *   the flow → edge-aware upsampling guided by the frame → 16/8-bit grey (near = white)
 *
 * Everything that depends on the frame alone (luminance, guide statistics, optical flow) is
 * computed while the network runs. The temporal state is rebuilt from the written pixels and
 * the source frame only, both after each frame and on resume, so a resumed job is identical.
 */
import type { Image8, PixelImage } from '../../core/image.ts';
import type { FlowEstimator, FlowField } from '../../flow/types.ts';
import { resizeFlow } from '../../flow/resize-flow.ts';
import { resizePlanes } from '../../runtime/resize.ts';
import { depthToImage, type DepthBits } from './depth-image.ts';
import { resizeChannelToPlane } from './rgb-resize.ts';
import { applyMapping, type DepthMapping } from './depth-normalization.ts';
import type { DepthPlane } from './depth-network.ts';
import { bilinearUpsample, guidedUpsample, luminance01, prepareGuide } from './guided-upsample.ts';
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

  constructor(
    readonly opts: DepthRenderOptions,
    private readonly flow: FlowEstimator | null,
  ) {}

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

  /** Full-resolution luminance and its working-grid version (the same arithmetic in render and restore). */
  private lumaOf(img: Image8): { full: Float32Array; low: Float32Array } {
    const { width: W, height: H, grid } = this.opts;
    const full = luminance01(img.data, W, H, img.channels);
    return { full, low: resizePlanes(full, 1, H, W, grid.height, grid.width, 'bilinear') };
  }

  /**
   * Renders one frame. `raw` is the network's depth (a promise, so the guide and the flow are
   * computed while it runs); `mapping` maps raw values to 0..1 (near = 1).
   */
  async render(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, signal?: AbortSignal): Promise<PixelImage> {
    const o = this.opts;
    const { width: W, height: H, grid } = o;
    // Work that does not need the network's output first (overlaps inference).
    const luma = this.lumaOf(img);
    const guide = o.upsampling === 'guided' ? prepareGuide(luma.full, W, H, grid.width, grid.height, o.guidedRadius, luma.low) : null;
    let flow: FlowField | null = null;
    if (this.temporalOn && this.state) {
      const fg = o.flowGrid;
      const cur = resizePlanes(luma.low, 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
      const prev = resizePlanes(this.state.luma, 1, grid.height, grid.width, fg.height, fg.width, 'bilinear');
      // Flow from the current frame to the previous one: cur(x) ≈ prev(x + w(x)).
      const f = await this.flow!.estimate({ width: fg.width, height: fg.height, channels: 1, data: cur }, { width: fg.width, height: fg.height, channels: 1, data: prev }, signal);
      flow = resizeFlow(f, grid.width, grid.height);
    }
    const plane = await raw;
    const onGrid = resizePlanes(plane.data, 1, plane.height, plane.width, grid.height, grid.width, 'bilinear');
    let depth = applyMapping(onGrid, mappingFor(plane.data), onGrid);
    if (flow && this.state) depth = filterDepthStep(depth, luma.low, this.state, flow, o.temporal).depth;
    const full = guide ? guidedUpsample(guide, depth, o.guidedEps) : bilinearUpsample(depth, grid.width, grid.height, W, H);
    const out = depthToImage(full, W, H, o.bits, o.invert);
    if (this.temporalOn) this.state = { depth: this.stateDepth(out), luma: luma.low };
    return out;
  }

  /** The state after a frame, from its source and the pixels written for it (resume). */
  restore(source: Image8, output: PixelImage): void {
    if (!this.temporalOn) return;
    this.state = { depth: this.stateDepth(output), luma: this.lumaOf(source).low };
  }

  /** Forgets the temporal state (the next frame starts afresh). */
  reset(): void {
    this.state = null;
  }

  private stateDepth(out: PixelImage): Float32Array {
    const { width: W, height: H, grid } = this.opts;
    const max = out.data instanceof Uint16Array ? 65535 : 255;
    const d = resizeChannelToPlane(out.data, W, H, out.channels, grid.width, grid.height, 1 / max);
    if (this.opts.invert) for (let i = 0; i < d.length; i++) d[i] = 1 - d[i];
    return d;
  }
}
