/**
 * Checks an ONNX file's declared inputs and outputs against what a task needs,
 * before any session is created, so a wrong model fails with a message that names
 * the tensor, the expected and the found shape/rank/type instead of deep inside
 * onnxruntime. Symbolic and unknown dims are accepted: many exports declare them.
 */
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { modelSignature, readModelFile, type TensorSignature } from '../onnx/proto.ts';
import type { CatalogEntry, ModelTask } from './catalog.ts';
import { isModelTask, MODEL_TASKS } from './catalog.ts';

export type Layout = 'NCHW' | 'NHWC' | 'CHW' | 'unknown';

export interface ContractReport {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  /** Layout of the (first) image input as read from the graph. */
  layout: Layout;
}

/** One line per task: what its models must look like (used in hints and `--help`). */
export const TASK_CONTRACTS: Record<ModelTask, string> = {
  style: 'one float32 image input [N,3,H,W] or [N,H,W,3]; first output a float32 3-channel image',
  depth: 'one float32 image input; first output float32 [N,H,W] or one-channel [N,1,H,W]/[N,H,W,1]',
  'segmentation-instance': 'one float32 image input [3,H,W] or [N,3,H,W]; outputs boxes [n,4], labels [n] (integer), scores [n], masks [n,1,h,w]',
  'segmentation-semantic': 'one float32 image input; first output class ids (integer, rank >= 2) or class scores float32 [N,K,H,W]',
  'segmentation-person': 'one float32 image input; first output float32 [N,H,W] or [N,C,H,W]/[N,H,W,C] with C = 1 or 2',
  'segmentation-salient': 'one float32 image input; first output float32 [N,H,W] or one-channel [N,1,H,W]/[N,H,W,1]',
  classifier: 'one float32 image input; first output float32 [N,K] or [N,K,1,1]',
  flow: 'two float32 image inputs (plus an optional timestep input); a float32 rank-4 output with 2 or 4 channels (or symbolic)',
  superres: 'one float32 image input; first output a float32 3-channel image',
};

const INT_TYPES = new Set(['int64', 'int32', 'uint8', 'int8']);

const fmtShape = (s: TensorSignature['shape']): string => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;
const known = (d: number | string | null): d is number => typeof d === 'number' && d > 0;

class Checker {
  constructor(
    readonly label: string,
    readonly task: string,
  ) {}

  fail(what: string): never {
    throw new DreamLayerError('MODEL_CONTRACT', {
      stage: 'model',
      message: `Model ${this.label} does not fit the ${this.task} task: ${what}.`,
      hint: `A ${this.task} model needs ${TASK_CONTRACTS[this.task as ModelTask] ?? 'a matching contract'}. See \`dreamlayer models list --task ${this.task}\`.`,
    });
  }

  type(t: TensorSignature, kind: string, allowed: (type: string) => boolean, expected: string): void {
    if (!allowed(t.type)) this.fail(`${kind} "${t.name}" is ${t.type}, expected ${expected}`);
  }

  /** An image input; returns its layout. */
  image(t: TensorSignature, allowCHW = false): Layout {
    this.type(t, 'input', (x) => x === 'float32', 'float32');
    const s = t.shape;
    if (s.length === 0) return 'unknown';
    if (s.length === 3 && allowCHW) {
      if (known(s[0]) && s[0] !== 3) this.fail(`input "${t.name}" has shape ${fmtShape(s)}, expected [3, H, W]`);
      return 'CHW';
    }
    if (s.length !== 4) this.fail(`input "${t.name}" has rank ${s.length} ${fmtShape(s)}, expected rank 4 [N, 3, H, W] or [N, H, W, 3]${allowCHW ? ' (or [3, H, W])' : ''}`);
    if (s[1] === 3) return 'NCHW';
    if (s[3] === 3) return 'NHWC';
    if (known(s[1])) this.fail(`input "${t.name}" has shape ${fmtShape(s)}: expected 3 colour channels at dim 1 (NCHW) or dim 3 (NHWC)`);
    // Symbolic channel dim (e.g. RIFE's "C_in0"): channels first is the usual export.
    return 'NCHW';
  }

  /** A rank-4 image-like output with a channel count in `channels` (symbolic accepted). */
  channels(t: TensorSignature, channels: number[], extraRanks: number[] = []): void {
    const s = t.shape;
    if (s.length === 0) return;
    if (extraRanks.includes(s.length)) return;
    const want = `rank 4 with ${channels.join(' or ')} channel${channels.length === 1 && channels[0] === 1 ? '' : 's'}${extraRanks.length ? ` (or rank ${extraRanks.join('/')})` : ''}`;
    if (s.length !== 4) this.fail(`output "${t.name}" has rank ${s.length} ${fmtShape(s)}, expected ${want}`);
    const c1 = s[1];
    const c3 = s[3];
    if (!known(c1) || channels.includes(c1)) return;
    // Dim 1 is a wrong channel count unless the tensor is channels-last.
    if (known(c3) && channels.includes(c3)) return;
    this.fail(`output "${t.name}" has shape ${fmtShape(s)}, expected ${want}`);
  }

  count(kind: 'inputs' | 'outputs', list: TensorSignature[], min: number, max = Infinity): void {
    if (list.length < min || list.length > max) {
      const want = max === min ? `${min}` : max === Infinity ? `at least ${min}` : `${min}–${max}`;
      this.fail(`it has ${list.length} ${kind} (${list.map((t) => `"${t.name}"`).join(', ') || 'none'}), expected ${want}`);
    }
  }
}

const isFloat = (x: string) => x === 'float32';

/** The task-level structural check. */
function checkTask(c: Checker, task: ModelTask, inputs: TensorSignature[], outputs: TensorSignature[]): Layout {
  switch (task) {
    case 'style':
    case 'superres': {
      c.count('inputs', inputs, 1, 1);
      c.count('outputs', outputs, 1);
      const layout = c.image(inputs[0]);
      c.type(outputs[0], 'output', isFloat, 'float32');
      c.channels(outputs[0], [3]);
      return layout;
    }
    case 'depth':
    case 'segmentation-salient':
    case 'segmentation-person': {
      c.count('inputs', inputs, 1, 1);
      c.count('outputs', outputs, 1);
      const layout = c.image(inputs[0]);
      c.type(outputs[0], 'output', isFloat, 'float32');
      c.channels(outputs[0], task === 'segmentation-person' ? [1, 2] : [1], [3]);
      return layout;
    }
    case 'segmentation-semantic': {
      c.count('inputs', inputs, 1, 1);
      c.count('outputs', outputs, 1);
      const layout = c.image(inputs[0]);
      const o = outputs[0];
      if (INT_TYPES.has(o.type)) {
        // Exported argmax outputs often declare an imprecise shape; only a rank < 2 is clearly wrong.
        if (o.shape.length === 1) c.fail(`output "${o.name}" has rank 1 ${fmtShape(o.shape)}, expected a class-id map of rank >= 2`);
      } else {
        c.type(o, 'output', isFloat, 'float32 class scores or integer class ids');
        if (o.shape.length !== 0 && o.shape.length !== 4) c.fail(`output "${o.name}" has rank ${o.shape.length} ${fmtShape(o.shape)}, expected class scores [N, K, H, W]`);
      }
      return layout;
    }
    case 'classifier': {
      c.count('inputs', inputs, 1, 1);
      c.count('outputs', outputs, 1);
      const layout = c.image(inputs[0]);
      const o = outputs[0];
      c.type(o, 'output', isFloat, 'float32');
      const s = o.shape;
      if (s.length !== 0 && s.length !== 2 && !(s.length === 4 && s[2] === 1 && s[3] === 1)) {
        c.fail(`output "${o.name}" has shape ${fmtShape(s)}, expected class scores [N, K] or [N, K, 1, 1]`);
      }
      return layout;
    }
    case 'segmentation-instance': {
      c.count('inputs', inputs, 1, 1);
      c.count('outputs', outputs, 4);
      const layout = c.image(inputs[0], true);
      // Roles by shape, since exports name them by node number (Mask R-CNN: "6568"…).
      const rank = (t: TensorSignature) => t.shape.length;
      const boxes = outputs.find((t) => isFloat(t.type) && rank(t) === 2 && (!known(t.shape[1]) || t.shape[1] === 4));
      const labels = outputs.find((t) => INT_TYPES.has(t.type) && rank(t) === 1);
      const scores = outputs.find((t) => isFloat(t.type) && rank(t) === 1);
      const masks = outputs.find((t) => isFloat(t.type) && rank(t) === 4);
      const missing = [!boxes && 'boxes float32 [n, 4]', !labels && 'labels integer [n]', !scores && 'scores float32 [n]', !masks && 'masks float32 [n, 1, h, w]'].filter(Boolean);
      if (missing.length) {
        c.fail(`no output looks like ${missing.join(', ')}; found ${outputs.map((t) => `"${t.name}" ${t.type} ${fmtShape(t.shape)}`).join(', ')}`);
      }
      return layout;
    }
    case 'flow': {
      c.count('inputs', inputs, 2, 3);
      c.count('outputs', outputs, 1);
      const layout = c.image(inputs[0]);
      c.image(inputs[1]);
      if (inputs[2]) c.type(inputs[2], 'input', isFloat, 'float32 (timestep)');
      const flowLike = outputs.some((t) => isFloat(t.type) && (t.shape.length === 0 || (t.shape.length === 4 && (!known(t.shape[1]) || t.shape[1] === 2 || t.shape[1] === 4))));
      if (!flowLike) c.fail(`no output is a float32 flow field [N, 2 or 4, H, W]; found ${outputs.map((t) => `"${t.name}" ${t.type} ${fmtShape(t.shape)}`).join(', ')}`);
      return layout;
    }
  }
}

/** Names the catalog contract promises must exist in the graph. */
function checkEntryNames(c: Checker, entry: CatalogEntry, inputs: TensorSignature[], outputs: TensorSignature[]): void {
  const has = (list: TensorSignature[], n: string) => list.some((t) => t.name === n);
  for (const i of entry.contract.inputs) {
    if (i.name && !has(inputs, i.name)) c.fail(`the catalog entry ${entry.id} expects input "${i.name}", the graph has inputs ${inputs.map((t) => `"${t.name}"`).join(', ')}`);
  }
  for (const o of entry.contract.outputs) {
    if (o.name && !has(outputs, o.name)) c.fail(`the catalog entry ${entry.id} expects output "${o.name}", the graph has outputs ${outputs.map((t) => `"${t.name}"`).join(', ')}`);
  }
}

/**
 * Checks a model file against a task (and, given a catalog entry, the tensor names
 * it promises). Throws MODEL_INVALID for a file that is not ONNX (from proto.ts),
 * MODEL_CONTRACT for one that does not fit; returns what was read.
 */
export function checkContract(modelPath: string, task: string, entry?: CatalogEntry): ContractReport {
  const label = path.basename(modelPath);
  if (!isModelTask(task)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `"${task}" is not a model task.`, hint: `Tasks: ${MODEL_TASKS.join(', ')}.` });
  }
  const { inputs, outputs } = modelSignature(readModelFile(modelPath));
  const c = new Checker(label, task);
  const layout = checkTask(c, task, inputs, outputs);
  if (entry) checkEntryNames(c, entry, inputs, outputs);
  return { inputs, outputs, layout };
}
