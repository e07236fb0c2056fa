import { describe, expect, it } from 'vitest';
import { bearerToken, classifyOrigin, hostAllowed } from '../../../daemon/src/server/request-guard.ts';
import { newToken, tokensEqual, TOKEN_PATTERN } from '../../../daemon/src/server/token.ts';

describe('hostAllowed', () => {
  it('accepts loopback names with our port only', () => {
    for (const h of ['127.0.0.1:5000', 'localhost:5000', 'LOCALHOST:5000', '[::1]:5000']) expect(hostAllowed(h, 5000), h).toBe(true);
    for (const h of [undefined, '', '127.0.0.1:5001', '127.0.0.1', 'evil.com:5000', 'localhost.evil.com:5000', '127.0.0.2:5000', '0.0.0.0:5000', '[::2]:5000', '127.0.0.1:5000:1', 'a b:5000']) {
      expect(hostAllowed(h, 5000), String(h)).toBe(false);
    }
    expect(hostAllowed('127.0.0.1', 80)).toBe(true);
  });
});

describe('classifyOrigin', () => {
  it('sorts origins into none, self, panel and refused', () => {
    expect(classifyOrigin(undefined, 5000)).toBe('none');
    expect(classifyOrigin('http://127.0.0.1:5000', 5000)).toBe('self');
    expect(classifyOrigin('http://localhost:5000', 5000)).toBe('self');
    for (const o of ['null', 'file://', 'uxp://com.acme.plugin', 'plugin://com.acme']) expect(classifyOrigin(o, 5000), o).toBe('panel');
    for (const o of ['http://127.0.0.1:5001', 'https://127.0.0.1:5000', 'http://evil.com', 'file:///etc', 'uxp://', 'uxp://a/b', 'chrome-extension://x', '']) {
      expect(classifyOrigin(o, 5000), o).toBe('refused');
    }
  });
});

describe('tokens', () => {
  it('makes 64-hex tokens and compares them exactly', () => {
    const t = newToken();
    expect(t).toMatch(TOKEN_PATTERN);
    expect(newToken()).not.toBe(t);
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(t.toUpperCase(), t)).toBe(false);
    expect(tokensEqual(t.slice(0, 63), t)).toBe(false);
    expect(tokensEqual(`${t}x`, t)).toBe(false);
    expect(tokensEqual('', t)).toBe(false);
    expect(tokensEqual(undefined, t)).toBe(false);
    expect(tokensEqual(42, t)).toBe(false);
    expect(tokensEqual('', '')).toBe(false);
  });

  it('reads Bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});
