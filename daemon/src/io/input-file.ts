/** Checks on an input path before any decoder sees it, so the common failures get their own codes. */
import fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { DreamLayerError, type ErrorStage } from '../../../shared/src/errors.ts';

/**
 * Stats an input: missing → INPUT_NOT_FOUND; a regular file of 0 bytes → INPUT_EMPTY; unreadable → INPUT_UNREADABLE.
 * Folders are returned as is (a folder may hold an image sequence); `allowDir: false` refuses them.
 */
export async function checkInputPath(p: string, opts: { stage?: ErrorStage; allowDir?: boolean } = {}): Promise<Stats> {
  const stage = opts.stage ?? 'probe';
  let st: Stats;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DreamLayerError('INPUT_NOT_FOUND', { message: `The input "${p}" does not exist.`, stage, cause: e });
    }
    throw new DreamLayerError('INPUT_UNREADABLE', { message: `The input "${p}" cannot be read (${(e as Error).message}).`, stage, cause: e });
  }
  if (st.isDirectory()) {
    if (opts.allowDir === false) throw new DreamLayerError('INPUT_UNREADABLE', { message: `The input "${p}" is a folder, not a file.`, stage });
    return st;
  }
  if (st.isFile() && st.size === 0) throw new DreamLayerError('INPUT_EMPTY', { message: `The input "${p}" is empty (0 bytes).`, stage });
  return st;
}
