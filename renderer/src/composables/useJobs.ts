/**
 * Live job state for the whole window (status bar, import panel, later training views): the newest
 * `job.progress` per job, seeded from `jobs.list` so jobs that survived a restart show up again.
 */
import type { InjectionKey, Ref } from 'vue';
import { computed, inject, shallowRef } from 'vue';
import type { ComputedRef } from 'vue';
import type { ImportFailure, JobProgress } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { currentJob, isActive, mergeProgress, queuedJob } from './jobs';
import { errorMessage } from './useClient';

export interface JobsStore {
  jobs: Ref<ReadonlyMap<number, JobProgress>>;
  current: ComputedRef<JobProgress | null>;
  error: Ref<string | null>;
  start(handle: string): Promise<number | null>;
  cancel(jobId: number): Promise<void>;
  /** Stops a queued or running job where it is (it stays paused across restarts). */
  pause(jobId: number): Promise<void>;
  /** Queues a paused job again; it goes on where it stopped. */
  resume(jobId: number): Promise<void>;
  failures(jobId: number, limit?: number): Promise<ImportFailure[]>;
  reload(): Promise<void>;
  dispose(): void;
}

export function createJobsStore(client: SimilaClient): JobsStore {
  const jobs = shallowRef<ReadonlyMap<number, JobProgress>>(new Map());
  const error = shallowRef<string | null>(null);
  const off = client.on('job.progress', (progress) => {
    jobs.value = mergeProgress(jobs.value, progress);
  });

  async function reload(): Promise<void> {
    try {
      const listed = await client.call('jobs.list', {});
      let next = new Map(jobs.value);
      for (const job of listed) next = mergeProgress(next, job);
      jobs.value = next;
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  return {
    jobs,
    current: computed(() => currentJob(jobs.value.values())),
    error,
    reload,
    async start(handle) {
      error.value = null;
      try {
        const { jobId } = await client.call('import.start', { handle });
        // Show the job at once; progress events replace this placeholder.
        if (!jobs.value.has(jobId)) {
          jobs.value = mergeProgress(jobs.value, queuedJob(jobId, 'import'));
        }
        return jobId;
      } catch (e) {
        error.value = errorMessage(e);
        return null;
      }
    },
    async cancel(jobId) {
      const job = jobs.value.get(jobId);
      if (!job || !isActive(job.state)) return;
      try {
        await client.call('jobs.cancel', { jobId });
      } catch (e) {
        error.value = errorMessage(e);
      }
    },
    async pause(jobId) {
      const job = jobs.value.get(jobId);
      if (!job || (job.state !== 'queued' && job.state !== 'running')) return;
      error.value = null;
      try {
        const { ok } = await client.call('jobs.pause', { jobId });
        if (!ok) error.value = 'That job can no longer be paused.';
      } catch (e) {
        error.value = errorMessage(e);
      }
    },
    async resume(jobId) {
      const job = jobs.value.get(jobId);
      if (!job || job.state !== 'paused') return;
      error.value = null;
      try {
        const { ok } = await client.call('jobs.resume', { jobId });
        if (!ok) error.value = 'That job can no longer be resumed.';
      } catch (e) {
        error.value = errorMessage(e);
      }
    },
    async failures(jobId, limit = 500) {
      return client.call('import.failures', { jobId, limit });
    },
    dispose: off,
  };
}

export const jobsKey: InjectionKey<JobsStore> = Symbol('simila.jobs');

export function useJobs(): JobsStore {
  const store = inject(jobsKey, null);
  if (!store) throw new Error('Jobs store missing: App provides it.');
  return store;
}
