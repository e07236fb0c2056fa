import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFile } from '../../../daemon/src/logs/log-file.ts';
import { pruneLogs } from '../../../daemon/src/logs/prune-logs.ts';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-logs-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('LogFile', () => {
  it('writes timestamped lines, indents multi-line messages, and rolls over at its size cap', () => {
    const f = new LogFile(path.join(dir, 'a.log'), { maxBytes: 400 });
    f.info('hello');
    f.error('ffmpeg said:\nline one\nline two');
    const text = fs.readFileSync(f.path, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  hello\n.*ERROR ffmpeg said:\n {4}line one\n {4}line two\n$/);
    for (let i = 0; i < 20; i++) f.warn(`line ${i}`);
    f.close();
    expect(fs.existsSync(`${f.path}.1`)).toBe(true);
    expect(fs.statSync(f.path).size).toBeLessThanOrEqual(400);
    expect(fs.readFileSync(f.path, 'utf8')).toContain('line 19');
    f.info('after close is ignored');
  });
});

describe('pruneLogs', () => {
  it('keeps the newest N files and protects the ones in use', () => {
    for (let i = 0; i < 6; i++) {
      const p = path.join(dir, `d${i}.log`);
      fs.writeFileSync(p, 'x'.repeat(100));
      fs.utimesSync(p, 1000 + i, 1000 + i);
    }
    fs.writeFileSync(path.join(dir, 'other.txt'), 'keep');
    const removed = pruneLogs(dir, { keep: 3, protect: [path.join(dir, 'd0.log')] });
    expect(removed.map((p) => path.basename(p)).sort()).toEqual(['d1.log', 'd2.log']);
    expect(fs.readdirSync(dir).sort()).toEqual(['d0.log', 'd3.log', 'd4.log', 'd5.log', 'other.txt']);
    pruneLogs(dir, { keep: 10, maxTotalBytes: 250 });
    expect(fs.readdirSync(dir).sort()).toEqual(['d4.log', 'd5.log', 'other.txt']);
  });
});
