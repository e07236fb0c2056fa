/**
 * Class names of the label sets the matte families use, and parsing of
 * `--classes person,car` into ids.
 */
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { MatteFamily } from './matte-types.ts';

/** PASCAL VOC 2012 (DeepLab): index = class id, 0 = background. */
export const VOC_CLASSES: readonly string[] = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** COCO's 80 object classes as Mask R-CNN (ONNX Model Zoo) numbers them: label k ↦ COCO_CLASSES[k], 0 = background. */
export const COCO_CLASSES: readonly string[] = [
  'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear',
  'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
  'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
  'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake',
  'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
  'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/** Class names of a family: the person and salient families have a single foreground class (id 1). */
export function classNamesFor(family: MatteFamily): readonly string[] {
  switch (family) {
    case 'instance': return COCO_CLASSES;
    case 'semantic': return VOC_CLASSES;
    case 'person': return ['background', 'person'];
    case 'salient': return ['background', 'object'];
  }
}

/** Common synonyms, so `--classes car,tv,motorbike` work for both label sets. */
const SYNONYMS: Record<string, string[]> = {
  airplane: ['aeroplane'], aeroplane: ['airplane'], motorcycle: ['motorbike'], motorbike: ['motorcycle'],
  tv: ['tvmonitor'], tvmonitor: ['tv'], 'dining table': ['diningtable'], diningtable: ['dining table'],
  'potted plant': ['pottedplant'], pottedplant: ['potted plant'], couch: ['sofa'], sofa: ['couch'], people: ['person'],
};

/**
 * Parses "person,car" into class ids of the family's label set. Empty text → null (any class).
 * For the salient family every name maps to its one class. Unknown names → PARAM_INVALID listing the valid ones.
 */
export function parseClasses(text: string, family: MatteFamily): number[] | null {
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) return null;
  if (family === 'salient') return [1];
  const table = classNamesFor(family);
  const ids = new Set<number>();
  const unknown: string[] = [];
  for (const n of names) {
    const tries = [n, n.replace(/_/g, ' '), ...(SYNONYMS[n] ?? [])];
    const id = tries.map((t) => table.indexOf(t)).find((i) => i > 0);
    if (id === undefined) unknown.push(n);
    else ids.add(id);
  }
  if (unknown.length) {
    throw new DreamLayerError('PARAM_INVALID', {
      stage: 'validate',
      message: `--classes: ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is not a class' : 'are not classes'} of the ${family} model.`,
      hint: `Classes of this model: ${table.slice(1).join(', ')}.`,
    });
  }
  return [...ids];
}
