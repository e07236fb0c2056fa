import type { EffectDescriptor } from './param-spec.ts';
import { SIZE_PARAMS } from './common.ts';

/** Matte: soft, temporally stable alpha of a chosen person or object. */
export const MATTE: EffectDescriptor = {
  name: 'matte',
  title: 'Matte',
  description: 'Cuts a person or object out of the footage: the subject you pick (by class, a point, a box or its number), tracked across frames, with soft edges that follow the picture and no shimmer.',
  task: 'segmentation-person',
  defaultModel: 'mediapipe-selfie',
  formats: ['png', 'prores'],
  params: [
    { name: 'family', label: 'Model family', help: "What kind of segmentation model --model is: 'auto' reads it from the model (instance = Mask R-CNN, semantic = class map, person, salient object).", type: 'enum', options: ['auto', 'instance', 'semantic', 'person', 'salient'], default: 'auto', cli: '--family' },
    { name: 'assist', label: 'Assisting model', help: 'A second segmentation model (catalog id or .onnx file, e.g. u2netp) combined with the main one near the subject: what either model sees there is kept; empty = none.', type: 'string', default: '', cli: '--assist' },
    { name: 'classes', label: 'Classes', help: 'Comma-separated classes to matte, e.g. "person,car" (empty = any class the model knows).', type: 'string', default: '', cli: '--classes' },
    { name: 'point', label: 'Point', help: 'X,Y in source pixels of a point on the subject in the first frame (what you click in the panel).', type: 'string', default: '', cli: '--point' },
    { name: 'box', label: 'Box', help: 'X0,Y0,X1,Y1 in source pixels of a box around the subject in the first frame.', type: 'string', default: '', cli: '--box' },
    { name: 'instance', label: 'Candidate number', help: 'Number of the subject among the first frame\'s candidates (see --list); 0 = choose by point/box, or all candidates when neither is given.', type: 'integer', min: 0, max: 1000, default: 0, cli: '--instance' },
    { name: 'temporal', label: 'Temporal stability', help: 'How much of the previous matte, carried along the motion, is kept where the motion is reliable (0 = each frame alone; edges shimmer).', type: 'number', min: 0, max: 0.95, step: 0.05, default: 0.5, cli: '--temporal' },
    { name: 'feather', label: 'Feather', help: 'Softens the edge over about ± this many pixels.', type: 'number', min: 0, max: 200, step: 0.5, default: 0, cli: '--feather' },
    { name: 'grow', label: 'Grow', help: 'Moves the edge outwards (positive) or inwards (negative) by this many pixels.', type: 'number', min: -200, max: 200, step: 1, default: 0, cli: '--grow' },
    { name: 'invert', label: 'Invert', help: 'Matte everything except the subject.', type: 'boolean', default: false, cli: '--invert' },
    { name: 'mode', label: 'Output', help: "'rgba' = the source with the matte as straight alpha; 'alpha' = the matte alone as 8-bit gray; 'alpha16' = 16-bit gray.", type: 'enum', options: ['rgba', 'alpha', 'alpha16'], default: 'rgba', cli: '--mode' },
    ...SIZE_PARAMS,
  ],
};
