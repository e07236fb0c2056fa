/**
 * Stylize: a feed-forward style network on every frame, made steady over time
 * by the temporal blend (temporal-stylizer.ts), with colour controls and a mix
 * with the source. Frame order inside `process`: the style network runs (on
 * onnxruntime's threads) while the optical flow of the source is computed here,
 * so the temporal pass costs little extra time.
 */
import type { Effect, FrameProcessor } from '../effect.ts';
import { STYLIZE } from '../../../../shared/src/params/stylize.ts';
import { loadModel } from '../load-model.ts';
import { runStyleNetwork, stylizedToImage } from './style-network.ts';
import type { Image8 } from '../../core/image.ts';
import { matchHistogram, preserveLuminance } from './color-transfer.ts';
import { BuiltinFlowEstimator } from '../../flow/builtin-flow.ts';
import { mixWithSource, sourceFlows, temporalBlend, unmixFromSource } from './temporal-stylizer.ts';

export const stylizeEffect: Effect = {
  descriptor: STYLIZE,
  async create(setup): Promise<FrameProcessor> {
    const { record, session } = await loadModel(setup.model ?? STYLIZE.defaultModel!, 'style', { device: setup.device, freeSpatialDims: true });
    const strength = setup.params.strength as number;
    const temporal = setup.params.temporal as number;
    const colors = setup.params.preserveColors as string;
    const keyframeInterval = setup.params.keyframeInterval as number;
    // 'medium' (on half-size frames above 480 px, see sourceFlows): the coarser 'fast' flow is
    // forward–backward inconsistent on moving people, and every pixel it loses flickers.
    const flow = new BuiltinFlowEstimator({ preset: 'medium' });
    let prev: { source: Image8; styled: Image8 } | null = null;
    return {
      model: record,
      device: session.provider,
      outputSize: { width: setup.width, height: setup.height },
      stateful: temporal > 0,
      async process(frame) {
        const source = frame.image as Image8;
        const styling = runStyleNetwork(session, source);
        // The flow runs on this thread while onnxruntime works on its own.
        const flows = prev && temporal > 0 ? await sourceFlows(flow, prev.source, source, setup.signal) : null;
        let styled = stylizedToImage(await styling, source, 1);
        if (colors === 'luminance') styled = preserveLuminance(styled, source);
        else if (colors === 'histogram') styled = matchHistogram(styled, source);
        if (prev && flows) {
          styled = temporalBlend({ fresh: styled, previous: prev.styled, prevSource: prev.source, source, ...flows, frameNumber: frame.index - setup.range.first }, { temporal, keyframeInterval }).image;
        }
        const out = mixWithSource(styled, source, strength);
        // State from exactly what is written, so a resume rebuilds the same state.
        if (temporal > 0) prev = { source, styled: unmixFromSource(out, source, strength) };
        return out;
      },
      async restore({ source, output }) {
        prev = { source: source.image, styled: unmixFromSource(output as Image8, source.image, strength) };
      },
      // Only what is the same for a resumed run goes into result.json.
      extra: () => (temporal > 0 ? { temporal: { flow: flow.name, strength: temporal, keyframeInterval } } : {}),
    };
  },
};
