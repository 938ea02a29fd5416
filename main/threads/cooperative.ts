/**
 * Cooperative slicing for long work on the main thread. The app serves every page, search and judgement
 * from one event loop; a computation that holds it for 50 ms makes every request that arrives meanwhile
 * wait 50 ms. Such work is written once as a generator that `yield`s at safe points (between searches,
 * between candidates) and is either run to the end at once (tests, evaluations, CLI) or in slices of a
 * few milliseconds with the event loop free between them (the app).
 */

/** Lets the event loop run whatever is waiting (I/O callbacks, other requests) before going on. */
export const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Work written as a generator: yields at safe points, returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to the end without giving the event loop a turn. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs `steps`, giving the event loop a turn whenever a slice has run for `sliceMs` or more. */
export async function runInSlices<T>(steps: Steps<T>, sliceMs = 6): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
}

/**
 * Runs one slice of `steps` now; small work ends within it (the caller gets the result at once), larger
 * work goes on in slices after the event loop had a turn.
 */
export function runNowOrInSlices<T>(steps: Steps<T>, sliceMs = 6): { done: true; value: T } | { done: false; rest: Promise<T> } {
  const started = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return { done: true, value: next.value };
    if (performance.now() - started >= sliceMs) return { done: false, rest: yieldToEventLoop().then(() => runInSlices(steps, sliceMs)) };
  }
}

/**
 * Work that yields either nothing (a safe point, as in Steps) or a request its driver answers and sends
 * back in, e.g. searches that run on another thread: the same steps then run at once with answers at hand
 * (evaluations) or in slices with answers that arrive later (the app).
 */
export type AskingSteps<Q, A, T> = Generator<Q | void, T, A | undefined>;

/** Runs `steps` to the end, answering each request at once. */
export function answerToEnd<Q, A, T>(steps: AskingSteps<Q, A, T>, answer: (request: Q) => A): T {
  let reply: A | undefined;
  for (;;) {
    const next = steps.next(reply);
    if (next.done) return next.value;
    reply = next.value === undefined ? undefined : answer(next.value);
  }
}

/**
 * Runs `steps`, awaiting the answer of each request and giving the event loop a turn whenever a slice has
 * run for `sliceMs` or more (answers at hand arrive without one).
 */
export async function answerInSlices<Q, A, T>(steps: AskingSteps<Q, A, T>, answer: (request: Q) => A | Promise<A>, sliceMs = 6): Promise<T> {
  let sliceStart = performance.now();
  let reply: A | undefined;
  for (;;) {
    const next = steps.next(reply);
    if (next.done) return next.value;
    reply = next.value === undefined ? undefined : await answer(next.value);
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
}
