/**
 * The one-ahead pipeline: the next item is taken (its work started) before the current one is stored,
 * items are stored in order, a stop or a failed store leaves the item taken ahead to the caller.
 */
import { describe, expect, it } from 'vitest';
import { runOneAhead } from '../../main/threads/oneAhead';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Items 0..n-1 whose "work" (a timer standing for a head pass on another thread) starts when taken. */
function source(n: number, workMs: number, log: string[]) {
  let next = 0;
  return async () => {
    if (next >= n) return null;
    const k = next++;
    log.push(`take ${k}`);
    const work = delay(workMs).then(() => {
      log.push(`worked ${k}`);
      return k;
    });
    return { k, work };
  };
}

describe('runOneAhead', () => {
  it('takes item k+1 before storing item k, and stores in order', async () => {
    const log: string[] = [];
    const stored: number[] = [];
    const outcome = await runOneAhead(
      source(4, 5, log),
      async (item) => {
        stored.push(await item.work);
        log.push(`stored ${item.k}`);
      },
      () => false,
    );
    expect(outcome).toEqual({ stored: 4, stopped: false });
    expect(stored).toEqual([0, 1, 2, 3]);
    for (let k = 0; k < 3; k++) expect(log.indexOf(`take ${k + 1}`)).toBeLessThan(log.indexOf(`stored ${k}`));
  });

  it('overlaps the work of one item with the store of the one before (about half the time of turns)', async () => {
    const workMs = 40;
    const storeMs = 40;
    const n = 6;
    const started = performance.now();
    await runOneAhead(
      source(n, workMs, []),
      async (item) => {
        await item.work;
        await delay(storeMs);
      },
      () => false,
    );
    const ms = performance.now() - started;
    // Taking turns would take n * (work + store) = 480 ms; one ahead about work + n * store = 280 ms.
    expect(ms).toBeLessThan(n * (workMs + storeMs) * 0.8);
  });

  it('on a stop, stores nothing more and hands the item taken ahead to leftOver', async () => {
    const log: string[] = [];
    let stop = false;
    const left: number[] = [];
    const outcome = await runOneAhead(
      source(10, 1, log),
      async (item) => {
        await item.work;
        if (item.k === 2) stop = true;
      },
      () => stop,
      async (item) => left.push(await item.work),
    );
    expect(outcome).toEqual({ stored: 3, stopped: true });
    expect(left).toEqual([3]);
    expect(log.filter((l) => l.startsWith('take'))).toHaveLength(4);
  });

  it('a failing store ends the run with its error, after leftOver got the item taken ahead', async () => {
    const left: number[] = [];
    await expect(
      runOneAhead(
        source(5, 1, []),
        async (item) => {
          if (item.k === 1) throw new Error('disk full');
        },
        () => false,
        async (item) => left.push(item.k),
      ),
    ).rejects.toThrow('disk full');
    expect(left).toEqual([2]);
  });

  it('does not take anything when stopped before the start', async () => {
    const log: string[] = [];
    expect(await runOneAhead(source(3, 1, log), async () => undefined, () => true)).toEqual({ stored: 0, stopped: true });
    expect(log).toEqual([]);
  });
});
