/**
 * Persistent job queue. Jobs live in the catalogue's jobs table; one runs at a time. Runners are
 * registered per kind and receive an AbortSignal for cancel. Progress is emitted as contract
 * `JobProgress` values, throttled (state changes are emitted at once). On start-up, jobs a crash
 * left 'running' or 'queued' can be re-queued with `resumeInterrupted` (runners must be idempotent).
 */
import type { JobProgress, JobState } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { JobRecord } from '../catalogue/repositories/jobs';
import { createRateMeter, type RateMeter } from './rateMeter';

export interface JobCounts {
  total: number | null;
  done: number;
  imported: number;
  skipped: number;
  failed: number;
}

export interface JobContext {
  jobId: number;
  params: unknown;
  signal: AbortSignal;
  /** Latest counts; cheap to call often (emission is throttled). */
  report(counts: JobCounts, message?: string | null): void;
}

export interface JobOutcome {
  /** Stored with the job and returned by `waitFor`. */
  summary: Record<string, unknown>;
  counts: JobCounts;
  message?: string | null;
  /** The runner stopped because the signal fired. */
  cancelled?: boolean;
}

export type JobRunner = (context: JobContext) => Promise<JobOutcome>;

export interface FinishedJob {
  id: number;
  state: JobState;
  summary: Record<string, unknown> | null;
  error: string | null;
}

export interface JobQueue {
  enqueue(kind: string, label: string, params: unknown): number;
  cancel(jobId: number): boolean;
  /** Stops a queued or running job; it stays 'paused' (also across restarts) until `resume`. */
  pause(jobId: number): boolean;
  /** Queues a paused job (or one an earlier process left unfinished) again; runners are idempotent, so it goes on where it stopped. */
  resume(jobId: number): boolean;
  list(limit?: number): JobProgress[];
  get(jobId: number): JobProgress | undefined;
  /** Resolves when the job reaches done, failed or cancelled. */
  waitFor(jobId: number): Promise<FinishedJob>;
  /** Re-queues jobs left running/queued by an earlier process; returns their ids. */
  resumeInterrupted(): number[];
  /** Stops the running job (it stays queued for the next start) and waits for it to settle. */
  close(): Promise<void>;
}

export interface JobQueueOptions {
  catalogue: Catalogue;
  runners: Record<string, JobRunner>;
  onProgress: (progress: JobProgress) => void;
  throttleMs?: number;
}

interface StoredProgress {
  counts?: Partial<JobCounts>;
  summary?: Record<string, unknown>;
  message?: string | null;
}

interface Live {
  jobId: number;
  controller: AbortController;
  meter: RateMeter;
  counts: JobCounts;
  message: string | null;
  lastEmit: number;
  lastSave: number;
  closing: boolean;
  pausing: boolean;
}

const ZERO: JobCounts = { total: null, done: 0, imported: 0, skipped: 0, failed: 0 };
const FINAL: readonly JobState[] = ['done', 'failed', 'cancelled'];

function storedProgress(record: JobRecord): StoredProgress {
  const p = record.progress;
  return p && typeof p === 'object' ? (p as StoredProgress) : {};
}

export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { catalogue, runners, onProgress } = options;
  const throttleMs = options.throttleMs ?? 250;
  const pending: number[] = [];
  const waiters = new Map<number, ((job: FinishedJob) => void)[]>();
  let live: Live | null = null;
  let running: Promise<void> | null = null;
  let closed = false;

  const toProgress = (record: JobRecord): JobProgress => {
    const isLive = live?.jobId === record.id;
    const stored = storedProgress(record);
    const counts = isLive ? live!.counts : { ...ZERO, ...stored.counts };
    return {
      jobId: record.id,
      kind: record.kind,
      state: record.state,
      label: record.label,
      total: counts.total,
      done: counts.done,
      imported: counts.imported,
      skipped: counts.skipped,
      failed: counts.failed,
      rate: isLive ? live!.meter.rate() : 0,
      etaSeconds: isLive ? live!.meter.eta(counts.total, counts.done) : null,
      message: isLive ? live!.message : (record.error ?? stored.message ?? null),
    };
  };
  const emit = (jobId: number) => {
    const record = catalogue.jobs.get(jobId);
    if (record) onProgress(toProgress(record));
  };
  const settle = (jobId: number) => {
    const record = catalogue.jobs.get(jobId);
    if (!record || !FINAL.includes(record.state)) return;
    const stored = storedProgress(record);
    const finished: FinishedJob = { id: jobId, state: record.state, summary: stored.summary ?? null, error: record.error };
    for (const resolve of waiters.get(jobId) ?? []) resolve(finished);
    waiters.delete(jobId);
  };

  const runOne = async (jobId: number) => {
    const record = catalogue.jobs.get(jobId);
    if (!record || record.state !== 'queued') return;
    const runner = runners[record.kind];
    if (!runner) {
      catalogue.jobs.setState(jobId, 'failed', `No runner for jobs of kind "${record.kind}".`);
      emit(jobId);
      settle(jobId);
      return;
    }
    const current: Live = {
      jobId,
      controller: new AbortController(),
      meter: createRateMeter(),
      counts: { ...ZERO },
      message: null,
      lastEmit: 0,
      lastSave: 0,
      closing: false,
      pausing: false,
    };
    live = current;
    catalogue.jobs.setState(jobId, 'running');
    emit(jobId);
    const report = (counts: JobCounts, message?: string | null) => {
      current.counts = { ...counts };
      if (message !== undefined) current.message = message;
      const now = performance.now();
      current.meter.sample(counts.done, now);
      if (now - current.lastEmit >= throttleMs) {
        current.lastEmit = now;
        emit(jobId);
      }
      if (now - current.lastSave >= 1000) {
        current.lastSave = now;
        catalogue.jobs.saveProgress(jobId, { counts: current.counts, message: current.message });
      }
    };
    try {
      const outcome = await runner({ jobId, params: record.params, signal: current.controller.signal, report });
      current.counts = { ...outcome.counts };
      catalogue.jobs.saveProgress(jobId, { counts: outcome.counts, summary: outcome.summary, message: outcome.message ?? null });
      // A job stopped by close() (app quitting) stays queued so the next start resumes it.
      // A paused job keeps its state until resumed.
      const stopped: JobState = current.closing ? 'queued' : current.pausing ? 'paused' : 'cancelled';
      const state: JobState = outcome.cancelled ? stopped : 'done';
      catalogue.jobs.setState(jobId, state);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      catalogue.jobs.saveProgress(jobId, { counts: current.counts, message });
      catalogue.jobs.setState(jobId, current.closing ? 'queued' : current.pausing ? 'paused' : 'failed', message);
    } finally {
      live = null;
    }
    emit(jobId);
    settle(jobId);
  };

  const pump = () => {
    if (running || closed || pending.length === 0) return;
    const loop = async () => {
      // Yield first, so `running` is set before the loop can finish and clear it.
      await Promise.resolve();
      while (!closed) {
        const next = pending.shift();
        if (next === undefined) break;
        await runOne(next);
      }
    };
    running = loop().finally(() => {
      running = null;
      if (pending.length > 0) pump();
    });
  };

  return {
    enqueue(kind, label, params) {
      if (closed) throw new Error('The job queue is closed.');
      const id = catalogue.jobs.create(kind, label, params);
      pending.push(id);
      emit(id);
      pump();
      return id;
    },
    cancel(jobId) {
      if (live?.jobId === jobId) {
        live.pausing = false;
        live.controller.abort();
        return true;
      }
      const index = pending.indexOf(jobId);
      const paused = catalogue.jobs.get(jobId)?.state === 'paused';
      if (index < 0 && !paused) return false;
      if (index >= 0) pending.splice(index, 1);
      catalogue.jobs.setState(jobId, 'cancelled');
      emit(jobId);
      settle(jobId);
      return true;
    },
    pause(jobId) {
      if (live?.jobId === jobId) {
        if (live.closing) return false;
        live.pausing = true;
        live.controller.abort();
        return true;
      }
      const index = pending.indexOf(jobId);
      if (index < 0) return false;
      pending.splice(index, 1);
      catalogue.jobs.setState(jobId, 'paused');
      emit(jobId);
      return true;
    },
    resume(jobId) {
      if (closed) return false;
      const record = catalogue.jobs.get(jobId);
      if (!record || live?.jobId === jobId || pending.includes(jobId)) return false;
      // Paused jobs, and jobs an earlier process left queued or running (it was killed).
      if (!['paused', 'queued', 'running'].includes(record.state)) return false;
      catalogue.jobs.setState(jobId, 'queued');
      pending.push(jobId);
      emit(jobId);
      pump();
      return true;
    },
    list(limit = 50) {
      return catalogue.jobs.listRecent(limit).map(toProgress);
    },
    get(jobId) {
      const record = catalogue.jobs.get(jobId);
      return record && toProgress(record);
    },
    waitFor(jobId) {
      const record = catalogue.jobs.get(jobId);
      if (!record) return Promise.reject(new Error(`No job ${jobId}.`));
      return new Promise<FinishedJob>((resolve) => {
        waiters.set(jobId, [...(waiters.get(jobId) ?? []), resolve]);
        settle(jobId);
      });
    },
    resumeInterrupted() {
      const ids: number[] = [];
      for (const record of catalogue.jobs.listInterrupted()) {
        if (pending.includes(record.id) || live?.jobId === record.id) continue;
        if (record.state === 'running') catalogue.jobs.setState(record.id, 'queued');
        pending.push(record.id);
        ids.push(record.id);
      }
      pump();
      return ids;
    },
    async close() {
      closed = true;
      if (live) {
        live.closing = true;
        live.controller.abort();
      }
      await running;
    },
  };
}
