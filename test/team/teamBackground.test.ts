/**
 * The background team-sync scheduler (issue 13): never two syncs at once, a change during a sync asks for
 * exactly one more, a failure is a sentence in the status and the retries back off (doubling, capped),
 * a success resets the back-off, and stop() waits for the running sync. Fake timers, no server.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TeamStatus } from '../../shared/rpc/contract';
import { createSyncScheduler, type SyncOutcome } from '../../main/team/teamBackground';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('team sync scheduler', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('runs one sync at a time: requests during a run give exactly one more afterwards', async () => {
    let active = 0;
    let maxActive = 0;
    const runs: ReturnType<typeof deferred<SyncOutcome>>[] = [];
    const scheduler = createSyncScheduler({
      run: () => {
        active++;
        maxActive = Math.max(maxActive, active);
        const d = deferred<SyncOutcome>();
        runs.push(d);
        return d.promise.finally(() => active--);
      },
      intervalMs: 60_000,
      debounceMs: 1_000,
      firstDelayMs: 0,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(scheduler.status().running).toBe(true);
    for (let i = 0; i < 5; i++) scheduler.request();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(1); // still the first one: no overlap
    runs[0]!.resolve({ pulled: 3, pushed: 1, at: new Date().toISOString() });
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(runs).toHaveLength(2); // the one more the requests asked for, after the debounce
    runs[1]!.resolve({ pulled: 0, pushed: 0, at: new Date().toISOString() });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toHaveLength(3); // then every interval
    expect(maxActive).toBe(1);
    runs[2]!.resolve({ pulled: 0, pushed: 0, at: new Date().toISOString() });
    await scheduler.stop();
  });

  it('reports a failure as a sentence and backs off, doubling up to the cap; a success clears it', async () => {
    const times: number[] = [];
    let fail = true;
    const seen: TeamStatus[] = [];
    const scheduler = createSyncScheduler({
      run: async () => {
        times.push(Date.now());
        if (fail) throw new Error('The team store at postgres://a:***@h/db refused the connection: is PostgreSQL running there?');
        return { pulled: 2, pushed: 0, at: new Date().toISOString() };
      },
      intervalMs: 60_000,
      debounceMs: 500,
      firstDelayMs: 0,
      backoffMs: 1_000,
      maxBackoffMs: 4_000,
      onChange: (s) => seen.push(s),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(scheduler.status().lastError).toMatch(/refused the connection/);
    expect(scheduler.status().running).toBe(false);
    // A local change during the back-off does not hammer the server.
    const before = times.length;
    scheduler.request();
    await vi.advanceTimersByTimeAsync(600);
    expect(times.length).toBe(before);
    fail = false;
    await vi.advanceTimersByTimeAsync(4_000);
    expect(scheduler.status().lastError).toBeNull();
    expect(scheduler.status().pulled).toBe(2);
    expect(scheduler.status().lastSyncAt).not.toBeNull();
    const afterSuccess = times.length; // the success ran at 23 s (end of the last back-off): next at 83 s
    await vi.advanceTimersByTimeAsync(57_000);
    expect(times.length).toBe(afterSuccess); // back to the interval
    await vi.advanceTimersByTimeAsync(2_000);
    expect(times.length).toBe(afterSuccess + 1);
    expect(seen.some((s) => s.running)).toBe(true);
    await scheduler.stop();
  });

  it('stop() waits for the running sync and nothing runs afterwards', async () => {
    const d = deferred<SyncOutcome>();
    let runs = 0;
    const scheduler = createSyncScheduler({
      run: () => {
        runs++;
        return d.promise;
      },
      firstDelayMs: 0,
      intervalMs: 1_000,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    d.resolve({ pulled: 0, pushed: 0, at: new Date().toISOString() });
    await stopping;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
  });
});
