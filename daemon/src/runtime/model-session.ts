/**
 * A loaded ONNX model: the ORT session, the provider that really runs it, its
 * declared inputs/outputs, and `run()` that checks feeds before running and
 * serialises runs on the session (ORT sessions are not re-entrant on every EP).
 */
import os from 'node:os';
import { ort } from './ort.ts';
import { DreamLayerError, toDreamLayerError } from '../../../shared/src/errors.ts';
import { providerCandidates, type Device, type Provider } from './providers.ts';

export interface TensorMeta {
  name: string;
  type: string;
  shape: (number | string | null)[];
}

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Fail instead of falling back to CPU when the requested provider cannot load. */
  strict?: boolean;
}

export type Feeds = Record<string, { data: Float32Array | BigInt64Array | Int32Array | Uint8Array; dims: number[] }>;
export type Outputs = Record<string, { data: Float32Array | BigInt64Array | Int32Array | Uint8Array; dims: number[] }>;

export class ModelSession {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly label: string,
    readonly session: ort.InferenceSession,
    readonly provider: Provider,
    readonly inputs: TensorMeta[],
    readonly outputs: TensorMeta[],
    /** Why a requested provider was not used (null when it was). */
    readonly fallbackReason: string | null,
  ) {}

  /** Throws MODEL_CONTRACT naming the model, the input and the expected shape when feeds don't fit. */
  checkFeeds(feeds: Feeds): void {
    for (const meta of this.inputs) {
      const feed = feeds[meta.name];
      if (!feed) {
        throw new DreamLayerError('MODEL_CONTRACT', {
          stage: 'infer',
          message: `Model ${this.label} needs input "${meta.name}" ${fmtShape(meta.shape)}, which was not given (given: ${Object.keys(feeds).join(', ') || 'none'}).`,
        });
      }
      const ok = feed.dims.length === meta.shape.length && meta.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === feed.dims[i]);
      if (!ok) {
        throw new DreamLayerError('MODEL_CONTRACT', {
          stage: 'infer',
          message: `Model ${this.label} input "${meta.name}" expects shape ${fmtShape(meta.shape)}, got [${feed.dims.join(',')}].`,
        });
      }
      const n = feed.dims.reduce((a, b) => a * b, 1);
      if (feed.data.length !== n) {
        throw new DreamLayerError('INTERNAL', { stage: 'infer', message: `Feed "${meta.name}" has ${feed.data.length} values for dims [${feed.dims.join(',')}].` });
      }
    }
  }

  /** Runs the model; feeds are checked first. Runs on one session are serialised. */
  run(feeds: Feeds, outputNames?: string[]): Promise<Outputs> {
    try {
      this.checkFeeds(feeds);
    } catch (e) {
      return Promise.reject(e);
    }
    const job = this.queue.then(async () => {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(typeName(f.data), f.data, f.dims);
      try {
        const res = outputNames ? await this.session.run(ortFeeds, outputNames) : await this.session.run(ortFeeds);
        const out: Outputs = {};
        for (const [k, t] of Object.entries(res)) out[k] = { data: t.data as Float32Array, dims: [...t.dims] };
        return out;
      } catch (e) {
        const shapes = Object.entries(feeds).map(([k, f]) => `${k}[${f.dims.join(',')}]`).join(' ');
        throw toDreamLayerError(e, 'INFERENCE_FAILED', {
          stage: 'infer',
          message: `Model ${this.label} failed on inputs ${shapes} (${this.provider}): ${(e as Error).message}`,
        });
      }
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  async release(): Promise<void> {
    await this.queue;
    await this.session.release();
  }
}

function typeName(data: Feeds[string]['data']): 'float32' | 'int64' | 'int32' | 'uint8' {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

export function fmtShape(shape: (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : d)).join(',')}]`;
}

/**
 * Creates a session on the best provider that loads, falling back to CPU.
 * `source` is a file path or the model's bytes; `label` names it in errors.
 */
export async function createModelSession(source: string | Uint8Array, label: string, opts: SessionOptions = {}): Promise<ModelSession> {
  const device = opts.device ?? 'auto';
  // DREAMLAYER_THREADS caps onnxruntime's threads (e.g. to leave cores to the host application).
  const envThreads = Number(process.env.DREAMLAYER_THREADS ?? '');
  const threads = opts.threads ?? (envThreads > 0 ? Math.floor(envThreads) : Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  const candidates = providerCandidates(device);
  const failures: string[] = [];
  for (const provider of candidates) {
    const so: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
    try {
      const session = typeof source === 'string' ? await ort.InferenceSession.create(source, so) : await ort.InferenceSession.create(source, so);
      const meta = (m: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] =>
        m.map((v) => ({ name: v.name, type: v.isTensor ? String(v.type) : 'non-tensor', shape: v.isTensor ? [...v.shape].map((d) => (typeof d === 'number' ? d : String(d))) : [] }));
      const reason = failures.length ? failures.join('; ') : null;
      return new ModelSession(label, session, provider, meta(session.inputMetadata), meta(session.outputMetadata), reason);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (provider === 'cpu') {
        throw new DreamLayerError('MODEL_INVALID', {
          stage: 'model',
          message: `Model ${label} cannot be loaded by onnxruntime: ${msg.split('\n')[0]}`,
          cause: e,
        });
      }
      failures.push(`${provider}: ${msg.split('\n')[0]}`);
      if (opts.strict && provider === device) {
        throw new DreamLayerError('DEVICE_UNAVAILABLE', { stage: 'model', message: `Device ${provider} could not load model ${label}: ${msg.split('\n')[0]}` });
      }
    }
  }
  throw new DreamLayerError('DEVICE_UNAVAILABLE', { stage: 'model', message: `No provider could load ${label}: ${failures.join('; ')}` });
}
