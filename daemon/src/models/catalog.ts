/**
 * The model catalog (models/catalog.json): what can be pulled, from where, with
 * which checksum, licence and tensor contract. Loaded once and validated with zod,
 * so a typo in the JSON fails loudly at start-up instead of at download time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DreamLayerError } from '../../../shared/src/errors.ts';

/** The tasks a model can serve; each effect asks for one of them. */
export const MODEL_TASKS = [
  'style',
  'depth',
  'segmentation-instance',
  'segmentation-semantic',
  'segmentation-person',
  'segmentation-salient',
  'classifier',
  'flow',
  'superres',
] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];
export const ModelTaskSchema = z.enum(MODEL_TASKS);

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lower-case hex digits');
const md5Hex = z.string().regex(/^[0-9a-f]{32}$/, 'an MD5 as 32 lower-case hex digits');
const rgb3 = z.tuple([z.number(), z.number(), z.number()]);

/** One image input: how to turn pixels into the tensor the network expects. */
export const ImageInputContractSchema = z.strictObject({
  role: z.literal('image').default('image'),
  /** Graph input name; null when not confirmed from the file (use the graph input at this position). */
  name: z.string().min(1).nullable(),
  /** CHW = no batch dimension (Mask R-CNN). */
  layout: z.enum(['NCHW', 'NHWC', 'CHW']),
  colour: z.enum(['RGB', 'BGR']),
  /** Value range fed to the network before mean/std: [lo, hi], or 'px' for 0–255. */
  range: z.union([z.literal('px'), z.tuple([z.number(), z.number()])]),
  /** Subtracted per channel (in `colour` order, in `range` units). */
  mean: rgb3.optional(),
  /** Divided per channel after the mean. */
  std: rgb3.optional(),
  /** Input size the graph declares: 'dynamic', or a fixed [height, width]. */
  size: z.union([z.literal('dynamic'), z.tuple([z.number().int().positive(), z.number().int().positive()])]),
  /** Height and width must be multiples of this. */
  multipleOf: z.number().int().positive().optional(),
  /** The declared size is fixed but the network is fully convolutional: free the dims on load. */
  freeDims: z.boolean().optional(),
  /** Anything else the pre-processing must do. */
  note: z.string().optional(),
});

/** A non-image input (RIFE's timestep plane). */
export const AuxInputContractSchema = z.strictObject({
  role: z.literal('aux'),
  name: z.string().min(1).nullable(),
  layout: z.enum(['NCHW', 'NHWC', 'CHW', 'scalar']),
  meaning: z.string().min(1),
  range: z.tuple([z.number(), z.number()]).optional(),
});

export const InputContractSchema = z.union([AuxInputContractSchema, ImageInputContractSchema]);

export const OutputContractSchema = z.strictObject({
  name: z.string().min(1).nullable(),
  meaning: z.string().min(1),
  range: z.tuple([z.number(), z.number()]).optional(),
});

export const TensorContractSchema = z.strictObject({
  inputs: z.array(InputContractSchema).min(1),
  outputs: z.array(OutputContractSchema).min(1),
});

export const CatalogEntrySchema = z
  .strictObject({
    id: z.string().regex(/^(builtin:)?[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ - (builtin ids start with "builtin:")'),
    task: ModelTaskSchema,
    title: z.string().min(1),
    /**
     * download: fetched by `models pull` from `urls`; manual: no published ONNX, the user
     * places or adds the file; builtin: built in code, no file.
     */
    distribution: z.enum(['download', 'manual', 'builtin']),
    /** File name inside the model store. */
    file: z.string().regex(/^[A-Za-z0-9._-]+\.onnx$/, 'a plain .onnx file name').nullable(),
    urls: z.array(z.url({ protocol: /^https?$/ })),
    /** Bytes of the upstream file; null where no authoritative size is known. */
    size: z.number().int().positive().nullable(),
    sha256: sha256Hex.nullable(),
    /** An MD5 the upstream project publishes; checked as well when present. */
    md5: md5Hex.optional(),
    /** True only when sha256 comes from a checksum the upstream publishes (see checksumSource). */
    verified: z.boolean(),
    /** Where the checksum was read. */
    checksumSource: z.string().optional(),
    licence: z.string().min(1),
    /** Homepage of the upstream model or conversion. */
    source: z.string().min(1),
    /** The default model of its task (at most one per task). */
    default: z.boolean().optional(),
    contract: TensorContractSchema,
    /** SHA-256 of the team's reference copy under ../shared/models (not necessarily the upstream bytes). */
    shelfSha256: sha256Hex.optional(),
    /** That copy's path relative to ../shared/models. */
    shelfPath: z.string().optional(),
    note: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message: `${e.id}: ${message}` });
    if (e.verified && (!e.sha256 || !e.checksumSource)) issue('verified needs sha256 and checksumSource');
    if (!e.sha256 && e.verified) issue('an entry without sha256 cannot be verified');
    if (!e.sha256 && e.distribution !== 'builtin' && !e.note) issue('an entry without sha256 needs a note saying why');
    if (e.distribution === 'download' && (e.urls.length === 0 || !e.file)) issue('a download entry needs urls and file');
    if (e.distribution === 'manual' && (e.urls.length > 0 || !e.file || !e.note)) issue('a manual entry has no urls, a file name and a note');
    if (e.distribution === 'builtin' && (!e.id.startsWith('builtin:') || e.urls.length > 0 || e.file)) issue('a builtin entry is "builtin:NAME" with no urls and no file');
    if (e.distribution !== 'builtin' && e.id.startsWith('builtin:')) issue('only builtin entries use the builtin: prefix');
    if (!!e.shelfSha256 !== !!e.shelfPath) issue('shelfSha256 and shelfPath go together');
  });

export const CatalogSchema = z
  .strictObject({
    $comment: z.string().optional(),
    version: z.literal(1),
    models: z.array(CatalogEntrySchema).min(1),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    const files = new Set<string>();
    const defaults = new Set<string>();
    for (const m of c.models) {
      if (ids.has(m.id)) ctx.addIssue({ code: 'custom', message: `duplicate id ${m.id}` });
      ids.add(m.id);
      if (m.file) {
        if (files.has(m.file)) ctx.addIssue({ code: 'custom', message: `duplicate file ${m.file}` });
        files.add(m.file);
      }
      if (m.default) {
        if (defaults.has(m.task)) ctx.addIssue({ code: 'custom', message: `two defaults for task ${m.task}` });
        defaults.add(m.task);
      }
    }
  });

export type Catalog = z.infer<typeof CatalogSchema>;
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
export type TensorContract = z.infer<typeof TensorContractSchema>;
export type ImageInputContract = z.infer<typeof ImageInputContractSchema>;
export type InputContract = z.infer<typeof InputContractSchema>;

/** models/catalog.json in the repository. */
export const DEFAULT_CATALOG_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'catalog.json');

/** Validates catalog JSON; `label` names its origin in errors. */
export function parseCatalog(json: unknown, label = 'catalog'): Catalog {
  const r = CatalogSchema.safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 8).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DreamLayerError('INTERNAL', {
      message: `The model catalog ${label} is invalid: ${lines.join('; ')}.`,
      hint: 'Restore models/catalog.json from the release, or fix the fields named.',
    });
  }
  return r.data;
}

/** Reads and validates a catalog file. */
export function loadCatalog(file: string = DEFAULT_CATALOG_PATH): Catalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DreamLayerError('INTERNAL', { message: `The model catalog ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? e}).`, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DreamLayerError('INTERNAL', { message: `The model catalog ${file} is not valid JSON (${(e as Error).message}).`, cause: e });
  }
  return parseCatalog(json, file);
}

let cached: { file: string; catalog: Catalog } | undefined;

/**
 * The catalog in use, loaded on first use: models/catalog.json, or the file named by
 * DREAMLAYER_CATALOG (a studio's own catalog pointing at an internal mirror; tests).
 */
export function defaultCatalog(): Catalog {
  const file = process.env.DREAMLAYER_CATALOG ? path.resolve(process.env.DREAMLAYER_CATALOG) : DEFAULT_CATALOG_PATH;
  if (cached?.file !== file) cached = { file, catalog: loadCatalog(file) };
  return cached.catalog;
}

/** The entry with this id, or undefined. */
export function findModel(id: string, catalog: Catalog = defaultCatalog()): CatalogEntry | undefined {
  return catalog.models.find((m) => m.id === id);
}

/** Catalog entries, optionally of one task, in catalog order. */
export function listModels(opts: { task?: string; catalog?: Catalog } = {}): CatalogEntry[] {
  const catalog = opts.catalog ?? defaultCatalog();
  return opts.task ? catalog.models.filter((m) => m.task === opts.task) : [...catalog.models];
}

/** The default entry of a task, if the catalog names one. */
export function defaultModelFor(task: string, catalog: Catalog = defaultCatalog()): CatalogEntry | undefined {
  return catalog.models.find((m) => m.task === task && m.default);
}

export function isModelTask(s: string): s is ModelTask {
  return (MODEL_TASKS as readonly string[]).includes(s);
}
