/**
 * The failed files of the import on show, kept fresh while it runs: fetched again (throttled) as its
 * failure count grows and once more when it ends, started afresh when another job is shown. Shared by
 * the Import view and the import panel.
 */
import { onBeforeUnmount, shallowRef, watch } from 'vue';
import type { Ref, ShallowRef } from 'vue';
import type { ImportFailure, JobProgress } from '@shared/rpc/contract';
import { errorMessage } from './useClient';
import { useJobs } from './useJobs';
import { isActive } from './jobs';
import { throttle } from './throttle';

export interface ImportFailuresOptions {
  /** How many failures to fetch per call (the contract caps it). */
  limit: number;
  onError(message: string): void;
  /** Called when the job on show changes, e.g. to reset paging. */
  onSwitch?(): void;
}

export function useImportFailures(job: Readonly<Ref<JobProgress | null>>, options: ImportFailuresOptions): ShallowRef<ImportFailure[]> {
  const jobs = useJobs();
  const failures = shallowRef<ImportFailure[]>([]);
  // Answers can arrive out of order under load: only the newest request may write the list.
  let latestRequest = 0;

  const load = throttle(() => {
    const current = job.value;
    if (!current) return;
    const jobId = current.jobId;
    const request = ++latestRequest;
    jobs.failures(jobId, options.limit).then(
      (list) => {
        // An older answer, or one for a job no longer on show, is dropped.
        if (request === latestRequest && job.value?.jobId === jobId) failures.value = list;
      },
      (e: unknown) => options.onError(errorMessage(e)),
    );
  }, 1500);

  watch(
    () => [job.value?.jobId, job.value?.failed, job.value?.state] as const,
    ([jobId, failed, state], before) => {
      if (jobId === undefined) return;
      const switched = !before || before[0] !== jobId;
      if (switched) {
        failures.value = [];
        load.cancel();
        options.onSwitch?.();
      }
      const ended = !switched && before !== undefined && before[2] !== state && state !== undefined && !isActive(state);
      if ((failed ?? 0) > 0 && (switched || failed !== before?.[1] || ended)) load();
    },
    { immediate: true },
  );
  onBeforeUnmount(() => load.cancel());

  return failures;
}
