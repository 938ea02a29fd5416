/** Builds an HNSW index from a vector source in batches, yielding to the event loop between batches. */
import type { HnswParams } from './hnswIndex';
import type { GraphIndex } from './graphIndex';
import { onIndexThreads, type GraphHost } from './threadedIndex';
import type { VectorSource } from './types';
import { yieldToEventLoop } from '../threads/cooperative';

export interface BuildOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Where the graph is made (default: on an index thread). */
  host?: GraphHost;
}

export async function buildIndex(source: VectorSource, params: HnswParams, options: BuildOptions = {}): Promise<GraphIndex> {
  const total = source.count();
  const index = await (options.host ?? onIndexThreads).create(source.dim, params, Math.max(1024, total));
  let done = 0;
  for (const batch of source.batches(options.batchSize ?? 2048)) {
    options.signal?.throwIfAborted();
    await index.addYielding(batch.ids, batch.vectors);
    done += batch.ids.length;
    options.onProgress?.(done, total);
    await yieldToEventLoop();
  }
  return index;
}

/**
 * Brings an index in line with the source: adds ids it lacks, removes ids the source no longer has.
 * Vectors of one (model, image) never change, so ids alone tell what differs. First only the ids above
 * the highest the index holds (new vectors come with new, higher image ids), and when the counts then
 * agree that is all; else the whole id lists are compared. Inserts run in slices with the event loop free
 * between them: at a million vectors the whole comparison and a batch of inserts held the app for most of
 * a second, every few seconds while an embedding job ran (soak, issue 12). Returns the changes made.
 */
export async function catchUp(index: GraphIndex, source: VectorSource, batchSize = 2048): Promise<{ added: number; removed: number }> {
  let added = 0;
  if (source.idsAfter && index.size > 0) {
    added += await addLacking(index, source, source.idsAfter(index.maxId), batchSize);
    if (index.size === source.count()) return { added, removed: 0 };
  }
  const sourceIds = source.ids();
  await yieldToEventLoop();
  const inSource = new Set(sourceIds);
  const gone = index.liveIds().filter((id) => !inSource.has(id));
  index.remove(gone);
  await yieldToEventLoop();
  added += await addLacking(index, source, sourceIds, batchSize);
  return { added, removed: gone.length };
}

/** Adds the vectors of those of `ids` the index lacks, a batch at a time, in slices; returns how many. */
async function addLacking(index: GraphIndex, source: VectorSource, ids: readonly number[], batchSize: number): Promise<number> {
  const lacking = ids.filter((id) => !index.has(id));
  for (let start = 0; start < lacking.length; start += batchSize) {
    const batch = lacking.slice(start, start + batchSize);
    const found = source.get(batch);
    const present = batch.filter((id) => found.has(id));
    const vectors = new Float32Array(present.length * source.dim);
    present.forEach((id, i) => vectors.set(found.get(id)!, i * source.dim));
    await index.addYielding(present, vectors);
  }
  return lacking.length;
}
