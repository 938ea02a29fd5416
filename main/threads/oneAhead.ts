/**
 * A two-stage pipeline kept one item ahead: item k+1 is taken (and whatever it starts on another thread,
 * such as a head pass on the embed worker, is under way) while item k is stored. Two threads then work at
 * once instead of taking turns: the re-embedding's head passes ran on one thread while the graph's thread
 * waited for them, and the other way round, each batch in turn (issue 12's soak).
 */

export interface OneAheadOutcome {
  /** Items stored. */
  stored: number;
  /** True when `shouldStop` ended the run before `take` ran out. */
  stopped: boolean;
}

/**
 * Calls `take` until it gives null, storing each item with `store` in order, with the next item always
 * taken before the current one is stored. `take` runs one at a time and in order, so it may carry state
 * (e.g. where the last batch ended). A store that throws ends the run; the item taken ahead is handed to
 * `leftOver` first, so the caller can wait for whatever it started.
 */
export async function runOneAhead<T>(take: () => Promise<T | null>, store: (item: T) => Promise<void>, shouldStop: () => boolean, leftOver?: (item: T) => Promise<unknown>): Promise<OneAheadOutcome> {
  let stored = 0;
  if (shouldStop()) return { stored, stopped: true };
  let current = await take();
  while (current !== null) {
    if (shouldStop()) {
      await leftOver?.(current);
      return { stored, stopped: true };
    }
    const next = await take();
    try {
      await store(current);
    } catch (error) {
      if (next !== null) await leftOver?.(next);
      throw error;
    }
    stored++;
    current = next;
  }
  return { stored, stopped: false };
}
