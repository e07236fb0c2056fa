/** Job ids sort by creation time (base-36 milliseconds) and carry 48 random bits. */
import { randomBytes } from 'node:crypto';

export function newJobId(prefix = 'j'): string {
  return `${prefix}-${Date.now().toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}
