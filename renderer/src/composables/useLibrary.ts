/**
 * The library as the views see it: folder filter, the lazily paged image list of that filter, the
 * selection and the keyboard focus. One store per window, so the status bar and later views (search by
 * the selected images, adaptation wizard) read the same selection.
 */
import type { ComputedRef, InjectionKey, Ref, ShallowRef } from 'vue';
import { computed, inject, shallowRef } from 'vue';
import type { FolderSummary, ImageSummary, SearchFilters } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { PagedList } from './pagedList';
import { emptySelection, selectedCount } from './selection';
import type { Selection } from './selection';
import { throttle } from './throttle';
import { errorMessage } from './useClient';

export interface LibraryStore {
  folders: Ref<FolderSummary[]>;
  /** null = all folders. */
  folderId: Ref<number | null>;
  /** The facet filters the grid asks with (the shared library filters, committed). */
  filters: Ref<SearchFilters | undefined>;
  /** The library shows images (flat grid) or series (patient > study > series tree). */
  groupMode: Ref<LibraryMode>;
  list: ShallowRef<PagedList<ImageSummary>>;
  /** Item count of the current filter (0 until known). */
  total: Ref<number>;
  /** Bumps whenever cached pages change, so renders that read `list.get()` update. */
  version: Ref<number>;
  selection: Ref<Selection>;
  anchor: Ref<number>;
  focusIndex: Ref<number>;
  selectedCount: ComputedRef<number>;
  error: Ref<string | null>;
  setFolder(folderId: number | null): void;
  setFilters(filters: SearchFilters | undefined): void;
  /** Re-reads folders and the visible pages (throttled while an import streams changes). */
  refresh(): void;
  loadFolders(): Promise<void>;
  dispose(): void;
}

export type LibraryMode = 'images' | 'series';

export interface LibraryStoreOptions {
  pageSize?: number;
  refreshMs?: number;
}

export function createLibraryStore(client: SimilaClient, options: LibraryStoreOptions = {}): LibraryStore {
  const folders = shallowRef<FolderSummary[]>([]);
  const folderId = shallowRef<number | null>(null);
  const filters = shallowRef<SearchFilters | undefined>(undefined);
  const groupMode = shallowRef<LibraryMode>('images');
  const total = shallowRef(0);
  const version = shallowRef(0);
  const selection = shallowRef<Selection>(emptySelection);
  const anchor = shallowRef(-1);
  const focusIndex = shallowRef(-1);
  const error = shallowRef<string | null>(null);

  function makeList(filter: number | null, facets: SearchFilters | undefined): PagedList<ImageSummary> {
    const list: PagedList<ImageSummary> = new PagedList<ImageSummary>(
      (offset, limit) => client.call('library.page', { offset, limit, folderId: filter, ...(facets ? { filters: facets } : {}) }),
      {
        pageSize: options.pageSize ?? 200,
        onChange: () => {
          if (list !== listRef.value) return;
          total.value = list.total ?? 0;
          error.value = list.error;
          version.value++;
        },
      },
    );
    return list;
  }

  const listRef = shallowRef<PagedList<ImageSummary>>(null as unknown as PagedList<ImageSummary>);
  listRef.value = makeList(null, undefined);
  void listRef.value.ensureRange(0, 1);

  async function loadFolders(): Promise<void> {
    try {
      folders.value = await client.call('library.folders', {});
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  /** A new filter: a new list from the top, nothing selected. */
  function replaceList(): void {
    listRef.value.dispose();
    total.value = 0;
    selection.value = emptySelection;
    anchor.value = -1;
    focusIndex.value = -1;
    listRef.value = makeList(folderId.value, filters.value);
    version.value++;
    void listRef.value.ensureRange(0, 1);
  }

  const refresh = throttle(() => {
    void loadFolders();
    void listRef.value.refresh();
  }, options.refreshMs ?? 600);

  const off = client.on('library.changed', () => refresh());
  void loadFolders();

  return {
    folders,
    folderId,
    filters,
    groupMode,
    list: listRef,
    total,
    version,
    selection,
    anchor,
    focusIndex,
    selectedCount: computed(() => selectedCount(selection.value, total.value)),
    error,
    setFolder(id) {
      if (id === folderId.value) return;
      folderId.value = id;
      replaceList();
    },
    setFilters(next) {
      if (JSON.stringify(next ?? {}) === JSON.stringify(filters.value ?? {})) return;
      filters.value = next;
      replaceList();
    },
    refresh,
    loadFolders,
    dispose() {
      off();
      refresh.cancel();
      listRef.value.dispose();
    },
  };
}

export const libraryKey: InjectionKey<LibraryStore> = Symbol('simila.library');

export function useLibrary(): LibraryStore {
  const store = inject(libraryKey, null);
  if (!store) throw new Error('Library store missing: App provides it.');
  return store;
}
