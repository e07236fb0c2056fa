/**
 * From a selected layer and the panel's choices to the `job.submit` payload:
 * explicit source frame range, a fresh output folder per run (results already
 * imported in a host must never be overwritten), model and device.
 */
import type { SubmitJob } from '../../../shared/src/protocol/messages.ts';
import type { LayerRef } from '../host/host-adapter.ts';
import { dirName, joinNative, safeFileName, stemOf } from '../host/native-path.ts';

export interface RunChoices {
  effect: string;
  params: Record<string, unknown>;
  /** '' = effect default, catalog id, or 'file:' + path. */
  model: string;
  format: string;
  device: string;
  /** '' = a DreamLayer folder beside the source file. */
  outputRoot: string;
}

/** "20250101-101502": sortable, file-name safe, local time. */
export function runStamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Where this run writes: <root>/<layer>-<effect>-<stamp>. Null when no root can be found. */
export function outputDirFor(layer: LayerRef, effect: string, outputRoot: string, now: Date): string | null {
  const root = outputRoot.trim() || (layer.sourcePath ? joinNative(dirName(layer.sourcePath), 'DreamLayer') : '');
  if (!root) return null;
  const base = safeFileName(layer.sourcePath ? stemOf(layer.name) || stemOf(layer.sourcePath) : layer.name, 40);
  return joinNative(root, `${base}-${safeFileName(effect, 20)}-${runStamp(now)}`);
}

/** The model field of a job: undefined = the effect's default. */
export function modelRef(choice: string): string | undefined {
  if (!choice) return undefined;
  if (choice.startsWith('file:')) return choice.slice(5).trim() || undefined;
  return choice;
}

const DEVICES = new Set(['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu']);

/** The job for a layer whose pixels the daemon reads itself (a file, or frames the host rendered / uploaded). */
export function buildSubmitJob(input: SubmitJob['input'], choices: RunChoices, outputDir: string): SubmitJob {
  const model = modelRef(choices.model);
  return {
    effect: choices.effect,
    params: choices.params,
    ...(model ? { model } : {}),
    device: (DEVICES.has(choices.device) ? choices.device : 'auto') as SubmitJob['device'],
    input,
    output: { dir: outputDir, format: choices.format as SubmitJob['output']['format'] },
    then: [],
  };
}

/** Path-mode input for a layer with a file: the source and its frame range (sequences: the folder). */
export function pathInput(layer: LayerRef): SubmitJob['input'] {
  if (!layer.sourcePath) throw new RangeError(`Expected a layer with a source file but "${layer.name}" has none`);
  const path = layer.kind === 'sequence' ? dirName(layer.sourcePath) : layer.sourcePath;
  return { path, frames: { first: layer.firstFrame, last: layer.lastFrame } };
}
