/**
 * Gradient checks for dream-step models: the gradient output (onnxruntime,
 * float32) against central finite differences of the forward graph.
 *
 * Two forward references:
 * - `float64`: the graph run by the float64 interpreter (ref64.ts, simple ops only),
 *   step 1e-4: truncation and rounding errors are ~1e-8 relative, so what remains is
 *   the float32 rounding of the gradient graph (~1e-6 relative).
 * - `ort`: onnxruntime's own float32 forward of the cut graph, with the objective
 *   summed in float64 from its activations. Rounding of the float32 activations
 *   (~6e-8 relative each) divided by the step sets a floor near 1e-5 at step 1e-2.
 *
 * Whole networks are piecewise linear (ReLU, ReLU6, max-pooling): the difference
 * quotient over ±step straddles kinks, which biases it by O(step) in aggregate —
 * for MobileNetV2's first ReLU6 layer a float64 forward gives 8e-2 relative error at
 * step 1e-3 against 2e-7 at 1e-5, so this is the quotient's error, not the gradient's.
 * For networks, checks therefore (a) extrapolate 2·D(step/2) − D(step) (Richardson),
 * which cancels that O(step) bias, and (b) use directions partly along the computed
 * gradient (`alignment`), whose directional derivatives are large and coherent, so
 * that kink noise — which adds up incoherently — stays small relative to them.
 * A wrong gradient g' = ∇f + e still shows: along g' the quotient gives ⟨∇f, g'⟩
 * while the check expects ⟨g', g'⟩.
 */
import { expect } from 'vitest';
import { ort } from '../../../../daemon/src/runtime/ort.ts';
import { buildDreamStepModel, guideInputName, type DreamLayer } from '../../../../daemon/src/onnx/autodiff/build-dream-step.ts';
import { freeInputSpatialDims, truncateAt } from '../../../../daemon/src/onnx/edit-graph.ts';
import { GraphIndex } from '../../../../daemon/src/onnx/graph-index.ts';
import { encodeModel, type ModelProto } from '../../../../daemon/src/onnx/proto.ts';
import { gaussian, mulberry32 } from '../../../../daemon/src/onnx/test-models.ts';
import { run64 } from './ref64.ts';

export interface GradCheckOptions {
  layers: DreamLayer[];
  /** Image size [N,C,H,W] to check at. */
  dims: number[];
  seed?: number;
  /** Random directions (default 3). */
  directions?: number;
  /**
   * How much of each direction points along the computed gradient, per direction
   * (0 = purely random, the default; 1 = the gradient itself, scaled like a random
   * direction). See {@link checkGradient}.
   */
  alignment?: number[];
  reference: 'float64' | 'ort';
  /** Finite-difference step along a unit-variance direction (default 1e-4 float64, 1e-2 ort). */
  step?: number;
  /** The image (default: seeded normal values times `scale`). */
  x?: Float32Array;
  scale?: number;
  /**
   * Use distinct values 0.1 apart (shuffled) for the image: with the default step no
   * perturbation can reorder two values, so max-pooling never switches inside ±step.
   */
  distinct?: boolean;
  /**
   * Richardson extrapolation of the difference quotient, 2·D(step/2) − D(step): in a
   * piecewise-linear network the kinks crossed within ±step bias D(step) by O(step)
   * in aggregate, which this cancels (ort reference).
   */
  richardson?: boolean;
  /** Guide activations per layer (guided objective). */
  guides?: { data: Float32Array; dims: number[] }[];
}

export interface GradCheckResult {
  /** |analytic − numeric| / max(|analytic|, |numeric|) per direction. */
  relErrors: number[];
  maxRelErr: number;
  /** Relative error of the objective output against the float64 objective of the reference forward. */
  objectiveRelErr: number;
  gradient: Float32Array;
  dream: ModelProto;
}

const sessions = new WeakMap<ModelProto, Promise<ort.InferenceSession>>();
export function session(model: ModelProto): Promise<ort.InferenceSession> {
  let s = sessions.get(model);
  if (!s) {
    s = ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3, intraOpNumThreads: 1 });
    sessions.set(model, s);
  }
  return s;
}

/** Σ weight·mean(A²), or the guided match objective, in float64. */
export function objective64(acts: { data: ArrayLike<number>; dims: readonly number[] }[], layers: DreamLayer[], guides?: GradCheckOptions['guides']): number {
  let total = 0;
  acts.forEach((a, l) => {
    const w = layers[l]!.weight ?? 1;
    if (!guides) {
      let s = 0;
      for (let i = 0; i < a.data.length; i++) s += a.data[i]! * a.data[i]!;
      total += (w * s) / a.data.length;
      return;
    }
    const C = a.dims[1]!, P = a.data.length / C;
    const g = guides[l]!, M = g.data.length / C;
    let s = 0;
    for (let p = 0; p < P; p++) {
      let best = -Infinity;
      for (let m = 0; m < M; m++) {
        let dot = 0;
        for (let c = 0; c < C; c++) dot += a.data[c * P + p]! * g.data[c * M + m]!;
        best = Math.max(best, dot);
      }
      s += best;
    }
    total += (w * s) / P;
  });
  return total;
}

export async function checkGradient(model: ModelProto, opts: GradCheckOptions): Promise<GradCheckResult> {
  const names = opts.layers.map((l) => l.name);
  const input = new GraphIndex(model.graph!).feedInputs[0]!;
  const dream = buildDreamStepModel(model, { layers: opts.layers, guide: !!opts.guides });
  const forward = freeInputSpatialDims(truncateAt(model, [...new Set(names)]));
  const normal = gaussian(mulberry32(opts.seed ?? 1));
  const n = opts.dims.reduce((a, b) => a * b, 1);
  const x = opts.x ?? (opts.distinct ? distinctValues(n, opts.seed ?? 1) : Float32Array.from({ length: n }, () => normal() * (opts.scale ?? 1)));
  const feeds = (img: ArrayLike<number>) => {
    const f: Record<string, ort.Tensor> = { [input]: new ort.Tensor('float32', Float32Array.from(img), opts.dims) };
    opts.guides?.forEach((g, i) => (f[guideInputName(i)] = new ort.Tensor('float32', g.data, g.dims)));
    return f;
  };
  const ds = await session(dream);
  const out = await ds.run(feeds(x));
  const gradient = out.gradient!.data as Float32Array;
  expect(out.gradient!.dims).toEqual(opts.dims);
  const objective = (out.objective!.data as Float32Array)[0]!;

  let f: (img: Float64Array) => Promise<number>;
  if (opts.reference === 'float64') {
    f = async (img) => {
      const env = run64(forward, { [input]: { dims: opts.dims, data: img } });
      return objective64(names.map((nm) => env.get(nm)!), opts.layers, opts.guides);
    };
    // The float64 interpreter must agree with onnxruntime's forward, or it would be no reference.
    const fs = await session(forward);
    const fo = await fs.run({ [input]: new ort.Tensor('float32', x, opts.dims) });
    const env = run64(forward, { [input]: { dims: opts.dims, data: Float64Array.from(x) } });
    for (const nm of names) {
      const a = fo[nm]!.data as Float32Array, b = env.get(nm)!.data;
      let scale = 1e-6, err = 0;
      for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i]!)); err = Math.max(err, Math.abs(a[i]! - b[i]!)); }
      expect(err / scale).toBeLessThan(1e-5);
    }
  } else {
    const fs = await session(forward);
    f = async (img) => {
      const r = await fs.run(feeds(img));
      return objective64(names.map((nm) => ({ data: r[nm]!.data as Float32Array, dims: r[nm]!.dims })), opts.layers, opts.guides);
    };
  }

  const x64 = Float64Array.from(x);
  const f0 = await f(x64);
  const objectiveRelErr = Math.abs(objective - f0) / Math.max(Math.abs(f0), 1e-30);
  const h0 = opts.step ?? (opts.reference === 'float64' ? 1e-4 : 1e-2);
  const relErrors: number[] = [];
  let gNorm = 0;
  for (let i = 0; i < n; i++) gNorm += gradient[i]! * gradient[i]!;
  gNorm = Math.sqrt(gNorm / n) || 1;
  for (let d = 0; d < (opts.directions ?? 3); d++) {
    const a = opts.alignment?.[d] ?? 0;
    const v = Float64Array.from({ length: n }, (_, i) => a * (gradient[i]! / gNorm) + Math.sqrt(1 - a * a) * normal());
    let analytic = 0;
    for (let i = 0; i < n; i++) analytic += gradient[i]! * v[i]!;
    const h = h0;
    const quotient = async (step: number) => ((await f(x64.map((xi, i) => xi + step * v[i]!))) - (await f(x64.map((xi, i) => xi - step * v[i]!)))) / (2 * step);
    const numeric = opts.richardson ? 2 * (await quotient(h / 2)) - (await quotient(h)) : await quotient(h);
    relErrors.push(Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-30));
  }
  return { relErrors, maxRelErr: Math.max(...relErrors), objectiveRelErr, gradient, dream };
}

/** n distinct values spaced 0.1 apart, centred on 0, in a seeded random order. */
export function distinctValues(n: number, seed: number): Float32Array {
  const rnd = mulberry32(seed + 1000);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return Float32Array.from(v);
}
