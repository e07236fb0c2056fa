/**
 * Built-in optical flow on MPI-Sintel (../shared/data/flow): average end-point error over valid
 * pixels and over non-occluded ones, and time per pair (single thread, best and median of N runs
 * after a warm-up), per preset and pass. Targets (issue): alley_1 EPE ≤ 0.34 clean / 0.33 final,
 * market_5 ≤ 16, ≤ 150 ms per pair for the default preset.
 *
 *   node bin/run-ts.js bench/flow.ts [--presets fast,medium,accurate] [--runs N] [--rife [MAXSIDE]] [--json FILE]
 *
 * `--rife` also scores RIFE v4.6 from ../shared/models/flow (optionally at a reduced size).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toFloat, type FloatImage } from '../daemon/src/core/image.ts';
import { BUILTIN_FLOW_PRESETS, computeBuiltinFlow, type BuiltinFlowPreset } from '../daemon/src/flow/builtin-flow.ts';
import { BufferPool } from '../daemon/src/flow/dis/buffer-pool.ts';
import { readFlo } from '../daemon/src/flow/flo-file.ts';
import { endPointError } from '../daemon/src/flow/flow-metrics.ts';
import { RifeFlowEstimator } from '../daemon/src/flow/rife-flow.ts';
import type { FlowField } from '../daemon/src/flow/types.ts';
import { readImage } from '../daemon/src/io/image-file.ts';
import { fmt, SHARED } from './_util.ts';

interface Pair { name: string; a: FloatImage; b: FloatImage; gt: FlowField; valid: Uint8Array; noc: Uint8Array }

async function loadPairs(): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (const seq of ['alley_1', 'market_5']) {
    const base = path.join(SHARED, 'data', 'flow', `sintel_${seq}`);
    const gt = await readFlo(path.join(base, 'gt', 'frame_0002.flo'));
    const inv = await readImage(path.join(base, 'gt', 'invalid', 'frame_0002.png'), { channels: 1 });
    const occ = await readImage(path.join(base, 'gt', 'occlusions', 'frame_0002.png'), { channels: 1 });
    const n = gt.width * gt.height;
    const valid = new Uint8Array(n), noc = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      valid[i] = inv.data[i] ? 0 : 1;
      noc[i] = !inv.data[i] && !occ.data[i] ? 1 : 0;
    }
    for (const pass of ['clean', 'final']) {
      const a = toFloat(await readImage(path.join(base, pass, 'frame_0002.png')));
      const b = toFloat(await readImage(path.join(base, pass, 'frame_0003.png')));
      pairs.push({ name: `${seq} ${pass}`, a, b, gt, valid, noc });
    }
  }
  return pairs;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
  const presets = (arg(argv, '--presets')?.split(',') ?? ['medium', 'fast']) as BuiltinFlowPreset[];
  for (const p of presets) if (!BUILTIN_FLOW_PRESETS.includes(p)) throw new Error(`unknown preset ${p}`);
  const runs = Number(arg(argv, '--runs') ?? 7);
  const pairs = await loadPairs();
  const rows: Record<string, unknown>[] = [];
  console.log('method            pair             EPE all  EPE noc   best ms  median ms  cpu ms');
  for (const preset of presets) {
    // As BuiltinFlowEstimator does: working buffers reused from pair to pair.
    const pool = new BufferPool();
    for (const p of pairs) {
      let flow = computeBuiltinFlow(p.a, p.b, { preset }, undefined, pool); // warm-up (JIT)
      const times: number[] = [], cpu: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now(), c0 = process.cpuUsage();
        flow = computeBuiltinFlow(p.a, p.b, { preset }, undefined, pool);
        const c = process.cpuUsage(c0);
        times.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
      times.sort((x, y) => x - y);
      cpu.sort((x, y) => x - y);
      const row = {
        method: `builtin:${preset}`,
        pair: p.name,
        epe: endPointError(flow, p.gt, p.valid).epe,
        epeNoc: endPointError(flow, p.gt, p.noc).epe,
        bestMs: times[0],
        medianMs: times[times.length >> 1],
        cpuMs: cpu[cpu.length >> 1],
      };
      rows.push(row);
      console.log(`${row.method.padEnd(17)} ${p.name.padEnd(16)} ${fmt(row.epe, 3).padStart(7)}  ${fmt(row.epeNoc, 3).padStart(7)}  ${fmt(row.bestMs, 1).padStart(8)}  ${fmt(row.medianMs, 1).padStart(9)}  ${fmt(row.cpuMs, 1).padStart(6)}`);
    }
  }
  if (argv.includes('--rife')) {
    const next = arg(argv, '--rife');
    const maxSide = next && /^\d+$/.test(next) ? Number(next) : undefined;
    const est = new RifeFlowEstimator(path.join(SHARED, 'models', 'flow', 'rife-v4.6.onnx'), { device: 'cpu', maxSide });
    for (const p of pairs) {
      await est.estimate(p.a, p.b);
      const t0 = performance.now();
      const flow = await est.estimate(p.a, p.b);
      const ms = performance.now() - t0;
      const row = { method: est.name, pair: p.name, epe: endPointError(flow, p.gt, p.valid).epe, epeNoc: endPointError(flow, p.gt, p.noc).epe, bestMs: ms, medianMs: ms };
      rows.push(row);
      console.log(`${row.method.padEnd(17)} ${p.name.padEnd(16)} ${fmt(row.epe, 3).padStart(7)}  ${fmt(row.epeNoc, 3).padStart(7)}  ${fmt(ms, 1).padStart(8)}  (all cores)`);
    }
  }
  const out = arg(argv, '--json');
  if (out) await writeFile(out, JSON.stringify(rows, null, 2));
  return { rows };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
