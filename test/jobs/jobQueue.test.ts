import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../shared/rpc/contract';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { createJobQueue, type JobQueue, type JobRunner } from '../../main/jobs/jobQueue';
import { createRateMeter } from '../../main/jobs/rateMeter';

let catalogue: Catalogue;
let queue: JobQueue | null;
let events: JobProgress[];
let stamps: number[];
beforeEach(() => {
  catalogue = openCatalogue(':memory:');
  events = [];
  stamps = [];
  queue = null;
});
afterEach(async () => {
  await queue?.close();
  catalogue.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts to `n`, one step per tick, honouring the abort signal. */
function countingRunner(n: number, stepMs = 2): JobRunner {
  return async ({ signal, report }) => {
    let done = 0;
    while (done < n && !signal.aborted) {
      await sleep(stepMs);
      done++;
      report({ total: n, done, imported: done, skipped: 0, failed: 0 });
    }
    const counts = { total: n, done, imported: done, skipped: 0, failed: 0 };
    return { summary: { imported: done }, counts, cancelled: signal.aborted };
  };
}

function makeQueue(runners: Record<string, JobRunner>, throttleMs = 50, lanes?: Record<string, string>): JobQueue {
  queue = createJobQueue({ catalogue, runners, onProgress: (p) => {
      events.push(p);
      stamps.push(performance.now());
    },
    throttleMs, lanes });
  return queue;
}

describe('job queue', () => {
  it('runs jobs one at a time, persists their outcome and throttles progress events', async () => {
    const q = makeQueue({ count: countingRunner(40) });
    const a = q.enqueue('count', 'first', {});
    const b = q.enqueue('count', 'second', {});
    expect(q.get(b)?.state).toBe('queued');
    const [fa, fb] = await Promise.all([q.waitFor(a), q.waitFor(b)]);
    expect(fa).toMatchObject({ state: 'done', summary: { imported: 40 } });
    expect(fb.state).toBe('done');
    // b never ran while a was running
    const firstRunningB = events.findIndex((e) => e.jobId === b && e.state === 'running');
    const aDone = events.findIndex((e) => e.jobId === a && e.state === 'done');
    expect(firstRunningB).toBeGreaterThan(aDone);
    // 80 reports, but progress events of a running job come at most once per 50 ms throttle window
    const runningEvents = events.filter((e) => e.state === 'running');
    expect(runningEvents.length).toBeLessThan(80);
    const times = stamps.filter((_, i) => events[i]!.jobId === a && events[i]!.state === 'running' && events[i]!.done > 0);
    expect(times.length).toBeGreaterThan(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(45);
    const mid = runningEvents.filter((e) => e.jobId === a && e.done > 0);
    expect(mid.some((e) => e.rate > 0 && e.etaSeconds !== null)).toBe(true);
    expect(q.get(a)).toMatchObject({ state: 'done', done: 40, total: 40, imported: 40 });
    expect(q.list().map((p) => p.jobId)).toEqual([b, a]);
  });

  it('runs a job of another lane beside the running one; jobs of one lane still one at a time', async () => {
    const q = makeQueue({ long: countingRunner(10_000), quick: countingRunner(5) }, 50, { quick: 'side' });
    const long = q.enqueue('long', 'a long re-embedding', {});
    const waiting = q.enqueue('long', 'queued behind it', {});
    await sleep(20);
    const first = q.enqueue('quick', 'an import', {});
    const second = q.enqueue('quick', 'another import', {});
    // Both side-lane jobs end while the long one is still running and the second long one still waits.
    expect((await q.waitFor(first)).state).toBe('done');
    expect((await q.waitFor(second)).state).toBe('done');
    expect(q.get(long)?.state).toBe('running');
    expect(q.get(waiting)?.state).toBe('queued');
    const secondRunning = events.findIndex((e) => e.jobId === second && e.state === 'running');
    expect(secondRunning).toBeGreaterThan(events.findIndex((e) => e.jobId === first && e.state === 'done'));
    // Cancel and pause find jobs in any lane; close() stops the running ones and leaves them queued.
    expect(q.pause(waiting)).toBe(true);
    expect(q.get(waiting)?.state).toBe('paused');
    const third = q.enqueue('quick', 'a third import', {});
    await q.close();
    expect(catalogue.jobs.get(long)?.state).toBe('queued');
    expect(['queued', 'done']).toContain(catalogue.jobs.get(third)?.state);
  });

  it('cancels a running job through its signal and a queued one before it starts', async () => {
    const q = makeQueue({ count: countingRunner(10_000) });
    const a = q.enqueue('count', 'long', {});
    const b = q.enqueue('count', 'waiting', {});
    await sleep(30);
    expect(q.cancel(b)).toBe(true);
    expect(q.cancel(a)).toBe(true);
    const fa = await q.waitFor(a);
    expect(fa.state).toBe('cancelled');
    expect((fa.summary?.imported as number) < 10_000).toBe(true);
    expect((await q.waitFor(b)).state).toBe('cancelled');
    expect(q.cancel(a)).toBe(false);
  });

  it('records a failing runner and an unknown kind as failed with the reason', async () => {
    const q = makeQueue({
      boom: async () => {
        throw new Error('disk unplugged');
      },
    });
    expect(await q.waitFor(q.enqueue('boom', 'x', {}))).toMatchObject({ state: 'failed', error: 'disk unplugged' });
    expect(await q.waitFor(q.enqueue('nothing', 'y', {}))).toMatchObject({ state: 'failed' });
    expect(q.list()[0]?.message).toMatch(/nothing/);
  });

  it('re-queues jobs a crash left running or queued, and close() leaves the running job queued', async () => {
    const crashed = catalogue.jobs.create('count', 'crashed', { n: 1 });
    catalogue.jobs.setState(crashed, 'running');
    const waiting = catalogue.jobs.create('count', 'waiting', {});
    const finished = catalogue.jobs.create('count', 'finished', {});
    catalogue.jobs.setState(finished, 'done');
    const seenParams: unknown[] = [];
    const runner = countingRunner(5);
    const q = makeQueue({
      count: (ctx) => {
        seenParams.push(ctx.params);
        return runner(ctx);
      },
    });
    expect(q.resumeInterrupted()).toEqual([crashed, waiting]);
    expect((await q.waitFor(crashed)).state).toBe('done');
    expect((await q.waitFor(waiting)).state).toBe('done');
    expect(seenParams).toEqual([{ n: 1 }, {}]);

    const slow = makeQueue({ count: countingRunner(100_000) });
    const id = slow.enqueue('count', 'slow', {});
    await sleep(20);
    await slow.close();
    expect(catalogue.jobs.get(id)?.state).toBe('queued');
    expect(() => slow.enqueue('count', 'late', {})).toThrow(/closed/);
  });
});

describe('rate meter', () => {
  it('measures items per second over its window and derives the ETA', () => {
    const meter = createRateMeter(1000);
    meter.sample(0, 0);
    meter.sample(10, 500);
    meter.sample(20, 1000);
    expect(meter.rate()).toBeCloseTo(20);
    expect(meter.eta(120, 20)).toBeCloseTo(5);
    expect(meter.eta(null, 20)).toBeNull();
    meter.sample(20, 3000); // stalled: the old fast samples leave the window
    expect(meter.rate()).toBe(0);
    expect(meter.eta(120, 20)).toBeNull();
  });
});

describe('job queue start-up', () => {
  it('still runs jobs enqueued after an empty resume (the queue must not think it is busy)', async () => {
    const q = makeQueue({ count: countingRunner(3) });
    expect(q.resumeInterrupted()).toEqual([]);
    await sleep(5);
    const id = q.enqueue('count', 'after idle', {});
    expect((await q.waitFor(id)).state).toBe('done');
  });
});
