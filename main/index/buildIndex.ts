/** Builds an HNSW index from a vector source in batches, yielding to the event loop between batches. */
import { HnswIndex, type HnswParams } from './hnswIndex';
import type { VectorSource } from './types';

export interface BuildOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function buildIndex(source: VectorSource, params: HnswParams, options: BuildOptions = {}): Promise<HnswIndex> {
  const total = source.count();
  const index = HnswIndex.create(source.dim, params, Math.max(1024, total));
  let done = 0;
  for (const batch of source.batches(options.batchSize ?? 2048)) {
    options.signal?.throwIfAborted();
    await index.addYielding(batch.ids, batch.vectors);
    done += batch.ids.length;
    options.onProgress?.(done, total);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return index;
}

/**
 * Brings an index in line with the source: adds ids it lacks, removes ids the source no longer has.
 * Vectors of one (model, image) never change, so ids alone tell what differs. Returns the changes made.
 */
export function catchUp(index: HnswIndex, source: VectorSource, batchSize = 2048): { added: number; removed: number } {
  const sourceIds = source.ids();
  const inSource = new Set(sourceIds);
  const gone = index.liveIds().filter((id) => !inSource.has(id));
  index.remove(gone);
  const lacking = sourceIds.filter((id) => !index.has(id));
  for (let start = 0; start < lacking.length; start += batchSize) {
    const ids = lacking.slice(start, start + batchSize);
    const found = source.get(ids);
    const present = ids.filter((id) => found.has(id));
    const vectors = new Float32Array(present.length * source.dim);
    present.forEach((id, i) => vectors.set(found.get(id)!, i * source.dim));
    index.add(present, vectors);
  }
  return { added: lacking.length, removed: gone.length };
}
