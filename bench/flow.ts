/**
 * Built-in optical flow on MPI-Sintel (../shared/data/flow): average end-point error over valid
 * pixels and over non-occluded ones, and time per pair (single thread, best and median of N runs
 * after a warm-up, and the median CPU time), per preset and pass. Targets (issue): alley_1 EPE ≤ 0.34
 * clean / 0.33 final, market_5 ≤ 16, ≤ 150 ms per pair for the default preset.
 *
 *   node bin/run-ts.js bench/flow.ts [--presets fast,medium,accurate] [--runs N] [--one-way] [--variants]
 *                                    [--rife [MAXSIDE]] [--json FILE]
 *
 * `--one-way` adds each preset without its forward–backward check (params.consistency = null), timed
 * alternately with it. `--variants` adds the mean EPE over four geometric variants of each pair
 * (as is, mirrored, cropped 24×12 px at the top left, mirrored and cropped at the bottom right): on
 * large motion the coarse-to-fine search is chaotic — a one-pixel change of the pyramid's alignment
 * can flip whole regions between right and wrong — so a change of method should be judged on the
 * mean, not on one outcome. `--rife` also scores RIFE v4.6 from ../shared/models/flow (optionally at
 * a reduced size).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toFloat, type FloatImage } from '../daemon/src/core/image.ts';
import { BUILTIN_FLOW_PRESETS, computeBuiltinFlow, type BuiltinFlowOptions, type BuiltinFlowPreset } from '../daemon/src/flow/builtin-flow.ts';
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

/** The pair mirrored left–right (`flip`) and/or cut to [x0, x1) × [y0, y1). */
function variant(p: Pair, flip: boolean, x0: number, y0: number, x1: number, y1: number): Pair {
  const W = p.gt.width, w = x1 - x0, h = y1 - y0;
  const src = (x: number, y: number) => (y0 + y) * W + (flip ? x1 - 1 - x : x0 + x);
  const img = (im: FloatImage): FloatImage => {
    const C = im.channels, d = new Float32Array(w * h * C);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) d[(y * w + x) * C + c] = im.data[src(x, y) * C + c];
    return { width: w, height: h, channels: C, data: d };
  };
  const gt: FlowField = { width: w, height: h, u: new Float32Array(w * h), v: new Float32Array(w * h) };
  const valid = new Uint8Array(w * h), noc = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = src(x, y), q = y * w + x;
    gt.u[q] = flip ? -p.gt.u[o] : p.gt.u[o]; gt.v[q] = p.gt.v[o]; valid[q] = p.valid[o]; noc[q] = p.noc[o];
  }
  return { name: p.name, a: img(p.a), b: img(p.b), gt, valid, noc };
}

export async function main(argv: string[] = []): Promise<Record<string, unknown>> {
  const presets = (arg(argv, '--presets')?.split(',') ?? ['medium', 'fast']) as BuiltinFlowPreset[];
  for (const p of presets) if (!BUILTIN_FLOW_PRESETS.includes(p)) throw new Error(`unknown preset ${p}`);
  const runs = Number(arg(argv, '--runs') ?? 7);
  const variants = argv.includes('--variants');
  const pairs = await loadPairs();
  const rows: Record<string, unknown>[] = [];
  console.log(`method                     pair             EPE all  EPE noc   best ms  median ms  cpu ms${variants ? '  EPE 4 variants' : ''}`);
  for (const preset of presets) {
    const methods: { name: string; opts: BuiltinFlowOptions }[] = [{ name: `builtin:${preset}`, opts: { preset } }];
    if (argv.includes('--one-way') && preset !== 'fast') methods.push({ name: `builtin:${preset} one-way`, opts: { preset, params: { consistency: null } } });
    // As BuiltinFlowEstimator does: working buffers reused from pair to pair (one pool per method).
    const pools = methods.map(() => new BufferPool());
    for (const p of pairs) {
      const flows = methods.map((m, i) => computeBuiltinFlow(p.a, p.b, m.opts, undefined, pools[i])); // warm-up (JIT)
      const times: number[][] = methods.map(() => []), cpu: number[][] = methods.map(() => []);
      for (let r = 0; r < runs; r++) {
        // ABBA order: each method runs as often first as last, so load drifts fall on both.
        for (let j = 0; j < methods.length; j++) {
          const i = r % 2 ? methods.length - 1 - j : j;
          const t0 = performance.now(), c0 = process.cpuUsage();
          flows[i] = computeBuiltinFlow(p.a, p.b, methods[i].opts, undefined, pools[i]);
          const c = process.cpuUsage(c0);
          times[i].push(performance.now() - t0);
          cpu[i].push((c.user + c.system) / 1000);
        }
      }
      methods.forEach((m, i) => {
        times[i].sort((x, y) => x - y);
        cpu[i].sort((x, y) => x - y);
        let epeVariants: number | undefined;
        if (variants) {
          const W = p.gt.width, H = p.gt.height;
          const vs = [variant(p, false, 0, 0, W, H), variant(p, true, 0, 0, W, H), variant(p, false, 24, 12, W, H), variant(p, true, 0, 0, W - 24, H - 12)];
          epeVariants = vs.reduce((s, q) => s + endPointError(computeBuiltinFlow(q.a, q.b, m.opts), q.gt, q.valid).epe, 0) / vs.length;
        }
        const row = {
          method: m.name,
          pair: p.name,
          epe: endPointError(flows[i], p.gt, p.valid).epe,
          epeNoc: endPointError(flows[i], p.gt, p.noc).epe,
          bestMs: times[i][0],
          medianMs: times[i][times[i].length >> 1],
          cpuMs: cpu[i][cpu[i].length >> 1],
          ...(epeVariants === undefined ? {} : { epeVariants }),
        };
        rows.push(row);
        console.log(`${row.method.padEnd(26)} ${p.name.padEnd(16)} ${fmt(row.epe, 3).padStart(7)}  ${fmt(row.epeNoc, 3).padStart(7)}  ${fmt(row.bestMs, 1).padStart(8)}  ${fmt(row.medianMs, 1).padStart(9)}  ${fmt(row.cpuMs, 1).padStart(6)}${epeVariants === undefined ? '' : fmt(epeVariants, 3).padStart(16)}`);
      });
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
      console.log(`${row.method.padEnd(26)} ${p.name.padEnd(16)} ${fmt(row.epe, 3).padStart(7)}  ${fmt(row.epeNoc, 3).padStart(7)}  ${fmt(ms, 1).padStart(8)}  (all cores)`);
    }
  }
  const out = arg(argv, '--json');
  if (out) await writeFile(out, JSON.stringify(rows, null, 2));
  return { rows };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
