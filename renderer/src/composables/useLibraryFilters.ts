/**
 * The active library filters of the window (issue 11): facet values per field (modality, body part,
 * series description, folder, format) and a study-date range. One store, provided by App, that the facet
 * sidebar edits and that the library grid, the series tree and search all read, so the three always
 * agree on what "the filtered archive" is.
 *
 * Edits show at once (the checkbox ticks), but are committed after a short pause: only then do the
 * listeners (grid, tree, search) ask again and the facet counts reload, so ticking three boxes in a row
 * costs one round of requests, not three. Facet counts are asked for with the committed filters only;
 * an answer that a newer request overtook is dropped.
 */
import type { ComputedRef, InjectionKey, Ref } from 'vue';
import { computed, inject, shallowRef } from 'vue';
import type { FacetCounts, SearchFilters } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { throttle } from './throttle';
import { errorMessage } from './useClient';

export type FacetField = 'modality' | 'bodyPart' | 'seriesDescription' | 'folder' | 'format';

export const facetFields: ReadonlyArray<{ field: FacetField; label: string }> = [
  { field: 'modality', label: 'Modality' },
  { field: 'bodyPart', label: 'Body part' },
  { field: 'seriesDescription', label: 'Series description' },
  { field: 'folder', label: 'Folder' },
  { field: 'format', label: 'Format' },
];

export interface ActiveFilters {
  values: Readonly<Record<FacetField, readonly string[]>>;
  /** 'YYYY-MM-DD' or '' (open). */
  studyDateFrom: string;
  studyDateTo: string;
}

export const noFilters: ActiveFilters = {
  values: { modality: [], bodyPart: [], seriesDescription: [], folder: [], format: [] },
  studyDateFrom: '',
  studyDateTo: '',
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The filters as the contract wants them (empty fields left out; undefined when nothing is active). */
export function toSearchFilters(active: ActiveFilters): SearchFilters | undefined {
  const out: SearchFilters = {};
  const { values } = active;
  if (values.modality.length) out.modalities = [...values.modality];
  if (values.bodyPart.length) out.bodyParts = [...values.bodyPart];
  if (values.seriesDescription.length) out.seriesDescriptions = [...values.seriesDescription];
  if (values.format.length) out.formats = [...values.format];
  if (values.folder.length) out.folders = values.folder.map(Number).filter((n) => Number.isInteger(n));
  if (ISO_DATE.test(active.studyDateFrom)) out.studyDateFrom = active.studyDateFrom;
  if (ISO_DATE.test(active.studyDateTo)) out.studyDateTo = active.studyDateTo;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Two filter objects ask for the same images (so nothing needs asking again). */
export function sameFilters(a: SearchFilters | undefined, b: SearchFilters | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

/** Number of active choices (values ticked plus date bounds), for "Filters (3)". */
export function activeCount(active: ActiveFilters): number {
  let n = 0;
  for (const { field } of facetFields) n += active.values[field].length;
  if (active.studyDateFrom) n++;
  if (active.studyDateTo) n++;
  return n;
}

export interface LibraryFiltersStore {
  /** What the sidebar shows (updates at once). */
  active: Ref<ActiveFilters>;
  /** The committed filters every list asks with (undefined: none). */
  filters: Ref<SearchFilters | undefined>;
  count: ComputedRef<number>;
  facets: Ref<FacetCounts | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  isChecked(field: FacetField, value: string): boolean;
  toggle(field: FacetField, value: string): void;
  setDate(which: 'from' | 'to', value: string): void;
  clear(): void;
  /** Commits pending edits now (e.g. before a search that must honour them). */
  flush(): void;
  reloadFacets(): Promise<void>;
  /** Called with the new filters whenever a change is committed. */
  onChange(listener: (filters: SearchFilters | undefined) => void): () => void;
  dispose(): void;
}

export interface LibraryFiltersOptions {
  /** Pause after the last edit before the filters are committed and asked with. */
  debounceMs?: number;
  refreshMs?: number;
}

export const FILTER_DEBOUNCE_MS = 250;

export function createLibraryFilters(client: SimilaClient, options: LibraryFiltersOptions = {}): LibraryFiltersStore {
  const active = shallowRef<ActiveFilters>(noFilters);
  const filters = shallowRef<SearchFilters | undefined>(undefined);
  const facets = shallowRef<FacetCounts | null>(null);
  const loading = shallowRef(false);
  const error = shallowRef<string | null>(null);
  const listeners = new Set<(filters: SearchFilters | undefined) => void>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ticket = 0;

  async function reloadFacets(): Promise<void> {
    const mine = ++ticket;
    loading.value = true;
    try {
      const request = filters.value ? { filters: filters.value } : {};
      const answer = await client.call('library.facets', request);
      if (mine !== ticket) return;
      facets.value = answer;
      error.value = null;
    } catch (e) {
      if (mine === ticket) error.value = errorMessage(e);
    } finally {
      if (mine === ticket) loading.value = false;
    }
  }

  function commit(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const next = toSearchFilters(active.value);
    if (sameFilters(next, filters.value)) return;
    filters.value = next;
    void reloadFacets();
    for (const listener of listeners) listener(next);
  }

  function edit(next: ActiveFilters): void {
    active.value = next;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(commit, options.debounceMs ?? FILTER_DEBOUNCE_MS);
  }

  // New images change the counts (an import streams batches: at most one reload per refreshMs).
  const refresh = throttle(() => void reloadFacets(), options.refreshMs ?? 1000);
  const off = client.on('library.changed', () => refresh());
  void reloadFacets();

  return {
    active,
    filters,
    count: computed(() => activeCount(active.value)),
    facets,
    loading,
    error,
    isChecked: (field, value) => active.value.values[field].includes(value),
    toggle(field, value) {
      const current = active.value.values[field];
      const nextValues = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
      edit({ ...active.value, values: { ...active.value.values, [field]: nextValues } });
    },
    setDate(which, value) {
      const clean = ISO_DATE.test(value) ? value : '';
      if (which === 'from') edit({ ...active.value, studyDateFrom: clean });
      else edit({ ...active.value, studyDateTo: clean });
    },
    clear() {
      active.value = noFilters;
      commit();
    },
    flush: commit,
    reloadFacets,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      off();
      refresh.cancel();
      if (timer !== null) clearTimeout(timer);
      listeners.clear();
    },
  };
}

export const libraryFiltersKey: InjectionKey<LibraryFiltersStore> = Symbol('simila.libraryFilters');

export function useLibraryFilters(): LibraryFiltersStore {
  const store = inject(libraryFiltersKey, null);
  if (!store) throw new Error('Library filters missing: App provides them.');
  return store;
}
