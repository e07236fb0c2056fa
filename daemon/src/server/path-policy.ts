/**
 * Path confinement: every input, output and model path a client sends must lie
 * inside a folder the user allowed (`serve --allow DIR`, default: the home
 * folder), judged after resolving `..` and every symlink. For a path that does
 * not exist yet (an output folder), the nearest existing ancestor is resolved
 * and the rest appended, so a symlinked parent cannot lead outside.
 *
 * Limits (documented): the check runs at submit and again right before the job
 * runs; a symlink created inside an allowed folder between that check and the
 * engine's open could still redirect a write (TOCTOU). Allow folders that other
 * users cannot write to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DreamLayerError } from '../../../shared/src/errors.ts';

export type PathRole = 'input' | 'output' | 'model';

/** Resolves symlinks of the longest existing prefix of an absolute, normalised path. */
export function realpathNearest(p: string): string {
  let cur = p;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync.native(cur);
      return rest.length ? path.join(real, ...rest.reverse()) : real;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOENT/ENOTDIR: walk up. ELOOP and others: refuse rather than guess.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';
const norm = (p: string): string => (caseInsensitive ? p.toLowerCase() : p);

/** True when `child` is `root` or inside it (both absolute and real). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(norm(root), norm(child));
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

export class PathPolicy {
  /** Real paths of the allowed folders. */
  readonly roots: readonly string[];
  /** Extra folders allowed for inputs only (the daemon's own frames uploads). */
  readonly inputRoots: readonly string[];

  constructor(allowed: readonly string[], inputOnly: readonly string[] = []) {
    const real = (d: string) => {
      const abs = path.resolve(d);
      try {
        return fs.realpathSync.native(abs);
      } catch {
        return abs;
      }
    };
    this.roots = [...new Set(allowed.map(real))];
    this.inputRoots = [...new Set(inputOnly.map(real))];
  }

  /**
   * Returns the absolute, normalised path (symlinks kept as the user wrote them)
   * or throws PATH_NOT_ALLOWED. The containment test uses the fully resolved path.
   */
  check(p: string, role: PathRole): string {
    const refuse = (why: string): never => {
      throw new DreamLayerError('PATH_NOT_ALLOWED', {
        stage: 'validate',
        message: `The ${role} path ${JSON.stringify(p.length > 300 ? `${p.slice(0, 300)}…` : p)} ${why}.`,
        hint: `Allowed folders: ${this.roots.join(', ') || '(none)'}. Start the daemon with --allow DIR to add one.`,
      });
    };
    if (typeof p !== 'string' || p.length === 0) refuse('is empty');
    if (p.includes('\0')) refuse('contains a NUL character');
    if (!path.isAbsolute(p)) refuse('is not absolute (the daemon has no meaningful working folder; send full paths)');
    const abs = path.resolve(p);
    let real: string;
    try {
      real = realpathNearest(abs);
    } catch (e) {
      return refuse(`cannot be resolved (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const roots = role === 'input' ? [...this.roots, ...this.inputRoots] : this.roots;
    if (!roots.some((r) => isInside(r, real))) refuse(real === abs ? 'is outside the allowed folders' : `resolves to ${real}, outside the allowed folders`);
    return abs;
  }

  /** A model reference is a path when it looks like one; catalog ids and builtin:… names pass unchanged. */
  checkModel(model: string | undefined): string | undefined {
    if (model === undefined) return undefined;
    const looksLikePath = path.isAbsolute(model) || /[\\/]/.test(model) || /\.onnx$/i.test(model) || model.startsWith('.');
    return looksLikePath ? this.check(model, 'model') : model;
  }
}
