/** Shared helpers for benchmark scripts. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = path.resolve(REPO, '..', 'shared');

/** Runs a TypeScript script in a fresh Node process and parses the last JSON line it prints (to measure peak RSS per run). */
export function runChild(script: string, args: string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(REPO, 'bin/run-ts.js'), path.join(REPO, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || !line) reject(new Error(`${script} exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

export function fmt(n: number, d = 2): string {
  return n.toFixed(d);
}
