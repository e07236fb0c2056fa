/**
 * The per-user model store: a folder holding pulled catalog files, user-added
 * models under local/, and local.json (what was added or pulled, with the
 * SHA-256 measured then). DREAMLAYER_MODELS overrides the location.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '../io/atomic-file.ts';
import { DreamLayerError, toDreamLayerError } from '../../../shared/src/errors.ts';

/**
 * The platform's per-user data folder for models (no dependency on env-paths):
 * Linux/BSD $XDG_DATA_HOME/dreamlayer/models or ~/.local/share/dreamlayer/models,
 * macOS ~/Library/Application Support/DreamLayer/models, Windows %LOCALAPPDATA%\DreamLayer\models.
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (platform === 'win32') {
    // path.win32 so that the result is a Windows path even when computed elsewhere (tests).
    const base = env.LOCALAPPDATA || path.win32.join(home, 'AppData', 'Local');
    return path.win32.join(base, 'DreamLayer', 'models');
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', 'DreamLayer', 'models');
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME && path.posix.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.posix.join(home, '.local', 'share');
  return path.posix.join(xdg, 'dreamlayer', 'models');
}

/** The store folder: `DREAMLAYER_MODELS` if set, else {@link defaultStoreDir}. */
export function resolveStoreDir(override?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (override) return path.resolve(override);
  if (env.DREAMLAYER_MODELS) return path.resolve(env.DREAMLAYER_MODELS);
  return defaultStoreDir(env);
}

/** Creates the store folder (and local/) if missing. */
export function ensureStoreDir(dir: string): string {
  try {
    mkdirSync(path.join(dir, 'local'), { recursive: true });
  } catch (e) {
    throw toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage: 'model', message: `The model store ${dir} cannot be created (${(e as Error).message}).` });
  }
  return dir;
}

/** Writes a store file atomically (temp, fsync, rename); errors name the file. */
function writeStoreFile(file: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicSync(file, data);
  } catch (e) {
    throw toDreamLayerError(e, 'OUTPUT_UNWRITABLE', { stage: 'model', message: `Cannot write ${file} (${(e as Error).message}).` });
  }
}

const LocalRecordSchema = z.object({
  /** add: registered by `models add`; pull: downloaded by `models pull`. */
  origin: z.enum(['add', 'pull']),
  task: z.string(),
  /** Path relative to the store folder. */
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /** ISO time of the add or pull. */
  at: z.string(),
  /** pull: whether the bytes matched a published checksum. */
  verified: z.boolean().optional(),
  /** pull: the URL that served the file; add: the file the user gave. */
  from: z.string().optional(),
});
export type LocalRecord = z.infer<typeof LocalRecordSchema>;

const LocalRegistrySchema = z.object({
  version: z.literal(1),
  models: z.record(z.string(), LocalRecordSchema),
});
export type LocalRegistry = z.infer<typeof LocalRegistrySchema>;

export const LOCAL_REGISTRY = 'local.json';

/** Reads `<store>/local.json`; a missing file is an empty registry. */
export function readLocalRegistry(dir: string): LocalRegistry {
  const file = path.join(dir, LOCAL_REGISTRY);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, models: {} };
    throw toDreamLayerError(e, 'INTERNAL', { stage: 'model', message: `Cannot read ${file} (${(e as Error).message}).` });
  }
  try {
    return LocalRegistrySchema.parse(JSON.parse(text));
  } catch (e) {
    throw new DreamLayerError('INTERNAL', {
      stage: 'model',
      message: `The model store registry ${file} is corrupt (${(e as Error).message.split('\n')[0]}).`,
      hint: `Move ${file} aside; pulled catalog models still work, models you added must be added again.`,
      cause: e,
    });
  }
}

/** Read-modify-write of local.json, written atomically. */
export function updateLocalRegistry(dir: string, change: (reg: LocalRegistry) => void): LocalRegistry {
  ensureStoreDir(dir);
  const reg = readLocalRegistry(dir);
  change(reg);
  writeStoreFile(path.join(dir, LOCAL_REGISTRY), JSON.stringify(reg, null, 2) + '\n');
  return reg;
}

/** Where a catalog file lives in the store. */
export function catalogFilePath(dir: string, file: string): string {
  return path.join(dir, file);
}

/** Where a user-added model lives in the store. */
export function localFilePath(dir: string, id: string): string {
  return path.join(dir, 'local', `${id}.onnx`);
}
