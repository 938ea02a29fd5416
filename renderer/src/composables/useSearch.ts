/**
 * Search by example for the whole window: the query (an archive image or an uploaded file), k and the
 * filters, the ranked hits as a GridModel the thumbnail grid and viewer can show, and how much of the
 * archive the active model has embedded (with the embedding job's progress). One store per window, so
 * "Find similar" from the library grid, the viewer or a dropped file all land in the same results.
 */
import type { ComputedRef, InjectionKey, Ref } from 'vue';
import { computed, inject, shallowRef } from 'vue';
import type { EmbeddingStatus, ImageSummary, JobProgress, SearchFilters, SearchHit, SearchResponse } from '@shared/rpc/contract';
import { sameFilters } from './useLibraryFilters';
import type { SimilaClient } from '../rpc/types';
import type { GridModel } from './gridModel';
import { isActive, queuedJob } from './jobs';
import { PagedList } from './pagedList';
import { emptySelection } from './selection';
import type { Selection } from './selection';
import { throttle } from './throttle';
import { readUpload } from './upload';
import { errorCode, errorMessage } from './useClient';

export type SearchQuery =
  | { kind: 'image'; id: number; name: string; format?: string }
  | { kind: 'series'; seriesId: number; name: string; thumbId: number }
  | { kind: 'upload'; name: string; data: string; size: number };

/** One hit per series, or one per image; leave out nothing, the query's series or its study. */
export type SearchGroup = 'none' | 'series';
export type SearchExclude = 'none' | 'series' | 'study';

/** Grouping by series is the default where a query has series (DICOM images, whole series). */
export function defaultGroup(query: SearchQuery): SearchGroup {
  if (query.kind === 'series') return 'series';
  if (query.kind === 'image') return query.format === 'dicom' ? 'series' : 'none';
  return /\.(dcm|dicom)$/i.test(query.name) ? 'series' : 'none';
}

export interface SearchFilterState {
  folderId: number | null;
  modality: string;
  label: string;
}

export const K_CHOICES = [10, 20, 50, 100, 200] as const;
export const DEFAULT_K = 50;

export interface SearchStore extends GridModel {
  query: Ref<SearchQuery | null>;
  k: Ref<number>;
  filters: Ref<SearchFilterState>;
  /** The library's facet filters (shared with the grid and the tree), applied on top of `filters`. */
  sharedFilters: Ref<SearchFilters | undefined>;
  group: Ref<SearchGroup>;
  exclude: Ref<SearchExclude>;
  response: Ref<SearchResponse | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  errorCode: Ref<string | null>;
  /** Embedding coverage of the active model (null until first asked). */
  status: Ref<EmbeddingStatus | null>;
  /** The newest embedding job seen ('embed' progress events). */
  embedJob: Ref<JobProgress | null>;
  embedding: ComputedRef<boolean>;
  hitAt(index: number): SearchHit | undefined;
  byImage(id: number, name?: string, format?: string): Promise<void>;
  /** A whole series as the query (the mean of its instances' embeddings). */
  bySeries(seriesId: number, name: string, thumbId: number): Promise<void>;
  byFile(file: File): Promise<void>;
  rerun(): Promise<void>;
  /** Shows an answer got elsewhere (a feedback re-rank of the same query) in place of the current one. */
  showResponse(answer: SearchResponse): void;
  setK(k: number): void;
  setFilters(patch: Partial<SearchFilterState>): void;
  setSharedFilters(filters: SearchFilters | undefined): void;
  setGroup(group: SearchGroup): void;
  setExclude(exclude: SearchExclude): void;
  startEmbedding(): Promise<void>;
  refreshStatus(): Promise<void>;
  /** Opens the file chooser (App registers the hidden file input). */
  pickFile(): void;
  setFilePicker(picker: (() => void) | null): void;
  dispose(): void;
}

export interface SearchStoreOptions {
  /** Called when a search starts, so the shell can show the Search view. */
  onSearch?: () => void;
  /** Called after a search answered (the back end may have started its ML engine meanwhile). */
  onAnswered?: () => void;
  statusRefreshMs?: number;
}

const PAGE_SIZE = 200;

/** The filters as the contract wants them: empty fields left out; the shared facet filters on top. */
export function toContractFilters(filters: SearchFilterState, shared?: SearchFilters): SearchFilters | undefined {
  const out: SearchFilters = { ...shared };
  if (filters.folderId !== null) out.folderId = filters.folderId;
  if (filters.modality.trim()) out.modality = filters.modality.trim();
  if (filters.label.trim()) out.label = filters.label.trim();
  return Object.keys(out).length > 0 ? out : undefined;
}

export function createSearchStore(client: SimilaClient, options: SearchStoreOptions = {}): SearchStore {
  const query = shallowRef<SearchQuery | null>(null);
  const k = shallowRef<number>(DEFAULT_K);
  const filters = shallowRef<SearchFilterState>({ folderId: null, modality: '', label: '' });
  const sharedFilters = shallowRef<SearchFilters | undefined>(undefined);
  const group = shallowRef<SearchGroup>('none');
  const exclude = shallowRef<SearchExclude>('none');
  const response = shallowRef<SearchResponse | null>(null);
  const loading = shallowRef(false);
  const error = shallowRef<string | null>(null);
  const code = shallowRef<string | null>(null);
  const status = shallowRef<EmbeddingStatus | null>(null);
  const embedJob = shallowRef<JobProgress | null>(null);

  // GridModel over the hits of the current response (pages are slices of an array already here).
  let hits: SearchHit[] = [];
  const total = shallowRef(0);
  const version = shallowRef(0);
  const selection = shallowRef<Selection>(emptySelection);
  const anchor = shallowRef(-1);
  const focusIndex = shallowRef(-1);
  const list = shallowRef<PagedList<ImageSummary>>(makeList([]));

  function makeList(source: SearchHit[]): PagedList<ImageSummary> {
    const made: PagedList<ImageSummary> = new PagedList<ImageSummary>(
      async (offset, limit) => ({ total: source.length, items: source.slice(offset, offset + limit).map((h) => h.image) }),
      {
        pageSize: PAGE_SIZE,
        onChange: () => {
          if (made === list.value) version.value++;
        },
      },
    );
    return made;
  }

  function showHits(next: SearchHit[]): void {
    list.value.dispose();
    hits = next;
    total.value = next.length;
    selection.value = emptySelection;
    anchor.value = -1;
    focusIndex.value = next.length > 0 ? 0 : -1;
    list.value = makeList(next);
    version.value++;
    // At least one page, so an empty answer is known to be empty (the grid says so).
    void list.value.ensureRange(0, Math.max(1, Math.min(next.length, PAGE_SIZE)));
  }

  let ticket = 0;
  async function run(): Promise<void> {
    const q = query.value;
    if (!q) return;
    const mine = ++ticket;
    loading.value = true;
    error.value = null;
    code.value = null;
    // The defaults ('none') are left out of the request, as main assumes them.
    const common = {
      k: k.value,
      filters: toContractFilters(filters.value, sharedFilters.value),
      ...(group.value !== 'none' ? { group: group.value } : {}),
    };
    const leaveOut = exclude.value !== 'none' ? { exclude: exclude.value } : {};
    try {
      const answer =
        q.kind === 'image'
          ? await client.call('search.byImage', { id: q.id, ...common, ...leaveOut })
          : q.kind === 'series'
            ? await client.call('search.bySeries', { seriesId: q.seriesId, ...common, ...leaveOut })
            : await client.call('search.byUpload', { name: q.name, data: q.data, ...common });
      if (mine !== ticket) return;
      response.value = answer;
      showHits(answer.hits);
      options.onAnswered?.();
      void refreshStatus();
    } catch (e) {
      if (mine !== ticket) return;
      response.value = null;
      showHits([]);
      error.value = errorMessage(e);
      code.value = errorCode(e);
    } finally {
      if (mine === ticket) loading.value = false;
    }
  }

  async function refreshStatus(): Promise<void> {
    try {
      status.value = await client.call('embeddings.status', {});
    } catch {
      // The coverage note is a nicety; the search itself reports real errors.
    }
  }
  const refreshStatusSoon = throttle(() => void refreshStatus(), options.statusRefreshMs ?? 1000);

  const off = client.on('job.progress', (progress) => {
    if (progress.kind !== 'embed') return;
    const previous = embedJob.value;
    if (previous && previous.jobId > progress.jobId) return;
    embedJob.value = progress;
    refreshStatusSoon();
    // The index grew: rank the whole archive again once the job is done.
    const finished = progress.state === 'done' && previous?.state !== 'done';
    const partial = response.value !== null && response.value.embedded < response.value.total;
    if (finished && partial) void run();
  });

  let filePicker: (() => void) | null = null;

  return {
    list,
    total,
    version,
    selection,
    anchor,
    focusIndex,
    query,
    k,
    filters,
    sharedFilters,
    group,
    exclude,
    response,
    loading,
    error,
    errorCode: code,
    status,
    embedJob,
    embedding: computed(() => embedJob.value !== null && isActive(embedJob.value.state)),
    hitAt: (index) => hits[index],
    async byImage(id, name, format) {
      query.value = { kind: 'image', id, name: name ?? `Image ${id}`, ...(format ? { format } : {}) };
      group.value = defaultGroup(query.value);
      options.onSearch?.();
      await run();
    },
    async bySeries(seriesId, name, thumbId) {
      query.value = { kind: 'series', seriesId, name, thumbId };
      group.value = defaultGroup(query.value);
      options.onSearch?.();
      await run();
    },
    async byFile(file) {
      options.onSearch?.();
      const read = await readUpload(file);
      if (!read.ok) {
        ticket++;
        loading.value = false;
        error.value = read.message;
        code.value = 'bad_request';
        return;
      }
      query.value = { kind: 'upload', name: read.name, data: read.data, size: read.size };
      group.value = defaultGroup(query.value);
      await run();
    },
    rerun: run,
    showResponse(answer) {
      ticket++; // a search still in flight must not overwrite this answer
      loading.value = false;
      error.value = null;
      code.value = null;
      response.value = answer;
      showHits(answer.hits);
    },
    setK(next) {
      if (next === k.value) return;
      k.value = next;
      void run();
    },
    setFilters(patch) {
      const next = { ...filters.value, ...patch };
      const same =
        next.folderId === filters.value.folderId && next.modality === filters.value.modality && next.label === filters.value.label;
      if (same) return;
      filters.value = next;
      void run();
    },
    setSharedFilters(next) {
      if (sameFilters(next, sharedFilters.value)) return;
      sharedFilters.value = next;
      void run();
    },
    setGroup(next) {
      if (next === group.value) return;
      group.value = next;
      void run();
    },
    setExclude(next) {
      if (next === exclude.value) return;
      exclude.value = next;
      void run();
    },
    async startEmbedding() {
      error.value = null;
      try {
        const { jobId } = await client.call('embeddings.start', {});
        if (!embedJob.value || embedJob.value.jobId !== jobId) {
          embedJob.value = queuedJob(jobId, 'embed', { total: status.value ? status.value.total - status.value.embedded : null });
        }
      } catch (e) {
        error.value = errorMessage(e);
        code.value = errorCode(e);
      }
    },
    refreshStatus,
    pickFile() {
      filePicker?.();
    },
    setFilePicker(picker) {
      filePicker = picker;
    },
    dispose() {
      off();
      refreshStatusSoon.cancel();
      list.value.dispose();
    },
  };
}

export const searchKey: InjectionKey<SearchStore> = Symbol('simila.search');

export function useSearch(): SearchStore {
  const store = inject(searchKey, null);
  if (!store) throw new Error('Search store missing: App provides it.');
  return store;
}
