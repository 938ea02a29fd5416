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
  onChange?: () => void;
  onError?: (error: unknown) => void;
}

interface CachedPage<T> {
  items: T[];
  generation: number;
}

export class PagedList<T extends { id: number }> {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly pages = new Map<number, CachedPage<T>>();
  private readonly inFlight = new Map<number, { generation: number; promise: Promise<T[] | undefined> }>();
  private generation = 0;
  private totalGeneration = -1;
  private lastRange: [number, number] = [0, 0];
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
  }

  /** The item at `index` if its page is cached (possibly stale), else undefined. */
  get(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.items[index % this.pageSize];
  }

  /** Loads every page overlapping [from, to) that is missing or stale. */
  async ensureRange(from: number, to: number): Promise<void> {
    this.lastRange = [from, to];
    const wanted = this.pagesOf(from, to);
    await Promise.all(wanted.map((page) => this.loadPage(page)));
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
      const loaded = await Promise.all(batch.map((page) => this.loadPage(page)));
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
    const [from, to] = this.lastRange;
    await Promise.all(this.pagesOf(from, Math.max(to, from + 1)).map((page) => this.loadPage(page)));
  }

  dispose(): void {
    this.disposed = true;
    this.pages.clear();
  }

  private pagesOf(from: number, to: number): number[] {
    const start = Math.max(0, Math.floor(from / this.pageSize));
    let end = Math.max(start, Math.ceil(to / this.pageSize));
    if (this.total !== null) end = Math.min(end, Math.max(1, Math.ceil(this.total / this.pageSize)));
    const result: number[] = [];
    for (let page = start; page < end; page++) result.push(page);
    return result;
  }

  /** Resolves with the page's items (undefined when the fetch failed or the list was disposed). */
  private loadPage(page: number): Promise<T[] | undefined> {
    const cached = this.pages.get(page);
    if (cached && cached.generation === this.generation) {
      this.touch(page, cached);
      return Promise.resolve(cached.items);
    }
    const pending = this.inFlight.get(page);
    if (pending && pending.generation === this.generation) return pending.promise;

    const generation = this.generation;
    const promise: Promise<T[] | undefined> = this.fetcher(page * this.pageSize, this.pageSize).then(
      (result) => {
        if (this.disposed) return undefined;
        if (this.inFlight.get(page)?.promise === promise) this.inFlight.delete(page);
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
      },
      (error: unknown) => {
        if (this.disposed) return undefined;
        if (this.inFlight.get(page)?.promise === promise) this.inFlight.delete(page);
        this.error = error instanceof Error ? error.message : String(error);
        this.options.onError?.(error);
        this.options.onChange?.();
        return undefined;
      },
    );
    this.inFlight.set(page, { generation, promise });
    return promise;
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
