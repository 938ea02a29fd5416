import { describe, expect, it } from 'vitest';
import { runInSlices, runToEnd, type Steps } from '../../main/threads/cooperative';

/** Steps that each keep the thread busy for `ms`, then yield; returns how many ran. */
function* busySteps(count: number, ms: number, log: string[]): Steps<number> {
  for (let i = 0; i < count; i++) {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy: what a search or a head pass does to the event loop
    }
    log.push('step');
    yield;
  }
  return count;
}

describe('cooperative slicing', () => {
  it('runInSlices lets waiting callbacks run between slices; runToEnd does not', async () => {
    const sliced: string[] = [];
    setImmediate(() => sliced.push('other request'));
    expect(await runInSlices(busySteps(10, 2, sliced), 5)).toBe(10);
    const at = sliced.indexOf('other request');
    // The other request ran after the first slice (about 3 steps of 2 ms), long before the tenth step.
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(6);

    const atOnce: string[] = [];
    setImmediate(() => atOnce.push('other request'));
    expect(runToEnd(busySteps(10, 2, atOnce))).toBe(10);
    expect(atOnce).not.toContain('other request');
  });

  it('a timer ticks many times during a sliced run (it could not tick once during a run at once)', async () => {
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 0);
    await runInSlices(busySteps(60, 1, []), 4);
    clearInterval(timer);
    // 60 ms of steps in 4 ms slices: about 15 turns for the timer.
    expect(gaps.length).toBeGreaterThan(5);
  });
});
