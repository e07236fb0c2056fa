/**
 * Depth: a relative inverse-depth network on every frame, mapped to grey with one mapping per
 * clip (fixed by a first pass over sampled frames), smoothed along the optical flow, upsampled
 * with the frame as guide, written as 16-bit grey (near = white). See depth-renderer.ts for the
 * per-frame pipeline and docs/depth.md for the compositor's side.
 */
import type { Effect, FrameProcessor } from '../effect.ts';
import { DEPTH } from '../../../../shared/src/params/depth.ts';
import type { Image8, VideoFrame } from '../../core/image.ts';
import { loadModel } from '../load-model.ts';
import { resolveDepthContract } from './depth-contract.ts';
import { planDepthMapping, type MappingPlan, type NormalizeMode } from './depth-mapping-plan.ts';
import { createDepthFrameRenderer } from './depth-render-thread.ts';
import { networkInputSize, planesToDepthInput, runDepthNetwork, runPreparedDepthInput, type DepthPlane } from './depth-network.ts';
import { resizeRgb8ToPlanesAndLuma } from './rgb-resize.ts';
import { DEPTH_FLOW_OPTIONS, DepthRenderer, flowGridFor, workingGrid } from './depth-renderer.ts';
import { DEFAULT_TEMPORAL } from './temporal-depth-filter.ts';


/** A frame whose network run has started: its raw depth to come, and its working-grid luminance when computed alongside. */
interface Started {
  raw: Promise<DepthPlane>;
  luma: Float32Array | null;
}

/** Frames of at least this many pixels are post-processed on a worker thread (smaller ones are not worth the copies). */
export const WORKER_MIN_PIXELS = 64_000;

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

    // The renderer (on a worker thread for frames worth it) starts while the first pass runs.
    const flowOptions = strength > 0 ? DEPTH_FLOW_OPTIONS : null;
    const renderOpts = DepthRenderer.defaults({ width: W, height: H, grid, flowGrid: flowGridFor(grid), bits, invert, upsampling, temporal: { strength, ...DEFAULT_TEMPORAL } });
    const useWorker = W * H >= WORKER_MIN_PIXELS && process.env.DREAMLAYER_DEPTH_WORKER !== '0';
    const starting = createDepthFrameRenderer(renderOpts, flowOptions, useWorker, setup.log);
    const planning = planDepthMapping({
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

    let plan: MappingPlan;
    try {
      plan = await planning;
    } catch (e) {
      await (await starting).close();
      throw e;
    }
    const renderer = await starting;
    const net = networkInputSize(contract, W, H, inferenceSize);
    setup.log(`depth: post-processing on the ${renderer.where}`);
    // The network's depth of a frame: from the first pass if it ran there, else a run started now.
    // Frames handed to `prefetch` start their run while earlier frames are still post-processed.
    // When the network's input and the working grid have the same height, one pass over the frame
    // gives both the network's input and the guide's luminance (rgb-resize.ts).
    const shareRows = inferenceSize === 0 && contract.size !== 'dynamic' && net.height === grid.height;
    const ahead = new Map<number, Started>();
    const start = (frame: VideoFrame): Started => {
      const cached = plan.takeCached(frame.index);
      let started: Started;
      if (cached) started = { raw: Promise.resolve(cached), luma: null };
      else if (shareRows) {
        const img = frame.image;
        const { planes, luma } = resizeRgb8ToPlanesAndLuma(img.data, img.width, img.height, img.channels, net.width, net.height, grid.width);
        started = { raw: runPreparedDepthInput(session, contract, planesToDepthInput(planes, contract, net)), luma };
      } else started = { raw: infer(frame.image), luma: null };
      started.raw.catch(() => undefined); // rethrown where process awaits it; never unhandled if the job stops first
      return started;
    };
    setup.log(`depth: ${record.id} on ${session.provider}, network ${net.width}x${net.height} → ${probe.width}x${probe.height}, working grid ${grid.width}x${grid.height}, output ${W}x${H} ${bits}-bit`);

    return {
      model: record,
      device: session.provider,
      outputSize: { width: W, height: H },
      stateful: strength > 0,
      prefetch(frame) {
        if (!ahead.has(frame.index)) ahead.set(frame.index, start(frame));
      },
      process(frame) {
        const s = ahead.get(frame.index) ?? start(frame);
        ahead.delete(frame.index);
        return renderer.render(frame.image, s.raw, (r) => plan.mappingFor(frame.index, r), setup.signal, s.luma);
      },
      async restore(prev) {
        await renderer.restore(prev.source.image, prev.output);
      },
      async dispose() {
        await renderer.close();
      },
      extra() {
        const o = renderOpts;
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
            temporal: strength > 0 ? { strength, depthSigma: o.temporal.depthSigma, photoSigma: o.temporal.photoSigma, flow: 'builtin DIS (fast patch search, finest scale 0, no variational refinement)', flowGrid: [o.flowGrid.width, o.flowGrid.height] } : null,
            upsampling: { method: o.upsampling, grid: [grid.width, grid.height], ...(o.upsampling === 'guided' ? { radius: o.guidedRadius, eps: o.guidedEps } : {}) },
          },
        };
      },
    };
  },
};
