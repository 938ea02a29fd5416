/**
 * A lazily loaded, page-cached view of a long server-side list (the library, later search results).
 * Pages are fetched on demand (`ensureRange`), kept in a bounded LRU cache, and refreshed without
 * flicker: `refresh()` marks every page stale (stale items stay visible) and re-fetches the pages in
 * use. Responses that arrive after a newer refresh started are kept as stale, never as fresh.
 * Framework-free: `onChange` tells the owner to re-render.
 */

export interface Page<T> {
  total: number;
  items: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>;

export interface PagedListOptions {
  pageSize?: number;
  /** Pages kept in memory; the least recently used are dropped beyond this. */
  maxPages?: number;
  /** Page requests in flight at once. */
  maxConcurrent?: number;
  onChange?: () => void;
  onError?: (error: unknown) => void;
}

interface CachedPage<T> {
  items: T[];
  generation: number;
}

interface QueuedFetch<T> {
  page: number;
  generation: number;
  droppable: boolean;
  resolve: (items: T[] | undefined) => void;
}

export class PagedList<T extends { id: number }> {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly pages = new Map<number, CachedPage<T>>();
  private readonly inFlight = new Map<number, { generation: number; promise: Promise<T[] | undefined>; entry: QueuedFetch<T> }>();
  private readonly queue: QueuedFetch<T>[] = [];
  private readonly maxConcurrent: number;
  private running = 0;
  /** Pages of the range the view asked for last. */
  private wanted = new Set<number>();
  private generation = 0;
  private totalGeneration = -1;
  private readonly ranges = new Map<string, [number, number]>();
  private disposed = false;
  /** Total number of items; null until the first page arrives. */
  total: number | null = null;
  error: string | null = null;

  constructor(
    private readonly fetcher: PageFetcher<T>,
    private readonly options: PagedListOptions = {},
  ) {
    this.pageSize = Math.max(1, Math.min(2000, options.pageSize ?? 200));
    this.maxPages = Math.max(2, options.maxPages ?? 100);
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
  }

  /** The item at `index` if its page is cached (possibly stale), else undefined. */
  get(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.items[index % this.pageSize];
  }

  /**
   * Loads every page overlapping [from, to) that is missing or stale. Each `owner` (the grid, the
   * viewer) has one current range; pages outside every owner's range are not worth fetching any more.
   */
  async ensureRange(from: number, to: number, owner = 'view'): Promise<void> {
    this.ranges.set(owner, [from, to]);
    this.updateWanted();
    // Queued last = fetched first: the top of the view loads first.
    await Promise.all(this.pagesOf(from, to).reverse().map((page) => this.loadPage(page, true)));
  }

  /** The owner no longer shows anything (e.g. the viewer closed). */
  forget(owner: string): void {
    this.ranges.delete(owner);
    this.updateWanted();
  }

  /** Ids at positions from..to inclusive, fetching the pages needed (a few at a time). */
  async idsBetween(from: number, to: number): Promise<number[]> {
    const pages = this.pagesOf(from, to + 1);
    const byPage = new Map<number, T[]>();
    const missing: number[] = [];
    for (const page of pages) {
      const cached = this.pages.get(page);
      if (cached) byPage.set(page, cached.items);
      else missing.push(page);
    }
    // Read straight from the responses: a long range may be evicted from the cache while it loads.
    for (let i = 0; i < missing.length; i += 4) {
      const batch = missing.slice(i, i + 4);
      const loaded = await Promise.all(batch.map((page) => this.loadPage(page, false)));
      batch.forEach((page, k) => byPage.set(page, loaded[k] ?? []));
    }
    const ids: number[] = [];
    const last = this.total === null ? to : Math.min(to, this.total - 1);
    for (let index = Math.max(0, from); index <= last; index++) {
      const item = byPage.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
      if (item) ids.push(item.id);
    }
    return ids;
  }

  /** The list changed on the server: keep showing what we have, re-fetch the pages in view. */
  async refresh(): Promise<void> {
    this.generation++;
    if (this.ranges.size === 0) this.ranges.set('view', [0, 1]);
    this.updateWanted();
    await Promise.all([...this.wanted].reverse().map((page) => this.loadPage(page, true)));
  }

  dispose(): void {
    this.disposed = true;
    this.pages.clear();
  }

  private updateWanted(): void {
    this.wanted = new Set();
    for (const [from, to] of this.ranges.values()) for (const page of this.pagesOf(from, to)) this.wanted.add(page);
  }

  private pagesOf(from: number, to: number): number[] {
    const start = Math.max(0, Math.floor(from / this.pageSize));
    let end = Math.max(start, Math.ceil(to / this.pageSize));
    if (this.total !== null) end = Math.min(end, Math.max(1, Math.ceil(this.total / this.pageSize)));
    const result: number[] = [];
    for (let page = start; page < end; page++) result.push(page);
    return result;
  }

  /**
   * Resolves with the page's items (undefined when the fetch failed, was dropped or the list was
   * disposed). Fetches run a few at a time, newest request first; a `droppable` request (the view's)
   * that is no longer in view when its turn comes is dropped, so a fast scroll through 50,000 items
   * does not queue hundreds of pages nobody looks at any more.
   */
  private loadPage(page: number, droppable: boolean): Promise<T[] | undefined> {
    const cached = this.pages.get(page);
    if (cached && cached.generation === this.generation) {
      this.touch(page, cached);
      return Promise.resolve(cached.items);
    }
    const pending = this.inFlight.get(page);
    if (pending && pending.generation === this.generation) {
      if (!droppable) pending.entry.droppable = false;
      return pending.promise;
    }
    let resolve!: (items: T[] | undefined) => void;
    const promise = new Promise<T[] | undefined>((r) => (resolve = r));
    const entry: QueuedFetch<T> = { page, generation: this.generation, droppable, resolve };
    this.inFlight.set(page, { generation: entry.generation, promise, entry });
    this.queue.push(entry);
    this.pump();
    return promise;
  }

  private pump(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0) {
      const entry = this.queue.pop()!;
      const superseded = this.inFlight.get(entry.page)?.entry !== entry;
      if (this.disposed || superseded || (entry.droppable && !this.wanted.has(entry.page))) {
        if (!superseded) this.inFlight.delete(entry.page);
        entry.resolve(undefined);
        continue;
      }
      this.running++;
      void this.fetchPage(entry).then((items) => {
        this.running--;
        entry.resolve(items);
        this.pump();
      });
    }
  }

  private async fetchPage(entry: QueuedFetch<T>): Promise<T[] | undefined> {
    const { page, generation } = entry;
    const done = () => {
      if (this.inFlight.get(page)?.entry === entry) this.inFlight.delete(page);
    };
    try {
      const result = await this.fetcher(page * this.pageSize, this.pageSize);
      done();
      if (this.disposed) return undefined;
      // Only a response at least as new as the last one that set the total may change it.
      if (generation >= this.totalGeneration) {
        this.total = result.total;
        this.totalGeneration = generation;
      }
      this.touch(page, { items: result.items, generation });
      this.error = null;
      this.evict();
      this.options.onChange?.();
      return result.items;
    } catch (error) {
      done();
      if (this.disposed) return undefined;
      this.error = error instanceof Error ? error.message : String(error);
      this.options.onError?.(error);
      this.options.onChange?.();
      return undefined;
    }
  }

  private touch(page: number, entry: CachedPage<T>): void {
    this.pages.delete(page);
    this.pages.set(page, entry);
  }

  private evict(): void {
    for (const page of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      this.pages.delete(page);
    }
  }
}
