/**
 * Turns what a user typed for --model (a catalog id, an id they added, a path to
 * an .onnx file, or nothing) into a file to load, or says exactly how to get it.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { type Catalog, type CatalogEntry, defaultCatalog, defaultModelFor, isModelTask, MODEL_TASKS } from './catalog.ts';
import { cachedSha256 } from './file-hash.ts';
import { catalogFilePath, type LocalRecord, readLocalRegistry, resolveStoreDir } from './store.ts';

import { checkContract } from './check-contract.ts';

export { checkContract, TASK_CONTRACTS, type ContractReport } from './check-contract.ts';

/** Injection points shared by the model functions (tests pass their own). */
export interface ModelStoreOptions {
  /** Catalog to use instead of models/catalog.json. */
  catalog?: Catalog;
  /** Store folder instead of DREAMLAYER_MODELS / the per-user default. */
  storeDir?: string;
}

export interface ResolveOptions extends ModelStoreOptions {
  /**
   * Check the file's inputs and outputs against the task (default true). Applies to
   * plain files and to store files without a published checksum; a file that matches a
   * published checksum is the catalog's own and is not re-read. Cached per sha256 + task.
   */
  checkContract?: boolean;
}

const contractOk = new Set<string>();

function checkOnce(file: string, sha256: string, task: string, entry?: CatalogEntry): void {
  const key = `${sha256}:${task}:${entry?.id ?? ''}`;
  if (contractOk.has(key)) return;
  checkContract(file, task, entry);
  contractOk.add(key);
}

interface ResolvedBase {
  /** Catalog id, added id, or the absolute path for a plain file. */
  id: string;
  task: string;
  /** The catalog entry, when the model is one. */
  entry?: CatalogEntry;
  /** The local.json record, for added models and unverified pulls. */
  record?: LocalRecord;
}

/** A model that is a file on disk. */
export interface ResolvedFileModel extends ResolvedBase {
  kind: 'file' | 'catalog' | 'local';
  path: string;
  /** SHA-256 of the file as it is now (cached by path, size and mtime). */
  sha256: string;
}

/** A model built in code (no file). */
export interface ResolvedBuiltinModel extends ResolvedBase {
  kind: 'builtin';
  path: null;
  sha256: null;
}

export type ResolvedModel = ResolvedFileModel | ResolvedBuiltinModel;

/** A ref is a path when it names an .onnx file or contains a path separator. */
export function looksLikePath(ref: string): boolean {
  return /\.onnx$/i.test(ref) || ref.includes('/') || ref.includes('\\') || ref.includes(path.sep);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Up to `n` ids close to `ref` (substring matches first, then edit distance). */
export function closeIds(ref: string, ids: string[], n = 3): string[] {
  const r = ref.toLowerCase();
  return ids
    .map((id) => ({ id, score: id.includes(r) || r.includes(id) ? 0 : levenshtein(r, id) }))
    .filter((x) => x.score <= Math.max(2, Math.floor(r.length / 2)))
    .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id))
    .slice(0, n)
    .map((x) => x.id);
}

function wrongTask(id: string, hasTask: string, task: string, catalog: Catalog): DreamLayerError {
  const same = catalog.models.filter((m) => m.task === task).map((m) => m.id);
  return new DreamLayerError('MODEL_CONTRACT', {
    stage: 'model',
    message: `Model ${id} is a ${hasTask} model; this needs a ${task} model.`,
    hint: `${task} models: ${same.join(', ') || 'none in the catalog'} (or pass --model /path/to/model.onnx).`,
  });
}

async function fileModel(ref: string, task: string, check: boolean): Promise<ResolvedFileModel> {
  const abs = path.resolve(ref);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
  } catch {
    /* reported below */
  }
  if (!isFile) {
    throw new DreamLayerError('MODEL_NOT_FOUND', {
      stage: 'model',
      message: `The model file ${abs} does not exist${existsSync(abs) ? ' (it is a folder)' : ''}.`,
      hint: 'Check the path, or use a catalog id (`dreamlayer models list`).',
    });
  }
  const sha256 = await cachedSha256(abs);
  if (check) checkOnce(abs, sha256, task);
  return { id: abs, task, kind: 'file', path: abs, sha256 };
}

/**
 * Resolves a model reference for a task.
 * - undefined: the task's default catalog model;
 * - a path (ends in .onnx or contains a separator): that file;
 * - a catalog id or an id added with `models add`: its file in the store.
 *
 * Throws MODEL_NOT_FOUND (missing file: names the store path and the pull/add
 * command; unknown id: lists close ids), MODEL_CONTRACT (a model of another task),
 * MODEL_CHECKSUM (a store file that no longer matches its recorded checksum),
 * MODEL_INVALID (not an ONNX file, when the contract is checked).
 * Built-in models resolve to kind 'builtin' with no path; build them elsewhere.
 */
export async function resolveModel(ref: string | undefined, task: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const catalog = opts.catalog ?? defaultCatalog();
  const check = opts.checkContract ?? true;
  if (!isModelTask(task)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'model', message: `"${task}" is not a model task.`, hint: `Tasks: ${MODEL_TASKS.join(', ')}.` });
  }
  if (ref === undefined || ref === '') {
    const def = defaultModelFor(task, catalog);
    if (!def) {
      throw new DreamLayerError('MODEL_NOT_FOUND', {
        stage: 'model',
        message: `No default ${task} model is set in the catalog.`,
        hint: `Choose one with --model ID (\`dreamlayer models list --task ${task}\`) or --model /path/to/model.onnx.`,
      });
    }
    ref = def.id;
  }
  if (looksLikePath(ref)) return fileModel(ref, task, check);

  const dir = resolveStoreDir(opts.storeDir);
  const entry = catalog.models.find((m) => m.id === ref);
  const registry = readLocalRegistry(dir);

  if (entry) {
    if (entry.task !== task) throw wrongTask(entry.id, entry.task, task, catalog);
    if (entry.distribution === 'builtin') return { id: entry.id, task, kind: 'builtin', path: null, sha256: null, entry };
    const file = catalogFilePath(dir, entry.file!);
    if (!existsSync(file)) {
      const how =
        entry.distribution === 'download'
          ? `Run \`dreamlayer models pull ${entry.id}\`, or place the file at ${file}`
          : `It has no download (${entry.note?.split('. ')[0] ?? 'see the catalog note'}); place the ONNX file at ${file}, or run \`dreamlayer models add FILE --task ${task} --id ${entry.id}-local\``;
      throw new DreamLayerError('MODEL_NOT_FOUND', {
        stage: 'model',
        message: `Model ${entry.id} (${entry.title}) is not in the model store ${dir}.`,
        hint: `${how}.`,
      });
    }
    const sha256 = await cachedSha256(file, dir);
    const record = registry.models[entry.id];
    const expected = entry.sha256 ?? record?.sha256;
    if (expected && sha256 !== expected) {
      throw new DreamLayerError('MODEL_CHECKSUM', {
        stage: 'model',
        message: `Model file ${file} does not match the ${entry.sha256 ? 'published' : 'recorded'} checksum of ${entry.id} (expected ${expected}, found ${sha256}).`,
        hint: `Run \`dreamlayer models pull ${entry.id} --force\` to download it again.`,
      });
    }
    if (check && !entry.sha256) checkOnce(file, sha256, task, entry);
    return { id: entry.id, task, kind: 'catalog', path: file, sha256, entry, record };
  }

  const local = registry.models[ref];
  if (local && local.origin === 'add') {
    if (local.task !== task) throw wrongTask(ref, local.task, task, catalog);
    const file = path.join(dir, local.file);
    if (!existsSync(file)) {
      throw new DreamLayerError('MODEL_NOT_FOUND', {
        stage: 'model',
        message: `Model ${ref} is registered in ${path.join(dir, 'local.json')} but its file ${file} is missing.`,
        hint: `Add it again: \`dreamlayer models add FILE --task ${local.task} --id ${ref} --force\`.`,
      });
    }
    return { id: ref, task, kind: 'local', path: file, sha256: await cachedSha256(file, dir), record: local };
  }

  const ids = [...catalog.models.map((m) => m.id), ...Object.entries(registry.models).filter(([, r]) => r.origin === 'add').map(([id]) => id)];
  const close = closeIds(ref, ids);
  const ofTask = catalog.models.filter((m) => m.task === task).map((m) => m.id);
  throw new DreamLayerError('MODEL_NOT_FOUND', {
    stage: 'model',
    message: `No model has the id "${ref}"${close.length ? `; did you mean ${close.join(', ')}?` : '.'}`,
    hint: `${task} models: ${ofTask.join(', ') || 'none'}. List all with \`dreamlayer models list\`, or pass --model /path/to/model.onnx.`,
  });
}
