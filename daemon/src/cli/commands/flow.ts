/**
 * `dreamlayer flow A B -o out.flo [--method builtin|builtin:PRESET|rife|ID|FILE] [--viz out.png]`:
 * optical flow between two images, written as a Middlebury .flo (flow from A to B on A's grid).
 *
 * `dreamlayer eval warp-error SOURCE RESULT_DIR [--flow builtin|rife|…] [--json]`: temporal
 * stability of a result folder (Lai et al. warping error, flow on the source frames).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { DreamLayerError } from '../../../../shared/src/errors.ts';
import type { ResultRecord } from '../../../../shared/src/job-spec.ts';
import { toFloat, type FloatImage } from '../../core/image.ts';
import { openSource } from '../../io/decode.ts';
import { frameFileName } from '../../io/frame-pattern.ts';
import { readImage, writePng } from '../../io/image-file.ts';
import { createFlowEstimator, EVAL_FLOW_METHOD } from '../../flow/create-flow-estimator.ts';
import { writeFlo } from '../../flow/flo-file.ts';
import { flowToColor } from '../../flow/flow-viz.ts';
import { warpError, type WarpErrorRecord } from '../../flow/warp-error.ts';
import { parseDevice } from '../../runtime/providers.ts';
import { readFile } from 'node:fs/promises';

interface FlowCliOptions {
  output: string;
  method: string;
  viz?: string;
  device: string;
  maxSide?: string;
}

function maxSideOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 32) throw new DreamLayerError('PARAM_INVALID', { message: `--max-side must be an integer of at least 32, got "${v}".` });
  return n;
}

async function runFlow(a: string, b: string, o: FlowCliOptions): Promise<void> {
  const estimator = await createFlowEstimator(o.method, { device: parseDevice(o.device), maxSide: maxSideOf(o.maxSide) });
  const [ia, ib] = await Promise.all([readImage(a), readImage(b)]);
  if (ia.width !== ib.width || ia.height !== ib.height) {
    throw new DreamLayerError('PARAM_INVALID', {
      message: `${a} is ${ia.width}x${ia.height} but ${b} is ${ib.width}x${ib.height}.`,
      hint: 'Optical flow needs two images of the same size.',
    });
  }
  const t0 = performance.now();
  const flow = await estimator.estimate(toFloat(ia), toFloat(ib));
  const ms = performance.now() - t0;
  await writeFlo(o.output, flow);
  if (o.viz) await writePng(o.viz, flowToColor(flow));
  let max = 0, sum = 0;
  for (let i = 0; i < flow.u.length; i++) {
    const m = Math.hypot(flow.u[i], flow.v[i]);
    sum += m;
    if (m > max) max = m;
  }
  console.log(`${o.output}: ${flow.width}x${flow.height} flow by ${estimator.name} in ${ms.toFixed(0)} ms; mean |w| ${(sum / flow.u.length).toFixed(2)} px, max ${max.toFixed(1)} px`);
}

async function readResultRecord(dir: string): Promise<ResultRecord> {
  const file = path.join(dir, 'result.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DreamLayerError('INPUT_NOT_FOUND', { message: `${file} does not exist.`, hint: 'Pass a result folder written by DreamLayer (it holds result.json).', cause: e });
  }
  const rec = JSON.parse(text) as ResultRecord;
  if (!rec.pattern || !rec.frames) {
    throw new DreamLayerError('INPUT_UNREADABLE', {
      message: `${file} names no frame sequence (pattern ${rec.pattern ?? 'null'}).`,
      hint: 'Run the effect with --format png, or keep the frames of a movie output (--keep-frames).',
    });
  }
  return rec;
}

async function runWarpError(source: string, dir: string, o: { flow: string; json?: boolean; device: string; maxSide?: string }): Promise<void> {
  const rec = await readResultRecord(dir);
  const { first, last } = rec.frames;
  const estimator = await createFlowEstimator(o.flow, { device: parseDevice(o.device), maxSide: maxSideOf(o.maxSide) });
  const outputs: FloatImage[] = [];
  for (let i = first; i <= last; i++) outputs.push(toFloat(await readImage(path.join(dir, frameFileName(rec.pattern!, i)))));
  const src = await openSource(source, { frames: { first, last } });
  const sources: FloatImage[] = [];
  for await (const f of src.frames) sources.push(toFloat(f.image));
  const report: WarpErrorRecord & { source: string; result: string; first: number; last: number } = {
    source,
    result: dir,
    first,
    last,
    ...(await warpError(sources, outputs, estimator, {
      onProgress: o.json ? undefined : (d, t) => process.stderr.write(`\rflow ${d}/${t}`),
    })),
  };
  if (!o.json) process.stderr.write('\n');
  if (o.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(' ');
  console.log(`warp error (Lai et al.): ${report.warpError === null ? 'n/a (one frame)' : report.warpError.toFixed(6)} over ${report.pairs} pairs, flow ${report.flow}, ${(100 * report.validFraction).toFixed(1)}% pixels valid`);
  console.log(`output mean ${f(report.mean)}  std ${f(report.std)}`);
  console.log(`border band (${report.borderBand} px) mean ${f(report.borderMean)}  interior mean ${f(report.interiorMean)}`);
}

export function register(program: Command): void {
  program
    .command('flow')
    .description('Optical flow from image A to image B, written as a Middlebury .flo (backward-warping form: A(x) ≈ B(x + w(x)))')
    .argument('<a>', 'first image')
    .argument('<b>', 'second image')
    .requiredOption('-o, --output <file>', 'output .flo file')
    .option('--method <method>', 'builtin, builtin:fast|medium|accurate, rife, a flow model id, or an .onnx file', 'builtin')
    .option('--viz <png>', 'also write the Middlebury colour coding of the flow')
    .option('--device <device>', 'ONNX methods: auto, cpu, cuda, …', 'auto')
    .option('--max-side <px>', 'ONNX methods: run at most this size on the longer side')
    .action((a: string, b: string, o: FlowCliOptions) => runFlow(a, b, o));

  // `eval` may also be created by another command module: add to it rather than redefine it.
  const evalCmd = program.commands.find((c) => c.name() === 'eval') ?? program.command('eval').description('Measure the quality of a result');
  evalCmd
    .command('warp-error')
    .description('Temporal stability of a result folder: Lai et al. warping error with flow on the source frames')
    .argument('<source>', 'the source clip, image sequence or pattern the result was made from')
    .argument('<result-dir>', 'result folder (holds result.json and the frames)')
    .option('--flow <method>', 'builtin[:fast|medium|accurate][:one-way], rife, a flow model id, or an .onnx file', EVAL_FLOW_METHOD)
    .option('--device <device>', 'ONNX flow: auto, cpu, cuda, …', 'auto')
    .option('--max-side <px>', 'ONNX flow: run at most this size on the longer side')
    .option('--json', 'print the record as JSON')
    .action((source: string, dir: string, o: { flow: string; json?: boolean; device: string; maxSide?: string }) => runWarpError(source, dir, o));
}
