// Entry of an index thread (out/main/indexWorker.js when bundled): it owns one model's HNSW graph, so
// the graph's searches and inserts run beside the thread that serves pages and searches (issue 12).
// Inserts, removals and writes are applied one after another in the order asked; searches are answered
// as they come, between insert slices, so a search never waits for a whole insert batch.
import { parentPort } from 'node:worker_threads';
import { HnswIndex } from './hnswIndex';
import { decodeFilter, packNeighbours, type IndexAnswer, type IndexMessage, type IndexReply, type IndexRequest } from './indexProtocol';
import { yieldToEventLoop } from '../threads/cooperative';
import type { Neighbour } from './types';

if (!parentPort) throw new Error('indexWorker must run in a worker thread');
const port = parentPort;

/** Slices of inserting (and of a batch of searches) between which waiting searches are answered. */
const SLICE_MS = 8;

let index: HnswIndex | null = null;
let mutations: Promise<unknown> = Promise.resolve();

const graph = (): HnswIndex => {
  if (!index) throw new Error('The index thread holds no graph yet.');
  return index;
};

/** Runs after every mutation asked for earlier (insert order decides the graph, so it is kept). */
const inOrder = <T>(run: () => Promise<T> | T): Promise<T> => {
  const next = mutations.then(run);
  mutations = next.catch(() => undefined);
  return next;
};

async function searchAll(queries: Float64Array, count: number, k: number, filter: ReturnType<typeof decodeFilter>): Promise<Neighbour[][]> {
  const g = graph();
  const out: Neighbour[][] = [];
  let started = performance.now();
  for (let q = 0; q < count; q++) {
    out.push(g.search(queries.subarray(q * g.dim, (q + 1) * g.dim), k, filter));
    if (q + 1 < count && performance.now() - started >= SLICE_MS) {
      await yieldToEventLoop();
      started = performance.now();
    }
  }
  return out;
}

async function handle(request: IndexRequest): Promise<IndexAnswer> {
  switch (request.op) {
    case 'create':
      index = HnswIndex.create(request.dim, request.params, request.capacity, request.seed);
      return null;
    case 'read':
      index = await HnswIndex.read(request.file, request.dim, request.params, request.deleted);
      return { ids: Int32Array.from(index.liveIds().concat(index.deletedIds())) };
    case 'add':
      return inOrder(async () => {
        await graph().addYielding(Array.from(request.ids), request.vectors, SLICE_MS);
        return null;
      });
    case 'remove':
      return inOrder(() => {
        graph().remove(Array.from(request.ids));
        return null;
      });
    case 'reserve':
      return inOrder(() => {
        graph().reserve(request.total);
        return null;
      });
    case 'write':
      return inOrder(() => graph().write(request.file));
    case 'search':
      return packNeighbours(await searchAll(request.queries, request.count, request.k, decodeFilter(request.filter)));
    case 'release':
      await mutations;
      index?.release();
      index = null;
      return null;
  }
}

port.on('message', ({ seq, request }: IndexMessage) => {
  handle(request).then(
    (answer) => {
      const transfer = answer && 'distances' in answer ? [answer.counts.buffer, answer.ids.buffer, answer.distances.buffer] : answer && 'ids' in answer ? [answer.ids.buffer] : [];
      port.postMessage({ seq, ok: true, answer } satisfies IndexReply, transfer as ArrayBuffer[]);
      if (request.op === 'release') port.close(); // nothing more to do: the thread ends
    },
    (error: unknown) => port.postMessage({ seq, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies IndexReply),
  );
});
