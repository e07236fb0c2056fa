import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipe, recipeToJobSpec } from '../../../daemon/src/pipeline/recipe.ts';
import { DreamLayerError } from '../../../shared/src/errors.ts';

const base = path.join(os.tmpdir(), 'recipes');
const recipe = {
  comment: 'stylize, then ×2 with Real-ESRGAN, then H.265',
  effect: 'stylize',
  params: { temporal: 0.8 },
  input: { path: 'clips/in.mp4', frames: { first: 0, last: 47 } },
  output: { dir: 'renders', format: 'h265', movieName: 'final.mp4', crf: 20 },
  then: [{ effect: 'upscale', params: { scale: 2, memoryMb: 512 }, model: 'models/realesr-animevideov3-x2.onnx' }],
};

function problem(fn: () => unknown): DreamLayerError {
  try {
    fn();
  } catch (e) {
    return e as DreamLayerError;
  }
  throw new Error('expected an error');
}

describe('recipes', () => {
  it('resolve relative paths against the recipe folder; catalog ids and absolute paths stay', () => {
    const job = recipeToJobSpec(recipe, base);
    expect(job.input.path).toBe(path.join(base, 'clips/in.mp4'));
    expect(job.output).toMatchObject({ dir: path.join(base, 'renders'), format: 'h265', movieName: 'final.mp4', crf: 20 });
    expect(job.then).toEqual([{ effect: 'upscale', params: { scale: 2, memoryMb: 512 }, model: path.join(base, 'models/realesr-animevideov3-x2.onnx') }]);
    const byId = recipeToJobSpec({ ...recipe, model: 'builtin:toon', then: [{ effect: 'upscale', model: 'realesr-animevideov3-x2' }] }, base);
    expect(byId.model).toBe('builtin:toon');
    expect(byId.then[0].model).toBe('realesr-animevideov3-x2');
    expect(recipeToJobSpec({ ...recipe, input: { path: '/abs/in.mp4' } }, base).input.path).toBe(path.resolve('/abs/in.mp4'));
  });

  it('refuse unknown keys at every level, naming them', () => {
    expect(problem(() => recipeToJobSpec({ ...recipe, than: [] }, base)).message).toMatch(/than: unknown key/);
    expect(problem(() => recipeToJobSpec({ ...recipe, output: { ...recipe.output, quality: 1 } }, base)).message).toMatch(/output\.quality: unknown key/);
    expect(problem(() => recipeToJobSpec({ ...recipe, then: [{ effect: 'upscale', parms: {} }] }, base)).message).toMatch(/then\.0\.parms: unknown key/);
  });

  it('validate effects and parameters of every step like any job', () => {
    const e1 = problem(() => recipeToJobSpec({ ...recipe, then: [{ effect: 'upscale', params: { scale: 9 } }] }, base));
    expect(e1.code).toBe('PARAM_INVALID');
    expect(e1.message).toMatch(/upscale parameters: scale must be between 2 and 4/);
    expect(problem(() => recipeToJobSpec({ ...recipe, then: [{ effect: 'sharpen' }] }, base)).code).toBe('EFFECT_UNKNOWN');
    expect(problem(() => recipeToJobSpec({ ...recipe, input: undefined }, base)).message).toMatch(/input/);
    expect(problem(() => recipeToJobSpec([1, 2], base)).code).toBe('PARAM_INVALID');
  });

  it('take overrides for input, output (the recipe keeps its movie codec), range and device', () => {
    const job = recipeToJobSpec(recipe, base, { input: '/data/other.mov', output: { path: '/out/shot12.mp4' }, frames: { first: 100, last: 199 }, device: 'cpu' });
    expect(job.input).toEqual({ path: path.resolve('/data/other.mov'), frames: { first: 100, last: 199 } });
    expect(job.output).toMatchObject({ dir: path.resolve('/out'), movieName: 'shot12.mp4', format: 'h265', crf: 20 });
    expect(job.device).toBe('cpu');
    const frames = recipeToJobSpec(recipe, base, { output: { path: '/out/frames' } });
    expect(frames.output).toMatchObject({ dir: path.resolve('/out/frames'), format: 'png' });
    expect(frames.output.movieName).toBeUndefined();
    expect(recipeToJobSpec(recipe, base, { output: { path: '/out/a.mov', format: 'prores' } }).output.format).toBe('prores');
  });

  it('read from a file: bad JSON and missing files are clear errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-recipe-'));
    const file = path.join(dir, 'job.json');
    fs.writeFileSync(file, JSON.stringify(recipe));
    const job = await loadRecipe(file);
    expect(job.input.path).toBe(path.join(dir, 'clips/in.mp4'));
    fs.writeFileSync(file, '{ "effect": "stylize", }');
    await expect(loadRecipe(file)).rejects.toMatchObject({ code: 'PARAM_INVALID', message: expect.stringMatching(/not valid JSON/) });
    await expect(loadRecipe(path.join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
