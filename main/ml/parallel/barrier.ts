/**
 * A reusable barrier over shared memory for the data-parallel trainer's worker threads: every party
 * blocks (Atomics.wait) until all have arrived, then all go on. The coordinator can abort it, which
 * wakes every waiter with an error, so a worker that died never leaves the others waiting forever.
 *
 * Layout: three Int32 cells in the control array: [generation, arrived, aborted].
 */
const GENERATION = 0;
const ARRIVED = 1;
const ABORTED = 2;
export const BARRIER_CELLS = 3;

export class BarrierAbortedError extends Error {
  constructor() {
    super('the data-parallel step was aborted (another worker failed or training stopped)');
    this.name = 'BarrierAbortedError';
  }
}

export class SharedBarrier {
  constructor(
    private readonly cells: Int32Array,
    private readonly parties: number,
    /** Longest wait before giving up (a worker that hangs must not hang the rest). */
    private readonly timeoutMs = 120_000,
  ) {
    if (cells.length < BARRIER_CELLS) throw new Error(`a barrier needs ${BARRIER_CELLS} Int32 cells`);
  }

  /** Blocks until all parties have called wait() for this generation. */
  wait(): void {
    if (this.parties === 1) return;
    if (Atomics.load(this.cells, ABORTED) !== 0) throw new BarrierAbortedError();
    const generation = Atomics.load(this.cells, GENERATION);
    if (Atomics.add(this.cells, ARRIVED, 1) === this.parties - 1) {
      // Last to arrive: reset the count for the next use, then release everyone.
      Atomics.store(this.cells, ARRIVED, 0);
      Atomics.add(this.cells, GENERATION, 1);
      Atomics.notify(this.cells, GENERATION);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(this.cells, GENERATION) === generation) {
      if (Atomics.load(this.cells, ABORTED) !== 0) throw new BarrierAbortedError();
      if (Date.now() > deadline) throw new Error(`a data-parallel worker did not reach the barrier within ${this.timeoutMs / 1000} s`);
      Atomics.wait(this.cells, GENERATION, generation, 500);
    }
  }

  /** Wakes every waiter with BarrierAbortedError (callable from any thread). */
  static abort(cells: Int32Array): void {
    Atomics.store(cells, ABORTED, 1);
    Atomics.add(cells, GENERATION, 1);
    Atomics.notify(cells, GENERATION);
  }
}
