/**
 * The library grouped as patient > study > series (`library.tree`) under the active filters, with the
 * series flattened in tree order for keyboard focus. Only the newest answer is shown; a filter change or
 * new images ask again (new images at most once per refreshMs while an import streams).
 */
import type { ComputedRef, Ref } from 'vue';
import { computed, shallowRef } from 'vue';
import type { PatientNode, SearchFilters, SeriesNode, StudyNode } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { throttle } from './throttle';
import { errorMessage } from './useClient';

export interface SeriesEntry {
  series: SeriesNode;
  study: StudyNode;
  patient: PatientNode;
  /** Position in the flattened tree (keyboard focus). */
  index: number;
}

export interface SeriesTreeStore {
  patients: Ref<PatientNode[]>;
  flat: ComputedRef<SeriesEntry[]>;
  focusIndex: Ref<number>;
  loading: Ref<boolean>;
  /** True once an answer arrived (so "no series" is known, not just not loaded yet). */
  loaded: Ref<boolean>;
  error: Ref<string | null>;
  load(filters: SearchFilters | undefined): Promise<void>;
  /** Asks again with the last filters (throttled). */
  refresh(): void;
  dispose(): void;
}

export function flattenTree(patients: readonly PatientNode[]): SeriesEntry[] {
  const out: SeriesEntry[] = [];
  for (const patient of patients) {
    for (const study of patient.studies) {
      for (const series of study.series) out.push({ series, study, patient, index: out.length });
    }
  }
  return out;
}

/** Short caption of a series tile: '12 images', '1 image'. */
export function instancesText(n: number): string {
  return `${n} ${n === 1 ? 'image' : 'images'}`;
}

export function createSeriesTree(client: SimilaClient, options: { refreshMs?: number } = {}): SeriesTreeStore {
  const patients = shallowRef<PatientNode[]>([]);
  const focusIndex = shallowRef(-1);
  const loading = shallowRef(false);
  const loaded = shallowRef(false);
  const error = shallowRef<string | null>(null);
  const flat = computed(() => flattenTree(patients.value));
  let last: SearchFilters | undefined;
  let ticket = 0;

  async function load(filters: SearchFilters | undefined): Promise<void> {
    last = filters;
    const mine = ++ticket;
    loading.value = true;
    try {
      const answer = await client.call('library.tree', filters ? { filters } : {});
      if (mine !== ticket) return;
      // Keep the focus on the same series where it is still listed.
      const focusedId = flat.value[focusIndex.value]?.series.id;
      patients.value = answer.patients;
      loaded.value = true;
      error.value = null;
      const again = focusedId === undefined ? -1 : flat.value.findIndex((e) => e.series.id === focusedId);
      focusIndex.value = again >= 0 ? again : flat.value.length > 0 ? 0 : -1;
    } catch (e) {
      if (mine === ticket) error.value = errorMessage(e);
    } finally {
      if (mine === ticket) loading.value = false;
    }
  }

  const refresh = throttle(() => void load(last), options.refreshMs ?? 1000);

  return {
    patients,
    flat,
    focusIndex,
    loading,
    loaded,
    error,
    load,
    refresh,
    dispose() {
      ticket++;
      refresh.cancel();
    },
  };
}
