import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathPolicy, isInside, realpathNearest } from '../../../daemon/src/server/path-policy.ts';

let root: string;
let allowed: string;
let outside: string;
let policy: PathPolicy;

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-paths-')));
  allowed = path.join(root, 'allowed');
  outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(allowed, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'f.mp4'), 'x');
  fs.writeFileSync(path.join(allowed, 'in.mp4'), 'x');
  fs.symlinkSync(outside, path.join(allowed, 'out-link'));
  fs.symlinkSync(path.join(allowed, 'sub'), path.join(allowed, 'in-link'));
  fs.symlinkSync(path.join(allowed, 'in.mp4'), path.join(outside, 'back-in.mp4'));
  fs.symlinkSync(path.join(allowed, 'loop'), path.join(allowed, 'loop'));
  policy = new PathPolicy([allowed], [path.join(root, 'uploads')]);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const refused = (p: string, role: 'input' | 'output' | 'model' = 'output') => {
  try {
    policy.check(p, role);
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('PathPolicy', () => {
  it('accepts paths inside an allowed folder, existing or not, and returns them normalised', () => {
    expect(policy.check(path.join(allowed, 'in.mp4'), 'input')).toBe(path.join(allowed, 'in.mp4'));
    expect(policy.check(path.join(allowed, 'new', 'deeper', 'out'), 'output')).toBe(path.join(allowed, 'new', 'deeper', 'out'));
    expect(policy.check(`${allowed}/sub/../x`, 'output')).toBe(path.join(allowed, 'x'));
    expect(policy.check(allowed, 'output')).toBe(allowed);
    expect(policy.check(path.join(allowed, 'in-link', 'o'), 'output')).toBe(path.join(allowed, 'in-link', 'o'));
    // A symlink from outside into an allowed folder is judged by its target.
    expect(policy.check(path.join(outside, 'back-in.mp4'), 'input')).toBe(path.join(outside, 'back-in.mp4'));
    expect(policy.check(path.join(allowed, 'seq', 'frame_%06d.png'), 'input')).toBe(path.join(allowed, 'seq', 'frame_%06d.png'));
  });

  it('refuses outside paths, `..` escapes, symlink escapes, relative paths, NUL and loops', () => {
    expect(refused(path.join(outside, 'f.mp4'), 'input')).toBe('PATH_NOT_ALLOWED');
    expect(refused(`${allowed}/../outside/o`)).toBe('PATH_NOT_ALLOWED');
    expect(refused(`${allowed}/sub/../../outside`)).toBe('PATH_NOT_ALLOWED');
    expect(refused(path.join(allowed, 'out-link'))).toBe('PATH_NOT_ALLOWED');
    expect(refused(path.join(allowed, 'out-link', 'not', 'yet'))).toBe('PATH_NOT_ALLOWED');
    expect(refused(path.join(allowed, 'out-link', 'f.mp4'), 'input')).toBe('PATH_NOT_ALLOWED');
    expect(refused('relative/out')).toBe('PATH_NOT_ALLOWED');
    expect(refused('')).toBe('PATH_NOT_ALLOWED');
    expect(refused(`${allowed}/a\u0000b`)).toBe('PATH_NOT_ALLOWED');
    expect(refused(path.join(allowed, 'loop', 'x'))).toBe('PATH_NOT_ALLOWED');
    // A sibling whose name starts like the allowed folder is not inside it.
    expect(refused(`${allowed}-evil/x`)).toBe('PATH_NOT_ALLOWED');
  });

  it('allows the uploads folder for inputs only', () => {
    expect(policy.check(path.join(root, 'uploads', 'u1', 'frame_%06d.png'), 'input')).toContain('uploads');
    expect(refused(path.join(root, 'uploads', 'u1'), 'output')).toBe('PATH_NOT_ALLOWED');
  });

  it('treats path-like model references as paths and ids as ids', () => {
    expect(policy.checkModel(undefined)).toBeUndefined();
    expect(policy.checkModel('builtin:toon')).toBe('builtin:toon');
    expect(policy.checkModel('candy-9')).toBe('candy-9');
    expect(() => policy.checkModel(path.join(outside, 'm.onnx'))).toThrow(/outside the allowed folders/);
    expect(() => policy.checkModel('m.onnx')).toThrow(/not absolute/);
    expect(() => policy.checkModel('../m')).toThrow();
  });

  it('realpathNearest resolves the existing prefix and keeps the rest', () => {
    expect(realpathNearest(path.join(allowed, 'out-link', 'a', 'b'))).toBe(path.join(outside, 'a', 'b'));
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
  });
});

describe('file parameters', () => {
  it('confines an effect parameter marked isPath (dream guide image) like the input', async () => {
    const { confineSpec } = await import('../../../daemon/src/server/job-submission.ts');
    const { PathPolicy } = await import('../../../daemon/src/server/path-policy.ts');
    const { DREAM } = await import('../../../shared/src/params/dream.ts');
    const os = await import('node:os');
    const fsm = await import('node:fs');
    const pathm = await import('node:path');
    const root = fsm.realpathSync(fsm.mkdtempSync(pathm.join(os.tmpdir(), 'dl-guide-')));
    const policy = new PathPolicy([root], []);
    const spec = { effect: 'dream', params: { guide: '/etc/hostname' }, device: 'auto' as const, input: { path: pathm.join(root, 'a.png') }, output: { dir: pathm.join(root, 'out'), format: 'png' as const }, then: [] };
    expect(() => confineSpec(spec, policy, [DREAM])).toThrow(expect.objectContaining({ code: 'PATH_NOT_ALLOWED' }));
    const ok = confineSpec({ ...spec, params: { guide: pathm.join(root, 'g.png') } }, policy, [DREAM]);
    expect(ok.params.guide).toBe(pathm.join(root, 'g.png'));
  });
});
