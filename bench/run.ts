/**
 * `npm run bench [name ...]`: runs the named benchmarks (default: all) one after
 * the other and prints their ratios. Benchmarks are not tests: they measure
 * speed on this machine and print numbers; the thresholds they report are the
 * targets from the issues. Arguments from the first `--option` on are left in
 * process.argv for the benchmarks (`npm run bench dream-step -- --runs 5`).
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts'].includes(f) && !f.includes('-child') && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const names = wanted.length ? wanted : available;
for (const n of names) {
  if (!available.includes(n)) {
    console.error(`unknown benchmark "${n}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
for (const n of names) {
  console.log(`\n=== bench ${n} ===`);
  const mod = await import(pathToFileURL(path.join(here, `${n}.ts`)).href);
  if (typeof mod.main === 'function') await mod.main(firstOption < 0 ? [] : args.slice(firstOption));
}
