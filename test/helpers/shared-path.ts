import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The team's reference shelf beside the repository (real models and data). */
export const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
export const sharedModel = (rel: string): string => path.join(SHARED, 'models', rel);
export const sharedData = (rel: string): string => path.join(SHARED, 'data', rel);
