/**
 * A model's HNSW graph on an index thread of its own (issue 12: at a million images the graph's searches
 * and inserts kept the serving thread ~98% busy, and every page and search waited behind them). This side
 * keeps the bookkeeping (ids, deleted, highest id, neighbourhood epoch, last use), so those answer at once; searches
 * and inserts are messages. One thread per open graph: a re-embedding filling one profile's graph never
 * delays searches of another, and releasing a graph ends its thread, which frees its native memory for
 * certain. Graph files are still written whole by modelIndex.ts; the thread only writes the temporary file.
 */
import type { Worker } from 'node:worker_threads';
import { DEFAULT_HNSW_PARAMS, HnswIndex, type HnswParams } from './hnswIndex';
import type { GraphIndex, WrittenGraph } from './graphIndex';
import { LabelBook } from './labelBook';
import { encodeFilter, unpackNeighbours, type IndexAnswer, type IndexReply, type IndexRequest, type WireNeighbours } from './indexProtocol';
import { startModuleWorker } from '../threads/startModuleWorker';
import type { IdFilter, Neighbour } from './types';
import { checkQuery, checkRows } from './vectorMath';

const RELEASED = 'This index was released from memory; open it again.';

export class ThreadedHnswIndex implements GraphIndex {
  private book = new LabelBook();
  private usedAt = performance.now();
  private released = false;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (answer: IndexAnswer) => void; reject: (error: Error) => void }>();
  /** Inserts, removals and writes not yet answered (the thread applies them in order). */
  private inFlight: Promise<unknown>[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly dim: number,
    readonly params: HnswParams,
  ) {
    worker.on('message', (reply: IndexReply) => {
      const waiter = this.waiting.get(reply.seq);
      if (!waiter) return;
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) waiter.resolve(reply.answer);
      else waiter.reject(new Error(reply.message));
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      // A thread that stopped holds no graph any more: the owner sees it released and opens it again.
      this.released = true;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(this.released ? RELEASED : `The index thread stopped (exit ${code}).`)));
    worker.unref();
  }

  /** An empty graph on a new thread; rejects when the thread cannot start. */
  static async create(dim: number, params: HnswParams = DEFAULT_HNSW_PARAMS, capacity = 1024, seed = 100): Promise<ThreadedHnswIndex> {
    const index = new ThreadedHnswIndex(startModuleWorker(import.meta.url, 'indexWorker'), dim, params);
    await index.ask({ op: 'create', dim, params, capacity: Math.max(1, capacity), seed }).catch((error: unknown) => index.abandon(error));
    return index;
  }

  /** Reads a graph file on a new thread; `deleted` are ids that were marked deleted when it was saved. */
  static async read(file: string, dim: number, params: HnswParams, deleted: readonly number[] = []): Promise<ThreadedHnswIndex> {
    const index = new ThreadedHnswIndex(startModuleWorker(import.meta.url, 'indexWorker'), dim, params);
    const answer = (await index.ask({ op: 'read', file, dim, params, deleted: [...deleted] }).catch((error: unknown) => index.abandon(error))) as { ids: Int32Array };
    index.book = LabelBook.of(answer.ids, deleted);
    return index;
  }

  get size(): number {
    return this.book.size;
  }

  get maxId(): number {
    return this.book.maxId;
  }

  get neighbourhoodEpoch(): number {
    return this.book.neighbourhoodEpoch;
  }

  get isReleased(): boolean {
    return this.released;
  }

  has(id: number): boolean {
    return this.book.has(id);
  }

  liveIds(): number[] {
    return this.book.liveIds();
  }

  deletedIds(): number[] {
    return this.book.deletedIds();
  }

  idleMs(now = performance.now()): number {
    return now - this.usedAt;
  }

  touch(): void {
    this.usedAt = performance.now();
  }

  /** Ends the thread (its graph's native memory goes with it); false while inserts or a write are in flight. */
  release(): boolean {
    if (this.released) return true;
    if (this.inFlight.length > 0) return false;
    this.released = true;
    this.book.clear();
    // The thread frees the graph and ends; if it does not answer, it is terminated.
    const ended = this.send({ op: 'release' }).catch(() => undefined);
    const timer = setTimeout(() => void this.worker.terminate(), 2000).unref();
    void ended.finally(() => clearTimeout(timer));
    return true;
  }

  async nearest(query: ArrayLike<number>, k: number, filter?: IdFilter): Promise<Neighbour[]> {
    return (await this.nearestMany([query], k, filter))[0]!;
  }

  async nearestMany(queries: readonly ArrayLike<number>[], k: number, filter?: IdFilter): Promise<Neighbour[][]> {
    this.use();
    const rows = new Float64Array(queries.length * this.dim);
    queries.forEach((query, q) => {
      checkQuery(query, this.dim);
      for (let j = 0; j < this.dim; j++) rows[q * this.dim + j] = query[j]!;
    });
    const wire = encodeFilter(filter, () => this.liveIds());
    const answer = (await this.ask({ op: 'search', queries: rows, count: queries.length, k, filter: wire }, [rows.buffer])) as WireNeighbours;
    return unpackNeighbours(answer);
  }

  add(ids: readonly number[], vectors: Float32Array): void {
    void this.addYielding(ids, vectors).catch(() => undefined); // a failure shows in settled() and later calls
  }

  addYielding(ids: readonly number[], vectors: Float32Array): Promise<void> {
    this.use();
    checkRows(ids.length, vectors, this.dim);
    for (const id of ids) this.book.added(id);
    const rows = vectors.slice(); // a compact copy to hand over (a view would carry its whole buffer along)
    const packed = Int32Array.from(ids);
    return this.mutate({ op: 'add', ids: packed, vectors: rows }, [rows.buffer, packed.buffer]);
  }

  remove(ids: readonly number[]): void {
    this.use();
    const gone = ids.filter((id) => this.book.removed(id));
    void this.mutate({ op: 'remove', ids: Int32Array.from(gone) }).catch(() => undefined);
  }

  reserve(total: number): void {
    this.use();
    void this.mutate({ op: 'reserve', total }).catch(() => undefined);
  }

  async write(file: string): Promise<WrittenGraph> {
    if (this.released) throw new Error(RELEASED);
    return (await this.mutate({ op: 'write', file })) as unknown as WrittenGraph;
  }

  async settled(): Promise<void> {
    while (this.inFlight.length > 0) await Promise.allSettled(this.inFlight);
  }

  private use(): void {
    if (this.released) throw new Error(RELEASED);
    if (this.failure) throw this.failure;
    this.usedAt = performance.now();
  }

  /** A mutation: tracked until answered, so release waits for it and settled() covers it. */
  private mutate(request: IndexRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    const answered = this.ask(request, transfer);
    this.inFlight.push(answered);
    const untrack = () => (this.inFlight = this.inFlight.filter((p) => p !== answered));
    answered.then(untrack, untrack);
    return answered as Promise<never>;
  }

  private ask(request: IndexRequest, transfer: ArrayBuffer[] = []): Promise<IndexAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    return this.send(request, transfer);
  }

  private send(request: IndexRequest, transfer: ArrayBuffer[] = []): Promise<IndexAnswer> {
    const seq = ++this.seq;
    return new Promise<IndexAnswer>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      // Held open while answers are due: an unreferenced thread would let a CLI's event loop run empty.
      this.worker.ref();
      this.worker.postMessage({ seq, request }, transfer);
    });
  }

  private abandon(error: unknown): never {
    void this.worker.terminate();
    throw error instanceof Error ? error : new Error(String(error));
  }
}

/** Where an index's graph is made: on an index thread, or in this thread. */
export interface GraphHost {
  create(dim: number, params: HnswParams, capacity: number): Promise<GraphIndex>;
  read(file: string, dim: number, params: HnswParams, deleted: readonly number[]): Promise<GraphIndex>;
}

/** Graphs in this thread (the maintenance check, tests, and where no thread can start). */
export const inThisThread: GraphHost = {
  create: (dim, params, capacity) => Promise.resolve(HnswIndex.create(dim, params, capacity)),
  read: (file, dim, params, deleted) => HnswIndex.read(file, dim, params, deleted),
};

let threadsFailed: string | null = null;

/**
 * Graphs on index threads; where a thread cannot start (no worker support, the worker file missing) the
 * graph is made in this thread instead, said once on stderr, and later graphs do not try again.
 */
export const onIndexThreads: GraphHost = {
  async create(dim, params, capacity) {
    if (threadsFailed === null) {
      try {
        return await ThreadedHnswIndex.create(dim, params, capacity);
      } catch (error) {
        noThreads(error);
      }
    }
    return inThisThread.create(dim, params, capacity);
  },
  async read(file, dim, params, deleted) {
    if (threadsFailed === null) {
      let index: ThreadedHnswIndex | null = null;
      try {
        index = await ThreadedHnswIndex.read(file, dim, params, deleted);
      } catch (error) {
        // A file hnswlib cannot read is the caller's to handle (rebuild); a thread that never started is not.
        if (!(await threadsWork())) noThreads(error);
        else throw error;
      }
      if (index) return index;
    }
    return inThisThread.read(file, dim, params, deleted);
  },
};

function noThreads(error: unknown): void {
  threadsFailed = error instanceof Error ? error.message : String(error);
  process.stderr.write(`[index] no index thread could start (${threadsFailed}); graphs are searched on the app's thread\n`);
}

/** Whether an index thread starts at all (asked after a failed read, to tell a bad file from no threads). */
async function threadsWork(): Promise<boolean> {
  try {
    const probe = await ThreadedHnswIndex.create(1, DEFAULT_HNSW_PARAMS, 1);
    probe.release();
    return true;
  } catch {
    return false;
  }
}
