/**
 * `matte --list`: the candidates on the first frame of the range, written as
 * `candidates.json` (number, class, score, box in source pixels) and
 * `candidates.png` (the frame with numbered outlines), to choose a subject with
 * --instance N (or click it in the panel).
 */
import path from 'node:path';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import { resolveParams } from '../../../../shared/src/params/param-spec.ts';
import { MATTE } from '../../../../shared/src/params/matte.ts';
import { openSource } from '../../io/decode.ts';
import { ensureWritableDir, writeFileAtomic } from '../../io/atomic-file.ts';
import { encodePng } from '../../io/image-file.ts';
import type { Device } from '../../runtime/providers.ts';
import { candidateRecords, candidateSheet, type CandidateRecord } from './candidate-sheet.ts';
import { parseClasses } from './class-names.ts';
import type { MatteFamily } from './matte-types.ts';
import { openSegmenter } from './open-segmenter.ts';
import { fullRoi } from './plane-ops.ts';

export interface ListOptions {
  input: string;
  outDir: string;
  model?: string;
  params?: Record<string, unknown>;
  frames?: { first: number; last: number };
  device?: Device;
}

export interface ListResult {
  frame: number;
  model: string;
  family: MatteFamily;
  candidates: CandidateRecord[];
  json: string;
  picture: string;
}

/** Segments the first frame of the range and writes candidates.json and candidates.png into `outDir`. */
export async function listMatteCandidates(o: ListOptions): Promise<ListResult> {
  const res = resolveParams(MATTE.params, o.params ?? {});
  if (!res.ok) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `Invalid matte parameters: ${res.problems.join('; ')}.` });
  const p = res.params;
  const first = o.frames?.first ?? 0;
  const w = Number(p.width) || undefined, h = Number(p.height) || undefined;
  const src = await openSource(o.input, { frames: { first, last: first }, width: w, height: h });
  let frame;
  for await (const f of src.frames) frame = f;
  if (!frame) throw new DreamLayerError('INPUT_UNREADABLE', { stage: 'decode', message: `Frame ${first} of ${o.input} could not be decoded.` });
  const seg = await openSegmenter(o.model ?? MATTE.defaultModel!, { family: p.family as MatteFamily | 'auto', device: o.device ?? 'auto' });
  const classIds = parseClasses(String(p.classes ?? ''), seg.family);
  const img = frame.image;
  const result = await seg.segmenter.segment(img, fullRoi(img.width, img.height), classIds);
  const records = candidateRecords(result.candidates, img.width / src.info.width, img.height / src.info.height);
  await ensureWritableDir(o.outDir);
  const json = path.join(o.outDir, 'candidates.json');
  const picture = path.join(o.outDir, 'candidates.png');
  await writeFileAtomic(picture, await encodePng(candidateSheet(img, result.candidates)));
  const body = { input: path.resolve(o.input), frame: first, model: seg.record.id, family: seg.family, width: src.info.width, height: src.info.height, candidates: records };
  await writeFileAtomic(json, JSON.stringify(body, null, 2) + '\n');
  return { frame: first, model: seg.record.id, family: seg.family, candidates: records, json, picture };
}
