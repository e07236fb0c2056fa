import { expect } from 'vitest';
import { DreamLayerError, type ErrorCode } from '../../shared/src/errors.ts';

/** Runs `fn`, expects it to throw a DreamLayerError with `code`, and returns it so a test can check its wording. */
export function expectDreamLayerError(fn: () => unknown, code: ErrorCode): DreamLayerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DreamLayerError);
    expect((e as DreamLayerError).code).toBe(code);
    return e as DreamLayerError;
  }
  throw new Error(`expected a ${code} error`);
}
