/**
 * The dream effect for the job runner: a still (one frame) or a clip, frame by
 * frame. In a clip with `temporal` > 0 each frame starts from the previous
 * dream carried along the source's optical flow (dream-temporal.ts); that
 * state is rebuilt on resume from the written frame and its source, and the
 * jitter is seeded per source frame, so a resumed job is identical to an
 * uninterrupted one.
 */
import { DREAM } from '../../../../shared/src/params/dream.ts';
import type { Image8 } from '../../core/image.ts';
import { BuiltinFlowEstimator } from '../../flow/builtin-flow.ts';
import type { Effect, FrameProcessor } from '../effect.ts';
import { sourceFlows } from '../stylize/temporal-stylizer.ts';
import { openDream } from './dream-network.ts';
import { dreamPlanes, type DreamSettings, type OctaveTrace } from './dream-octaves.ts';
import { carriedStart } from './dream-temporal.ts';
import { image8ToPlanes, planesToImage8 } from './planar-ops.ts';
import { mixSeed } from '../../core/seeded-random.ts';

/** The octave loop's settings from resolved dream parameters. */
export function dreamSettings(params: Record<string, unknown>): DreamSettings {
  return {
    octaves: params.octaves as number,
    octaveScale: params.octaveScale as number,
    iterations: params.iterations as number,
    step: params.step as number,
    jitter: params.jitter as number,
    seed: params.seed as number,
  };
}

/** One line per octave: size and objective at its start → after its steps. */
export function formatTrace(trace: OctaveTrace[]): string {
  return trace
    .map((o) => `${o.width}×${o.height}${o.tiles > 1 ? ` (${o.tiles} tiles)` : ''}: ${(o.initial ?? o.objectives[0])?.toFixed(3) ?? '–'} → ${(o.final ?? o.objectives.at(-1))?.toFixed(3) ?? '–'}`)
    .join('; ');
}

/** RGB view of a written frame (frames come back from PNG with 3 or 4 channels). */
function rgb(img: Image8): Image8 {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = img.data[img.channels * i + (img.channels === 1 ? 0 : c)]!;
  return { width: img.width, height: img.height, channels: 3, data: out };
}

export const dreamEffect: Effect = {
  descriptor: DREAM,
  async create(setup): Promise<FrameProcessor> {
    const p = setup.params;
    const opened = await openDream(setup.model, {
      layers: p.layers as string,
      device: setup.device,
      guide: (p.guide as string) || undefined,
      tile: p.tile as number,
      memoryMb: p.memory as number,
      log: setup.log,
    });
    const settings = dreamSettings(p);
    const temporal = setup.range.last > setup.range.first ? (p.temporal as number) : 0;
    const flow = new BuiltinFlowEstimator({ preset: 'fast' });
    let prev: { source: Image8; dream: Image8 } | null = null;
    let firstTrace: OctaveTrace[] | null = null;
    let carriedFrames = 0;
    let trustedSum = 0;
    return {
      model: opened.record,
      device: opened.provider,
      outputSize: { width: setup.width, height: setup.height },
      stateful: temporal > 0,
      async process(frame) {
        const source = rgb(frame.image);
        let start = image8ToPlanes(source);
        if (prev && temporal > 0) {
          const flows = await sourceFlows(flow, prev.source, source, setup.signal);
          const carried = carriedStart({ previousDream: prev.dream, previousSource: prev.source, source, ...flows }, temporal);
          start = carried.start;
          trustedSum += carried.trustedShare;
          carriedFrames++;
        }
        const trace: OctaveTrace[] = [];
        // The first frame also measures the objective per octave (for the log and result.json).
        const out = await dreamPlanes(start, opened.net, { ...settings, seed: mixSeed(settings.seed, frame.index) }, { signal: setup.signal, trace, measure: !firstTrace });
        if (!firstTrace) {
          firstTrace = trace;
          setup.log(`dream: frame ${frame.index}: ${formatTrace(trace)}`);
        }
        const img = planesToImage8(out);
        // State from exactly what is written, so a resume rebuilds the same state.
        if (temporal > 0) prev = { source, dream: img };
        return img;
      },
      async restore({ source, output }) {
        prev = { source: rgb(source.image), dream: rgb(output as Image8) };
      },
      extra: () => ({
        dream: {
          ...opened.info,
          ...(firstTrace ? { octaves: firstTrace.map((o) => ({ width: o.width, height: o.height, tiles: o.tiles, objectiveStart: o.initial ?? null, objectiveEnd: o.final ?? null })) } : {}),
          ...(temporal > 0 ? { temporal: { flow: flow.name, meanTrustedShare: carriedFrames ? trustedSum / carriedFrames : null } } : {}),
        },
      }),
      dispose: () => opened.dispose(),
    };
  },
};
