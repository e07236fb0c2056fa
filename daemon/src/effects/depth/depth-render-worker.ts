/**
 * The depth renderer on a worker thread (started by depth-render-thread.ts). onnxruntime-node runs
 * `session.run` synchronously on the main thread, so JavaScript work on the main thread never
 * overlaps inference; here the per-frame post-processing (guide, flow, temporal filter, guided
 * upsampling, grey codes, state) of frame k runs while the main thread runs the network on frame
 * k+1. Messages are handled strictly in order, as the renderer's temporal state requires.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Image8, PixelImage } from '../../core/image.ts';
import { BuiltinFlowEstimator, type BuiltinFlowOptions } from '../../flow/builtin-flow.ts';
import { DepthRenderer, type DepthRenderOptions } from './depth-renderer.ts';
import type { DepthPlane } from './depth-network.ts';
import type { DepthMapping } from './depth-normalization.ts';

export interface RenderRequest {
  kind: 'render';
  id: number;
  image: Image8;
  raw: DepthPlane;
  mapping: DepthMapping;
  lowLuma: Float32Array | null;
}

export interface RestoreRequest {
  kind: 'restore';
  id: number;
  source: Image8;
  output: PixelImage;
}

/** A new job: a fresh renderer with these options (a worker is reused from job to job). */
export interface InitRequest {
  kind: 'init';
  opts: DepthRenderOptions;
  flow: BuiltinFlowOptions | null;
}

export type WorkerReply = { id: number; image?: PixelImage; error?: { message: string; code?: string; stack?: string } } | { ready: true };

const port = parentPort;
if (port) {
  const make = (m: { opts: DepthRenderOptions; flow: BuiltinFlowOptions | null }) => new DepthRenderer(m.opts, m.flow ? new BuiltinFlowEstimator(m.flow) : null);
  let renderer = make(workerData as { opts: DepthRenderOptions; flow: BuiltinFlowOptions | null });
  let queue: Promise<void> = Promise.resolve();
  const handle = async (m: InitRequest | RenderRequest | RestoreRequest): Promise<void> => {
    if (m.kind === 'init') {
      renderer = make(m);
      port.postMessage({ ready: true } satisfies WorkerReply);
      return;
    }
    try {
      if (m.kind === 'restore') {
        renderer.restore(m.source, m.output);
        port.postMessage({ id: m.id } satisfies WorkerReply);
        return;
      }
      const image = await renderer.render(m.image, Promise.resolve(m.raw), () => m.mapping, undefined, m.lowLuma);
      port.postMessage({ id: m.id, image } satisfies WorkerReply, [image.data.buffer as ArrayBuffer]);
    } catch (e) {
      const err = e as Error & { code?: string };
      port.postMessage({ id: m.id, error: { message: err.message ?? String(e), code: err.code, stack: err.stack } } satisfies WorkerReply);
    }
  };
  port.on('message', (m: InitRequest | RenderRequest | RestoreRequest) => {
    queue = queue.then(() => handle(m));
  });
  port.postMessage({ ready: true } satisfies WorkerReply);
}
