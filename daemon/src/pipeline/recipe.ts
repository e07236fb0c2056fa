/**
 * Recipe files: a whole job — effect chain, model, input, output — as a JSON
 * file in the JobSpec shape (shared/src/job-spec.ts), for scripts and render
 * farms. `dreamlayer run recipe.json` runs it; the panel submits the same shape.
 * Relative paths in a recipe (input, output folder, model files) are read
 * against the recipe's own folder, so a recipe travels with its media.
 * Unknown keys are errors, not silently ignored: a misspelt "then" would
 * otherwise drop a step without a word.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';
import { InputSpecSchema, JobSpecSchema, OutputSpecSchema, StepSpecSchema, type JobSpec, type JobSpecInput } from '../../../shared/src/job-spec.ts';
import { looksLikePath } from '../models/resolve-model.ts';
import { validateJobSpec } from './run-job.ts';

const MOVIE_FORMATS = ['mp4', 'h265', 'prores'];

/** Keys a recipe may carry besides the JobSpec's own (notes for people). */
const NOTE_KEYS = ['$schema', 'comment', 'description'];

export interface RecipeOverrides {
  /** Replaces the recipe's input path (one recipe, many clips). */
  input?: string;
  /**
   * Replaces the recipe's output: a folder (PNG frames) or a movie file (.mp4, .mov, .mkv). The recipe's
   * movie format (e.g. h265) is kept when the new output is a movie too; `format` forces one.
   */
  output?: { path: string; format?: string };
  /** Replaces the frame range (split a clip across machines). */
  frames?: { first: number; last: number };
  device?: JobSpec['device'];
}

function checkKeys(obj: unknown, allowed: string[], where: string, problems: string[]): void {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return; // the schema reports the type
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push(`${where}${k}: unknown key (expected one of ${allowed.join(', ')})`);
}

function unknownKeys(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  checkKeys(raw, [...Object.keys(JobSpecSchema.shape), ...NOTE_KEYS], '', problems);
  checkKeys(raw.input, Object.keys(InputSpecSchema.shape), 'input.', problems);
  checkKeys(raw.output, Object.keys(OutputSpecSchema.shape), 'output.', problems);
  if (Array.isArray(raw.then)) raw.then.forEach((s, i) => checkKeys(s, Object.keys(StepSpecSchema.shape), `then.${i}.`, problems));
  return problems;
}

const resolveModelRef = (ref: unknown, base: string) => (typeof ref === 'string' && looksLikePath(ref) && !path.isAbsolute(ref) ? path.resolve(base, ref) : ref);

/**
 * Turns a parsed recipe into a checked JobSpec: unknown keys refused, relative
 * paths resolved against `baseDir`, overrides applied, then the same validation
 * as every job (schema, effect names, parameters, output format).
 */
export function recipeToJobSpec(raw: unknown, baseDir: string, overrides: RecipeOverrides = {}, label = 'recipe'): JobSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `The ${label} is not a JSON object describing a job.`, hint: 'See docs/upscale.md, "Recipe files", for the format.' });
  }
  const r = raw as Record<string, unknown>;
  const problems = unknownKeys(r);
  if (problems.length) throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `The ${label} has ${problems.join('; ')}.` });
  const job = structuredClone(r) as Record<string, any>;
  for (const k of NOTE_KEYS) delete job[k];
  job.input = typeof job.input === 'object' && job.input ? job.input : {};
  job.output = typeof job.output === 'object' && job.output ? job.output : {};
  if (overrides.input) job.input.path = path.resolve(overrides.input);
  else if (typeof job.input.path === 'string') job.input.path = path.resolve(baseDir, job.input.path);
  if (overrides.frames) job.input.frames = overrides.frames;
  if (overrides.output) {
    const target = path.resolve(overrides.output.path);
    const ext = path.extname(target).toLowerCase();
    const movie = ['.mp4', '.mov', '.mkv'].includes(ext);
    const before = job.output.format as string | undefined;
    const keep = before !== undefined && MOVIE_FORMATS.includes(before) === movie;
    job.output.format = overrides.output.format ?? (keep ? before : movie ? (ext === '.mov' ? 'prores' : 'mp4') : 'png');
    job.output.dir = movie ? path.dirname(target) : target;
    if (movie) job.output.movieName = path.basename(target);
    else delete job.output.movieName;
  } else if (typeof job.output.dir === 'string') job.output.dir = path.resolve(baseDir, job.output.dir);
  if (overrides.device) job.device = overrides.device;
  job.model = resolveModelRef(job.model, baseDir);
  if (Array.isArray(job.then)) job.then = job.then.map((s: Record<string, unknown>) => (s && typeof s === 'object' ? { ...s, model: resolveModelRef(s.model, baseDir) } : s));
  return validateJobSpec(job as JobSpecInput);
}

/** Reads and checks a recipe file (see {@link recipeToJobSpec}). */
export async function loadRecipe(file: string, overrides: RecipeOverrides = {}): Promise<JobSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DreamLayerError('INPUT_NOT_FOUND', { stage: 'validate', message: `The recipe "${file}" cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DreamLayerError('PARAM_INVALID', { stage: 'validate', message: `The recipe "${file}" is not valid JSON (${(e as Error).message}).`, hint: 'Check it with a JSON validator: commas, quotes, no comments.' });
  }
  return recipeToJobSpec(raw, path.dirname(path.resolve(file)), overrides, `recipe "${file}"`);
}
