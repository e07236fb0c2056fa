import type { ParamSpec } from './param-spec.ts';

/** Processing size, shared by every effect (0 = the source size; one side given keeps the aspect). */
export const SIZE_PARAMS: readonly ParamSpec[] = [
  { name: 'width', label: 'Width', help: 'Processing width in pixels (0 = source width).', type: 'integer', min: 0, max: 16384, default: 0, cli: '--width' },
  { name: 'height', label: 'Height', help: 'Processing height in pixels (0 = source height).', type: 'integer', min: 0, max: 16384, default: 0, cli: '--height' },
];
