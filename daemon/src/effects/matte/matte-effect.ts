/**
 * Matte: soft, temporally stable alpha of a chosen subject. The model family
 * (instance / semantic / person / salient) is read from the model; the subject is
 * chosen on the first frame of the range and tracked from there (see
 * matte-tracker.ts). State for the next frame comes only from the returned image
 * and the source frames, so resumed jobs match uninterrupted ones.
 */
import { MATTE } from '../../../../shared/src/params/matte.ts';
import type { Image8 } from '../../core/image.ts';
import { BuiltinFlowEstimator } from '../../flow/builtin-flow.ts';
import type { Effect, FrameProcessor } from '../effect.ts';
import { invertAlpha } from './alpha-adjust.ts';
import { parseClasses } from './class-names.ts';
import { alphaFromOutput, composeOutput, type MatteMode } from './matte-output.ts';
import { MatteTracker, type SubjectReference } from './matte-tracker.ts';
import type { MatteFamily, Plane } from './matte-types.ts';
import { openSegmenter } from './open-segmenter.ts';
import { parseSelection } from './select-subject.ts';

/** Flow preset and size used to carry the matte from frame to frame. */
const FLOW_PRESET = 'medium' as const;
const FLOW_MAX_SIDE = 448;

export const matteEffect: Effect = {
  descriptor: MATTE,
  async create(setup): Promise<FrameProcessor> {
    const p = setup.params;
    const main = await openSegmenter(setup.model ?? MATTE.defaultModel!, { family: p.family as MatteFamily | 'auto', device: setup.device });
    const assistRef = String(p.assist ?? '').trim();
    const assist = assistRef ? await openSegmenter(assistRef, { family: 'auto', device: setup.device }) : null;
    const classIds = parseClasses(String(p.classes ?? ''), main.family);
    const selection = parseSelection(
      { point: String(p.point ?? ''), box: String(p.box ?? ''), instance: Number(p.instance ?? 0) },
      classIds,
      setup.width / setup.source.width,
      setup.height / setup.source.height,
      setup.width,
      setup.height,
    );
    const invert = Boolean(p.invert);
    const mode = p.mode as MatteMode;
    const tracker = new MatteTracker({
      segmenter: main.segmenter,
      assist: assist?.segmenter ?? null,
      flow: new BuiltinFlowEstimator({ preset: FLOW_PRESET }),
      selection,
      temporal: Number(p.temporal),
      grow: Number(p.grow),
      feather: Number(p.feather),
      flowMaxSide: FLOW_MAX_SIDE,
      log: setup.log,
      signal: setup.signal,
    });
    let reference: SubjectReference | null = null;
    let prevFrame: Image8 | null = null;
    let prevAlpha: Plane | null = null;
    const stats = { lost: 0, reacquired: 0, frames: 0 };

    /** The first-frame reference, recomputed from the first source frame after a resume. */
    const ensureReference = async (): Promise<SubjectReference> => {
      if (!reference) {
        for await (const f of setup.readFrames(setup.range.first, setup.range.first)) reference = (await tracker.first(f.image)).reference;
      }
      return reference!;
    };

    return {
      model: main.record,
      device: main.provider,
      outputSize: { width: setup.width, height: setup.height },
      stateful: true,
      async process(frame) {
        let alpha: Plane;
        if (frame.index === setup.range.first) {
          const r = await tracker.first(frame.image);
          reference = r.reference;
          alpha = r.alpha;
        } else {
          const ref = await ensureReference();
          alpha = await tracker.next(frame.image, prevFrame, prevAlpha, ref);
        }
        const info = tracker.lastInfo;
        if (info?.lost) stats.lost++;
        if (info?.reacquired) stats.reacquired++;
        stats.frames++;
        const out = composeOutput(frame.image, invert ? invertAlpha(alpha) : alpha, mode);
        prevFrame = frame.image;
        prevAlpha = alphaFromOutput(out, invert);
        return out;
      },
      async restore(prev) {
        prevFrame = prev.source.image;
        prevAlpha = alphaFromOutput(prev.output, invert);
      },
      extra() {
        return {
          matte: {
            family: main.family,
            assist: assist ? { id: assist.record.id, family: assist.family, sha256: assist.record.sha256 } : null,
            subject: reference ? { classId: reference.classId, label: reference.classId != null ? main.segmenter.classNames[reference.classId] : null, single: reference.single } : null,
            flow: `builtin:${FLOW_PRESET}`,
            framesWithoutSubject: stats.lost,
            framesReacquired: stats.reacquired,
          },
        };
      },
    };
  },
};
