/**
 * Runs a source and a list of per-item stages concurrently, connected by bounded
 * channels: while frame n is being written, n+1 is in inference and n+2 is
 * being decoded. Order is preserved (each stage handles items one at a time).
 * The first error (or an abort) stops every stage.
 */
import { BoundedChannel } from './bounded-channel.ts';

export type Stage<A, B> = (item: A) => Promise<B | undefined> | B | undefined;

export interface StageOptions {
  /** Items buffered between two stages. */
  capacity?: number;
  signal?: AbortSignal;
}

export async function runStages(source: AsyncIterable<unknown>, stages: Stage<any, any>[], opts: StageOptions = {}): Promise<void> {
  const capacity = opts.capacity ?? 2;
  const channels = stages.map(() => new BoundedChannel<unknown>(capacity));
  const all = [...channels];
  let firstError: unknown = null;
  const failAll = (e: unknown) => {
    if (firstError === null) firstError = e;
    for (const c of all) c.fail(e);
  };
  const onAbort = () => failAll(opts.signal?.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' }));
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const pump = async () => {
    try {
      for await (const item of source) {
        if (firstError) break;
        await channels[0].push(item);
      }
      channels[0].close();
    } catch (e) {
      failAll(e);
    }
  };
  const workers = stages.map(async (stage, i) => {
    try {
      for await (const item of channels[i]) {
        const out = await stage(item);
        if (i + 1 < channels.length) {
          if (out !== undefined) await channels[i + 1].push(out);
        }
      }
      if (i + 1 < channels.length) channels[i + 1].close();
    } catch (e) {
      failAll(e);
    }
  });
  try {
    await Promise.all([pump(), ...workers]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (firstError) {
    // Let the source (e.g. an ffmpeg decoder) clean up.
    const it = source as AsyncGenerator<unknown>;
    if (typeof it.return === 'function') await it.return(undefined).catch(() => undefined);
    throw firstError;
  }
}
