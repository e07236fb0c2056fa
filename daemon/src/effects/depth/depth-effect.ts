/**
 * Depth: a relative inverse-depth network on every frame, mapped to grey with one mapping per
 * clip (fixed by a first pass over sampled frames), smoothed along the optical flow, upsampled
 * with the frame as guide, written as 16-bit grey (near = white). See depth-renderer.ts for the
 * per-frame pipeline and docs/depth.md for the compositor's side.
 */
import type { Effect, FrameProcessor } from '../effect.ts';
import { DEPTH } from '../../../../shared/src/params/depth.ts';
import type { Image8, VideoFrame } from '../../core/image.ts';
import { BuiltinFlowEstimator } from '../../flow/builtin-flow.ts';
import { loadModel } from '../load-model.ts';
import { resolveDepthContract } from './depth-contract.ts';
import { planDepthMapping, type NormalizeMode } from './depth-mapping-plan.ts';
import { networkInputSize, runDepthNetwork, type DepthPlane } from './depth-network.ts';
import { DepthRenderer, flowGridFor, workingGrid } from './depth-renderer.ts';
import { DEFAULT_TEMPORAL } from './temporal-depth-filter.ts';

/** Flow for the temporal filter: DIS with the fast preset's patch search, down to the (coarse) flow grid's full resolution. */
const FLOW_OPTIONS = { preset: 'fast' as const, params: { finestScale: 0 } };

export const depthEffect: Effect = {
  descriptor: DEPTH,
  async create(setup): Promise<FrameProcessor> {
    const p = setup.params;
    const bits = Number(p.bits ?? '16') === 8 ? 8 : 16;
    const invert = Boolean(p.invert);
    const strength = Number(p.temporal ?? 0);
    const inferenceSize = Number(p.inferenceSize ?? 0);
    const upsampling = p.upsampling === 'bilinear' ? 'bilinear' : 'guided';
    const { record, session } = await loadModel(setup.model ?? DEPTH.defaultModel!, 'depth', { device: setup.device });
    const contract = resolveDepthContract(session, record, { log: setup.log });
    const infer = (img: Image8): Promise<DepthPlane> => runDepthNetwork(session, contract, img, inferenceSize);

    // One run on a grey frame: fails early on a network that does not fit, and gives the output grid.
    const { width: W, height: H } = setup;
    const probe = await infer({ width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(128) });
    const grid = workingGrid(probe, { width: W, height: H });

    const plan = await planDepthMapping({
      mode: (p.normalize as NormalizeMode) ?? 'clip',
      lowPercentile: Number(p.lowPercentile ?? 1),
      highPercentile: Number(p.highPercentile ?? 99),
      windowSeconds: Number(p.normWindow ?? 4),
      fps: setup.source.fps.num / setup.source.fps.den,
      range: setup.range,
      readFrames: setup.readFrames,
      infer: (f: VideoFrame) => infer(f.image),
      signal: setup.signal,
      log: setup.log,
    });

    const flow = strength > 0 ? new BuiltinFlowEstimator(FLOW_OPTIONS) : null;
    const renderer = new DepthRenderer(
      DepthRenderer.defaults({ width: W, height: H, grid, flowGrid: flowGridFor(grid), bits, invert, upsampling, temporal: { strength, ...DEFAULT_TEMPORAL } }),
      flow,
    );
    const net = networkInputSize(contract, W, H, inferenceSize);
    // The network's depth of a frame: from the first pass if it ran there, else a run started now.
    // Frames handed to `prefetch` start their run while earlier frames are still post-processed.
    const ahead = new Map<number, Promise<DepthPlane>>();
    const rawOf = (frame: VideoFrame): Promise<DepthPlane> => {
      const cached = plan.takeCached(frame.index);
      const p = cached ? Promise.resolve(cached) : infer(frame.image);
      p.catch(() => undefined); // rethrown where process awaits it; never unhandled if the job stops first
      return p;
    };
    setup.log(`depth: ${record.id} on ${session.provider}, network ${net.width}x${net.height} → ${probe.width}x${probe.height}, working grid ${grid.width}x${grid.height}, output ${W}x${H} ${bits}-bit`);

    return {
      model: record,
      device: session.provider,
      outputSize: { width: W, height: H },
      stateful: strength > 0,
      prefetch(frame) {
        if (!ahead.has(frame.index)) ahead.set(frame.index, rawOf(frame));
      },
      process(frame) {
        const raw = ahead.get(frame.index) ?? rawOf(frame);
        ahead.delete(frame.index);
        return renderer.render(frame.image, raw, (r) => plan.mappingFor(frame.index, r), setup.signal);
      },
      async restore(prev) {
        renderer.restore(prev.source.image, prev.output);
      },
      extra() {
        const o = renderer.opts;
        return {
          depth: {
            meaning: 'relative inverse depth (larger = nearer), affinely mapped to grey',
            contract: { origin: contract.origin, input: [net.width, net.height], output: [probe.width, probe.height] },
            normalization: plan.record(),
            output: {
              bits,
              invert,
              white: invert ? 'far' : 'near',
              regrade: `v = code / ${bits === 16 ? 65535 : 255}${invert ? '; v = 1 - v' : ''}; raw = lo + v * (hi - lo) (exact where not clipped at 0 or 1)`,
            },
            temporal: strength > 0 ? { strength, depthSigma: o.temporal.depthSigma, photoSigma: o.temporal.photoSigma, flow: 'builtin DIS (fast, finest scale 0)', flowGrid: [o.flowGrid.width, o.flowGrid.height] } : null,
            upsampling: { method: o.upsampling, grid: [grid.width, grid.height], ...(o.upsampling === 'guided' ? { radius: o.guidedRadius, eps: o.guidedEps } : {}) },
          },
        };
      },
    };
  },
};
