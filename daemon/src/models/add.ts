/**
 * `models add`: registers a user's own ONNX file for a task. The file is checked
 * against the task contract first (so a wrong model is refused now, not mid-job),
 * then copied atomically into `<store>/local/<id>.onnx` and recorded in local.json.
 */
import { copyFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DreamLayerError, toDreamLayerError } from '../../../shared/src/errors.ts';
import { defaultCatalog, isModelTask, MODEL_TASKS } from './catalog.ts';
import { checkContract, type ContractReport } from './check-contract.ts';
import { rememberSha256, sha256File } from './file-hash.ts';
import type { ModelStoreOptions } from './resolve-model.ts';
import { ensureStoreDir, localFilePath, readLocalRegistry, resolveStoreDir, updateLocalRegistry } from './store.ts';

export interface AddOptions extends ModelStoreOptions {
  task: string;
  /** Id to register; default: the file name, lower-cased, without .onnx. */
  id?: string;
  /** Replace a model added earlier under the same id. */
  force?: boolean;
}

export interface AddResult {
  id: string;
  task: string;
  path: string;
  sha256: string;
  size: number;
  contract: ContractReport;
}

const ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The id derived from a file name: "My Style.onnx" → "my-style". */
export function idFromFileName(file: string): string {
  return (
    path
      .basename(file)
      .replace(/\.onnx$/i, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 64) || 'model'
  );
}

/** Checks, copies and registers `file`; see the module comment. */
export async function addModel(file: string, opts: AddOptions): Promise<AddResult> {
  const { task } = opts;
  if (!isModelTask(task)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `"${task}" is not a model task.`, hint: `Use --task with one of: ${MODEL_TASKS.join(', ')}.` });
  }
  const src = path.resolve(file);
  let isFile = false;
  try {
    isFile = statSync(src).isFile();
  } catch {
    /* reported below */
  }
  if (!isFile) throw new DreamLayerError('MODEL_NOT_FOUND', { stage: 'model', message: `The file ${src} does not exist.`, hint: 'Check the path of the .onnx file to add.' });

  const id = opts.id ?? idFromFileName(src);
  if (!ID_RE.test(id)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `"${id}" is not a valid model id.`, hint: 'Use --id with lower-case letters, digits, ".", "_" and "-" (at most 64).' });
  }
  const catalog = opts.catalog ?? defaultCatalog();
  if (catalog.models.some((m) => m.id === id)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `"${id}" is the id of a catalog model.`, hint: `Choose another id with --id (e.g. ${id}-local).` });
  }
  const dir = ensureStoreDir(resolveStoreDir(opts.storeDir));
  const existing = readLocalRegistry(dir).models[id];
  if (existing && !opts.force) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `A model with the id "${id}" was already added (${existing.task}).`, hint: 'Use --force to replace it, or another --id.' });
  }

  // Before copying anything: MODEL_INVALID for a non-ONNX file, MODEL_CONTRACT for the wrong shapes.
  const contract = checkContract(src, task);

  const dest = localFilePath(dir, id);
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    copyFileSync(src, tmp);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage: 'model', message: `Cannot copy ${src} into the model store ${dir} (${(e as Error).message}).` });
  }
  // Hash the copy, not the source: it is what will be loaded.
  const sha256 = await sha256File(tmp);
  const size = statSync(tmp).size;
  try {
    if (process.platform === 'win32') rmSync(dest, { force: true });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage: 'model', message: `Cannot move the copy into ${dest} (${(e as Error).message}).` });
  }
  rememberSha256(dest, sha256, dir);
  updateLocalRegistry(dir, (reg) => {
    reg.models[id] = { origin: 'add', task, file: path.relative(dir, dest).split(path.sep).join('/'), sha256, size, at: new Date().toISOString(), from: src };
  });
  return { id, task, path: dest, sha256, size, contract };
}
