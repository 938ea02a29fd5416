/**
 * Which labels a graph holds and which of them are marked deleted, kept beside the graph so that size,
 * membership and the live id list answer without asking hnswlib (or, for a graph on an index thread,
 * without a message). Shared by the in-process graph (HnswIndex) and the threaded one (ThreadedHnswIndex).
 */
import { IdMap } from './idMap';

/** Inserts move the neighbourhood epoch once they add more than this share of the graph's size at its start. */
const GROWTH_PER_EPOCH = 0.01;

export class LabelBook {
  /** An id-indexed array, not a Set: no million-entry object for the GC to walk. */
  private labels = new IdMap();
  private readonly deleted = new Set<number>();
  /** The highest label ever added (a catch-up asks the catalogue only for ids above it). */
  private highest = 0;
  private epoch = 0;
  private addedThisEpoch = 0;
  private sizeAtEpoch = 0;

  /** The book of a graph read from a file: its labels, and those that were deleted when it was saved. */
  static of(ids: Iterable<number>, deleted: readonly number[]): LabelBook {
    const book = new LabelBook();
    for (const id of ids) book.added(id);
    for (const id of deleted) if (book.labels.has(id)) book.deleted.add(id);
    return book;
  }

  /** Live (not deleted) labels. */
  get size(): number {
    return this.labels.size - this.deleted.size;
  }

  /** The highest label ever added (0 when none). */
  get maxId(): number {
    return this.highest;
  }

  /**
   * Moves with every removal or release, and with inserts only once they have added more than 1% of the
   * graph since it last moved (a graph of under 100 moves with every insert). An answer that a few newcomers
   * barely change (the distance to an image's own k-th neighbour, the re-rank's page radius) stays valid
   * while it stands; a re-embedding inserting batch after batch no longer throws such answers away.
   */
  get neighbourhoodEpoch(): number {
    return this.epoch;
  }

  has(id: number): boolean {
    return this.labels.has(id) && !this.deleted.has(id);
  }

  /** Live labels, in no particular order. */
  liveIds(): number[] {
    const out: number[] = [];
    for (const id of this.labels.keys()) if (!this.deleted.has(id)) out.push(id);
    return out;
  }

  deletedIds(): number[] {
    return [...this.deleted];
  }

  /** A label inserted (re-adding a deleted label un-deletes it, in hnswlib too). */
  added(id: number): void {
    this.labels.set(id, 0);
    if (id > this.highest) this.highest = id;
    this.deleted.delete(id);
    this.addedThisEpoch++;
    if (this.addedThisEpoch > this.sizeAtEpoch * GROWTH_PER_EPOCH) this.nextEpoch();
  }

  /** Marks a live label deleted; false (nothing done) when it is not live. */
  removed(id: number): boolean {
    if (!this.has(id)) return false;
    this.deleted.add(id);
    this.nextEpoch();
    return true;
  }

  /** Forgets everything but the highest label (a released graph). */
  clear(): void {
    this.labels = new IdMap();
    this.deleted.clear();
    this.nextEpoch();
  }

  private nextEpoch(): void {
    this.epoch++;
    this.addedThisEpoch = 0;
    this.sizeAtEpoch = this.size;
  }
}
