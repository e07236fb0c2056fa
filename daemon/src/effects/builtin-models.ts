/** Models built in code: they need no download, so the main job runs on a fresh machine with no network. */
import { buildToonStyle } from '../onnx/builtin-styles.ts';
import type { ModelProto } from '../onnx/proto.ts';

export const BUILTIN_MODELS: Record<string, { task: string; title: string; build: () => ModelProto }> = {
  'builtin:toon': { task: 'style', title: 'Toon (built in): smoothed, posterised colour with inked edges', build: () => buildToonStyle() as ModelProto },
};
