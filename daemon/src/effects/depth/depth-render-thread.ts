/**
 * Where the depth effect's per-frame post-processing runs. onnxruntime-node's `session.run` is
 * synchronous on the main thread (it only defers the call with setImmediate), so on the main
 * thread the renderer's work simply adds to the network's time. On a worker thread
 * (depth-render-worker.ts) it runs while the main thread already runs the network on the next
 * frames (handed over early through FrameProcessor.prefetch); only the frame and the network's
 * output are copied over, and the grey codes come back without a copy.
 *
 * The worker loads the TypeScript sources through tsx, as the CLI does. If it cannot start, the
 * renderer runs on the main thread instead (same code, same output).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DreamLayerError, type ErrorCode } from '../../../../shared/src/errors.ts';
import type { Image8, PixelImage } from '../../core/image.ts';
import { BuiltinFlowEstimator, type BuiltinFlowOptions } from '../../flow/builtin-flow.ts';
import type { DepthPlane } from './depth-network.ts';
import type { DepthMapping } from './depth-normalization.ts';
import { DepthRenderer, type DepthRenderOptions } from './depth-renderer.ts';
import type { InitRequest, RenderRequest, RestoreRequest, WorkerReply } from './depth-render-worker.ts';

/** Renders depth frames in order (see DepthRenderer), on the main thread or a worker thread. */
export interface DepthFrameRenderer {
  readonly where: 'main thread' | 'worker thread';
  /** As DepthRenderer.render (`lowLuma`: the frame's working-grid luminance when the caller has it). */
  render(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, signal?: AbortSignal, lowLuma?: Float32Array | null): Promise<PixelImage>;
  restore(source: Image8, output: PixelImage): Promise<void>;
  close(): Promise<void>;
}

/** The renderer on the calling thread. */
export class LocalDepthRenderer implements DepthFrameRenderer {
  readonly where = 'main thread' as const;
  private readonly renderer: DepthRenderer;
  constructor(opts: DepthRenderOptions, flow: BuiltinFlowOptions | null) {
    this.renderer = new DepthRenderer(opts, flow ? new BuiltinFlowEstimator(flow) : null);
  }
  render(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, signal?: AbortSignal, lowLuma?: Float32Array | null): Promise<PixelImage> {
    return this.renderer.render(img, raw, mappingFor, signal, lowLuma);
  }
  async restore(source: Image8, output: PixelImage): Promise<void> {
    this.renderer.restore(source, output);
  }
  async close(): Promise<void> {}
}

/** How long a worker may take to load its modules before the main thread renders instead. */
const START_TIMEOUT_MS = 60_000;

/** The tsx loader's ESM entry, resolved from its package (the worker registers it before importing TypeScript). */
function tsxApiUrl(): string {
  const req = createRequire(import.meta.url);
  const pkg = req.resolve('tsx/package.json');
  const entry = (req(pkg) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  return new URL(entry, pathToFileURL(pkg)).href;
}

/**
 * Workers of finished jobs, kept (unreferenced: they never hold the process open) so the next job
 * does not pay the thread's start and module loading again (a second or more on a busy machine).
 */
const idle: Worker[] = [];
/** Listens for errors of an idle worker (it does nothing, but an unheard 'error' event would throw). */
const ignore = (): void => undefined;

/** The renderer on a worker thread. */
export class WorkerDepthRenderer implements DepthFrameRenderer {
  readonly where = 'worker thread' as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (img: PixelImage | undefined) => void; reject: (e: unknown) => void }>();
  private failure: Error | null = null;
  private readonly onMessage = (m: WorkerReply) => this.reply(m);
  private readonly onError = (e: Error) => this.fail(e);
  private readonly onExit = (code: number) => this.fail(new Error(`the depth worker thread exited (code ${code})`));

  private constructor(private readonly worker: Worker) {}

  /** Starts a worker (or takes an idle one) and waits until its renderer is ready. */
  static start(opts: DepthRenderOptions, flow: BuiltinFlowOptions | null): Promise<WorkerDepthRenderer> {
    let worker = idle.pop();
    const reused = worker !== undefined;
    worker?.off('error', ignore);
    if (!worker) {
      const entry = new URL('./depth-render-worker.ts', import.meta.url).href;
      const boot = `(async () => { const { register } = await import(${JSON.stringify(tsxApiUrl())}); register(); await import(${JSON.stringify(entry)}); })().catch((e) => { setImmediate(() => { throw e; }); });`;
      worker = new Worker(boot, { eval: true, workerData: { opts, flow } });
    }
    const w = worker;
    const self = new WorkerDepthRenderer(w);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no answer within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const cleanup = () => {
        clearTimeout(timer);
        w.off('error', fail);
        w.off('exit', exited);
        w.off('message', ready);
      };
      const fail = (e: Error) => {
        cleanup();
        void w.terminate();
        reject(e);
      };
      const exited = (code: number) => fail(new Error(`the depth worker thread exited (code ${code})`));
      const ready = (m: WorkerReply) => {
        if (!('ready' in m)) return;
        cleanup();
        w.on('message', self.onMessage);
        w.on('error', self.onError);
        w.on('exit', self.onExit);
        w.unref(); // holds the process only while a frame is in flight
        resolve(self);
      };
      w.on('error', fail);
      w.on('exit', exited);
      w.on('message', ready);
      w.ref();
      if (reused) w.postMessage({ kind: 'init', opts, flow } satisfies InitRequest);
    });
  }

  private reply(m: WorkerReply): void {
    if ('ready' in m) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker.unref();
    if (m.error) {
      const code = (m.error.code ?? 'INTERNAL') as ErrorCode;
      p.reject(new DreamLayerError(code, { stage: 'infer', message: m.error.message, details: m.error.stack }));
    } else p.resolve(m.image);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(new DreamLayerError('INTERNAL', { stage: 'infer', message: `The depth worker thread failed: ${e.message}`, cause: e }));
    this.pending.clear();
  }

  private request(m: Omit<RenderRequest, 'id'> | Omit<RestoreRequest, 'id'>): Promise<PixelImage | undefined> {
    if (this.failure) return Promise.reject(new DreamLayerError('INTERNAL', { stage: 'infer', message: `The depth worker thread failed: ${this.failure.message}` }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
  }

  async render(img: Image8, raw: Promise<DepthPlane>, mappingFor: (raw: Float32Array) => DepthMapping, _signal?: AbortSignal, lowLuma?: Float32Array | null): Promise<PixelImage> {
    const plane = await raw;
    const mapping = mappingFor(plane.data);
    return (await this.request({ kind: 'render', image: img, raw: plane, mapping: { lo: mapping.lo, hi: mapping.hi }, lowLuma: lowLuma ?? null }))!;
  }

  async restore(source: Image8, output: PixelImage): Promise<void> {
    await this.request({ kind: 'restore', source, output });
  }

  /** Ends this job's use of the worker: kept for the next job when healthy and idle, else terminated. */
  async close(): Promise<void> {
    this.worker.off('message', this.onMessage);
    this.worker.off('error', this.onError);
    this.worker.off('exit', this.onExit);
    if (!this.failure && this.pending.size === 0 && idle.length === 0) {
      this.worker.unref();
      this.worker.on('error', ignore);
      idle.push(this.worker);
      return;
    }
    this.fail(new Error('closed'));
    await this.worker.terminate();
  }
}

/**
 * A renderer for a job: on a worker thread when asked (large frames: the post-processing is worth
 * a thread), falling back to the main thread if the worker cannot start (`log` says why).
 */
export async function createDepthFrameRenderer(opts: DepthRenderOptions, flow: BuiltinFlowOptions | null, useWorker: boolean, log?: (line: string) => void): Promise<DepthFrameRenderer> {
  if (useWorker) {
    try {
      return await WorkerDepthRenderer.start(opts, flow);
    } catch (e) {
      log?.(`depth: post-processing on the main thread (the worker thread did not start: ${(e as Error).message})`);
    }
  }
  return new LocalDepthRenderer(opts, flow);
}
