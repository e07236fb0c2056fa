import { describe, expect, it } from 'vitest';
import { BoundedChannel } from '../../../daemon/src/pipeline/bounded-channel.ts';
import { runStages } from '../../../daemon/src/pipeline/run-stages.ts';
import { ProgressTracker } from '../../../daemon/src/pipeline/progress-tracker.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('BoundedChannel', () => {
  it('blocks the producer when full', async () => {
    const ch = new BoundedChannel<number>(2);
    let pushed = 0;
    const producer = (async () => {
      for (let i = 0; i < 5; i++) {
        await ch.push(i);
        pushed++;
      }
      ch.close();
    })();
    await tick();
    expect(pushed).toBe(2);
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    await producer;
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('runStages', () => {
  it('keeps order, overlaps stages and bounds the items in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    async function* source() {
      for (let i = 0; i < 40; i++) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        yield i;
      }
    }
    const out: number[] = [];
    await runStages(source(), [
      async (x: number) => {
        await tick();
        return x * 2;
      },
      async (x: number) => {
        await tick();
        out.push(x);
        inFlight--;
        return undefined;
      },
    ], { capacity: 2 });
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    // source may run ahead by at most: capacity per channel (2 channels) + one item held by each stage + one being pushed
    expect(maxInFlight).toBeLessThanOrEqual(2 * 2 + 2 + 1);
  });

  it('stops every stage on the first error and closes the source', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await expect(
      runStages(source(), [
        (x: number) => {
          if (x === 5) throw new Error('boom at 5');
          return x;
        },
        () => undefined,
      ]),
    ).rejects.toThrow('boom at 5');
    expect(closed).toBe(true);
  });

  it('honours an AbortSignal', async () => {
    const ac = new AbortController();
    async function* source() {
      for (let i = 0; ; i++) {
        await tick();
        yield i;
      }
    }
    const p = runStages(source(), [(x: number) => (x === 3 ? (ac.abort(), x) : x), () => undefined], { signal: ac.signal });
    await expect(p).rejects.toBeTruthy();
  });
});

describe('ProgressTracker', () => {
  it('reports fps and ETA from a rolling window, counting frames done before a resume', () => {
    let t = 0;
    const tr = new ProgressTracker(100, 10, 5, () => t);
    let p = tr.snapshot('start');
    expect(p.done).toBe(10);
    expect(p.etaSeconds).toBeNull();
    for (let i = 0; i < 10; i++) {
      t += 500; // 2 fps
      p = tr.frameDone(10 + i);
    }
    expect(p.done).toBe(20);
    expect(p.fps).toBeCloseTo(2, 6);
    expect(p.etaSeconds).toBeCloseTo(80 / 2, 6);
    for (let i = 0; i < 10; i++) {
      t += 250; // speeds up to 4 fps: the window follows
      p = tr.frameDone(20 + i);
    }
    expect(p.fps).toBeCloseTo(4, 6);
    expect(p.frame).toBe(29);
  });
});
