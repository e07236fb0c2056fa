/**
 * Which matte family a segmentation model belongs to, read from its tensor
 * contract (inputs/outputs as the graph declares them), and the check that a
 * model really has what its family needs, so a wrong model fails before the
 * first frame with a message that names the tensor and the expectation.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { MatteFamily } from './matte-types.ts';

/** A declared tensor: name, element type ('float32', 'int64'…) and dims (number, symbolic name or null). */
export interface TensorDecl {
  name: string;
  type: string;
  shape: (number | string | null)[];
}

/** How to feed and read a model of a family. */
export interface FamilyLayout {
  family: MatteFamily;
  input: string;
  /** NCHW ([1,3,H,W]), NHWC ([1,H,W,3]) or CHW ([3,H,W], Mask R-CNN). */
  layout: 'NCHW' | 'NHWC' | 'CHW';
  /** Fixed input size [h, w] when the graph declares one, else null (dynamic). */
  fixedSize: [number, number] | null;
  /** Dense families: the output to read. */
  output?: string;
  /** Instance family: the four outputs by role. */
  instance?: { boxes: string; labels: string; scores: string; masks: string };
}

const INT = new Set(['int64', 'int32', 'uint8', 'int8']);
const isInt = (t: string) => INT.has(t) || t === 'tensor(int64)' || t === 'tensor(int32)';
const isFloat = (t: string) => t === 'float32' || t === 'float' || t === 'tensor(float)';
const known = (d: number | string | null): d is number => typeof d === 'number' && d > 0;
const fmt = (t: TensorDecl) => `"${t.name}" ${t.type} [${t.shape.map((d) => d ?? '?').join(',')}]`;

function instanceRoles(outputs: TensorDecl[]): FamilyLayout['instance'] | null {
  const rank = (t: TensorDecl) => t.shape.length;
  const boxes = outputs.find((t) => isFloat(t.type) && rank(t) === 2 && (!known(t.shape[1]) || t.shape[1] === 4));
  const labels = outputs.find((t) => isInt(t.type) && rank(t) === 1);
  const scores = outputs.find((t) => isFloat(t.type) && rank(t) === 1);
  const masks = outputs.find((t) => isFloat(t.type) && rank(t) === 4);
  return boxes && labels && scores && masks ? { boxes: boxes.name, labels: labels.name, scores: scores.name, masks: masks.name } : null;
}

/** The family a model's contract says it is (Mask R-CNN outputs → instance; class ids → semantic; NHWC → person; else salient). */
export function detectFamily(inputs: TensorDecl[], outputs: TensorDecl[]): MatteFamily {
  if (outputs.length >= 4 && instanceRoles(outputs)) return 'instance';
  const o = outputs[0];
  if (o && (isInt(o.type) || (isFloat(o.type) && o.shape.length === 4 && known(o.shape[1]) && o.shape[1] > 2 && !(known(o.shape[3]) && o.shape[3] <= 2)))) return 'semantic';
  const i = inputs[0];
  if (i && i.shape.length === 4 && i.shape[3] === 3 && i.shape[1] !== 3) return 'person';
  return 'salient';
}

function fail(label: string, family: MatteFamily, what: string): never {
  const need: Record<MatteFamily, string> = {
    instance: 'one float32 image input [3,H,W] and outputs boxes float32 [n,4], labels integer [n], scores float32 [n], masks float32 [n,1,h,w] (Mask R-CNN)',
    semantic: 'one float32 image input [1,3,H,W] and a class-id map (integer [1,H,W]) or class scores float32 [1,K,H,W]',
    person: 'one float32 image input [1,H,W,3] or [1,3,H,W] and a person-probability output [1,H,W,1] or [1,1,H,W]',
    salient: 'one float32 image input [1,3,H,W] and a saliency map output [1,1,H,W]',
  };
  throw new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Model ${label} does not fit the ${family} matte family: ${what}.`,
    hint: `A ${family} model needs ${need[family]}. Choose another --model, or set --family to the model's real family.`,
  });
}

/** Checks a model against a family and returns how to feed and read it; MODEL_CONTRACT when it does not fit. */
export function familyLayout(family: MatteFamily, inputs: TensorDecl[], outputs: TensorDecl[], label: string): FamilyLayout {
  if (inputs.length !== 1) fail(label, family, `it has ${inputs.length} inputs (${inputs.map(fmt).join(', ')}), expected one image input`);
  const inp = inputs[0];
  if (!isFloat(inp.type)) fail(label, family, `input ${fmt(inp)} is not float32`);
  const s = inp.shape;
  let layout: FamilyLayout['layout'];
  let fixed: [number, number] | null = null;
  if (s.length === 3) {
    if (family !== 'instance') fail(label, family, `input ${fmt(inp)} has no batch dimension`);
    if (known(s[0]) && s[0] !== 3) fail(label, family, `input ${fmt(inp)} is not [3,H,W]`);
    layout = 'CHW';
    if (known(s[1]) && known(s[2])) fixed = [s[1], s[2]];
  } else if (s.length === 4) {
    if (s[1] === 3) layout = 'NCHW';
    else if (s[3] === 3) layout = 'NHWC';
    else if (!known(s[1])) layout = 'NCHW';
    else fail(label, family, `input ${fmt(inp)} has no 3-channel dimension`);
    const [h, w] = layout === 'NCHW' ? [s[2], s[3]] : [s[1], s[2]];
    if (known(h) && known(w)) fixed = [h, w];
  } else {
    fail(label, family, `input ${fmt(inp)} has rank ${s.length}, expected an image`);
  }
  if (family === 'instance') {
    const roles = instanceRoles(outputs);
    if (!roles) fail(label, family, `its outputs ${outputs.map(fmt).join(', ') || '(none)'} do not include boxes [n,4], labels [n], scores [n] and masks [n,1,h,w]`);
    return { family, input: inp.name, layout, fixedSize: fixed, instance: roles };
  }
  const out = outputs[0];
  if (!out) fail(label, family, 'it has no outputs');
  if (family === 'semantic') {
    if (isInt(out.type)) {
      if (out.shape.length === 1) fail(label, family, `output ${fmt(out)} is not a class map`);
    } else if (!isFloat(out.type) || (out.shape.length !== 0 && out.shape.length !== 4)) {
      fail(label, family, `output ${fmt(out)} is neither a class-id map nor class scores [1,K,H,W]`);
    }
  } else {
    if (!isFloat(out.type)) fail(label, family, `output ${fmt(out)} is ${out.type}, expected a float32 probability map`);
    const r = out.shape.length;
    if (r !== 0 && r !== 3 && r !== 4) fail(label, family, `output ${fmt(out)} has rank ${r}, expected [1,1,H,W] or [1,H,W,1]`);
    if (r === 4) {
      const c1 = out.shape[1], c3 = out.shape[3];
      const oneCh = (d: number | string | null) => !known(d) || d <= 2;
      if (!oneCh(c1) && !oneCh(c3)) fail(label, family, `output ${fmt(out)} has more than 2 channels; a ${family} map has 1 (or 2: background, foreground)`);
    }
  }
  return { family, input: inp.name, layout, fixedSize: fixed, output: out.name };
}
