/** The pairing token: 32 random bytes as 64 hex characters, compared in constant time. */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Constant-time comparison. timingSafeEqual needs equal lengths, so both sides
 * are compared as fixed 64-byte buffers and the length check is folded in after,
 * leaking nothing about the secret's content through timing.
 */
export function tokensEqual(given: unknown, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.alloc(64);
  const b = Buffer.alloc(64);
  a.write(given.slice(0, 64), 'utf8');
  b.write(secret, 'utf8');
  const same = timingSafeEqual(a, b);
  return same && given.length === secret.length && secret.length > 0;
}
