/**
 * Persistent job queue. Jobs live in the catalogue's jobs table; one runs at a time in each lane (by
 * default every kind shares one lane; imports get a lane of their own so a new folder is not held behind
 * an hour-long re-embedding). Runners are
 * registered per kind and receive an AbortSignal for cancel. Progress is emitted as contract
 * `JobProgress` values, throttled (state changes are emitted at once). On start-up, jobs a crash
 * left 'running' or 'queued' can be re-queued with `resumeInterrupted` (runners must be idempotent).
 */
import type { JobProgress, JobState } from '../../shared/rpc/contract';
import type { Catalogue } from '../catalogue/catalogue';
import type { JobRecord } from '../catalogue/repositories/jobs';
import { asResourceFault, isDiskFull as isFull } from '../ingest/fsErrors';
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

/**
 * Thrown by a runner that stops early for a reason it can state (a full disk, a read-only home): the job
 * ends failed with `message`, and keeps the summary and counts of what it did.
 */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly summary: Record<string, unknown>,
    readonly counts?: JobCounts,
    /** A reason code, e.g. 'disk_full'. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}

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
  /**
   * Frees the data home's space reserve; called when the catalogue is full so the queue can still
   * record how a job ended (see dataHome.spaceReserve). True when it freed some.
   */
  releaseSpaceReserve?: () => boolean;
  /** Makes the space reserve again when there is room; called as each job starts. */
  ensureSpaceReserve?: () => boolean;
  /**
   * Lane of each job kind (default 'main'). Jobs of one lane run one after another, lanes side by side:
   * only kinds whose runners may overlap with every other lane's belong in a lane of their own.
   */
  lanes?: Record<string, string>;
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
  const laneOf = (kind: string): string => options.lanes?.[kind] ?? 'main';
  /** Queued job ids per lane, in order. */
  const pending = new Map<string, number[]>();
  const queueOf = (lane: string): number[] => {
    let queue = pending.get(lane);
    if (!queue) pending.set(lane, (queue = []));
    return queue;
  };
  const isPending = (jobId: number) => [...pending.values()].some((queue) => queue.includes(jobId));
  /** Removes a queued job from its lane; false when it was not queued. */
  const unqueue = (jobId: number): boolean => {
    for (const queue of pending.values()) {
      const index = queue.indexOf(jobId);
      if (index >= 0) {
        queue.splice(index, 1);
        return true;
      }
    }
    return false;
  };
  const waiters = new Map<number, ((job: FinishedJob) => void)[]>();
  /** The running job of each lane. */
  const lives = new Map<string, Live>();
  const liveJob = (jobId: number): Live | undefined => [...lives.values()].find((l) => l.jobId === jobId);
  const running = new Map<string, Promise<void>>();
  let closed = false;

  const toProgress = (record: JobRecord): JobProgress => {
    const live = liveJob(record.id);
    const kept = live ? undefined : unsaved.get(record.id);
    const stored = storedProgress(record);
    const counts = live ? live.counts : kept ? kept.counts : { ...ZERO, ...stored.counts };
    return {
      jobId: record.id,
      kind: record.kind,
      state: kept ? kept.state : record.state,
      label: record.label,
      total: counts.total,
      done: counts.done,
      imported: counts.imported,
      skipped: counts.skipped,
      failed: counts.failed,
      rate: live ? live.meter.rate() : 0,
      etaSeconds: live ? live.meter.eta(counts.total, counts.done) : null,
      message: live ? live.message : kept ? kept.message : (record.error ?? stored.message ?? null),
    };
  };
  const emit = (jobId: number) => {
    const record = catalogue.jobs.get(jobId);
    if (record) onProgress(toProgress(record));
  };
  /**
   * How jobs ended whose final state the catalogue could not store (its disk was full, or it turned
   * read-only): waiters and listeners still learn it, and the next start finds the job unfinished in
   * the catalogue and resumes it (runners are idempotent).
   */
  const unsaved = new Map<number, FinishedJob & { counts: JobCounts; message: string | null }>();
  /** A catalogue write of the queue's own bookkeeping; on a full disk retried once after the space reserve is freed. */
  const persist = (write: () => void): boolean => {
    try {
      write();
      return true;
    } catch (error) {
      if (isFull(error) && options.releaseSpaceReserve?.()) {
        try {
          write();
          return true;
        } catch {
          // still no room: reported below
        }
      }
      console.error(`[simila] the job queue could not store a job's state: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  };
  const settle = (jobId: number) => {
    const kept = unsaved.get(jobId);
    let finished: FinishedJob;
    if (kept) {
      finished = { id: jobId, state: kept.state, summary: kept.summary, error: kept.error };
    } else {
      const record = catalogue.jobs.get(jobId);
      if (!record || !FINAL.includes(record.state)) return;
      const stored = storedProgress(record);
      finished = { id: jobId, state: record.state, summary: stored.summary ?? null, error: record.error };
    }
    for (const resolve of waiters.get(jobId) ?? []) resolve(finished);
    waiters.delete(jobId);
  };

  const runOne = async (jobId: number, lane: string) => {
    const record = catalogue.jobs.get(jobId);
    if (!record || record.state !== 'queued') return;
    const runner = runners[record.kind];
    if (!runner) {
      const error = `No runner for jobs of kind "${record.kind}".`;
      if (!persist(() => catalogue.jobs.setState(jobId, 'failed', error))) unsaved.set(jobId, { id: jobId, state: 'failed', summary: null, error, counts: { ...ZERO }, message: error });
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
    lives.set(lane, current);
    unsaved.delete(jobId);
    options.ensureSpaceReserve?.(); // made again once there is room (released when a disk filled)
    persist(() => catalogue.jobs.setState(jobId, 'running'));
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
        try {
          catalogue.jobs.saveProgress(jobId, { counts: current.counts, message: current.message });
        } catch {
          // Saved progress is a convenience for restarts; a full disk must not end the job from here.
        }
      }
    };
    let state: JobState;
    let summary: Record<string, unknown> | null = null;
    let error: string | null = null;
    let message: string | null;
    try {
      const outcome = await runner({ jobId, params: record.params, signal: current.controller.signal, report });
      current.counts = { ...outcome.counts };
      summary = outcome.summary;
      message = outcome.message ?? null;
      // A job stopped by close() (app quitting) stays queued so the next start resumes it.
      // A paused job keeps its state until resumed.
      const stopped: JobState = current.closing ? 'queued' : current.pausing ? 'paused' : 'cancelled';
      state = outcome.cancelled ? stopped : 'done';
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
      message = error;
      if (thrown instanceof JobFailure) {
        summary = thrown.summary;
        if (thrown.counts) current.counts = { ...thrown.counts };
      }
      state = current.closing ? 'queued' : current.pausing ? 'paused' : 'failed';
    } finally {
      lives.delete(lane);
    }
    const counts = current.counts;
    const saved = persist(() =>
      catalogue.transaction(() => {
        catalogue.jobs.saveProgress(jobId, summary ? { counts, summary, message } : { counts, message });
        catalogue.jobs.setState(jobId, state, error);
      }),
    );
    if (!saved) unsaved.set(jobId, { id: jobId, state, summary, error, counts, message });
    emit(jobId);
    settle(jobId);
  };

  const pump = (lane: string) => {
    const queue = queueOf(lane);
    if (running.has(lane) || closed || queue.length === 0) return;
    const loop = async () => {
      // Yield first, so the lane's `running` is set before the loop can finish and clear it.
      await Promise.resolve();
      while (!closed) {
        const next = queue.shift();
        if (next === undefined) break;
        try {
          await runOne(next, lane);
        } catch (error) {
          // The catalogue itself failed under the queue (e.g. it cannot be read any more): this job is
          // left as the catalogue has it, the next ones still get their turn.
          console.error(`[simila] job ${next} could not be run: ${error instanceof Error ? error.message : String(error)}`);
          lives.delete(lane);
        }
      }
    };
    running.set(
      lane,
      loop().finally(() => {
        running.delete(lane);
        if (queue.length > 0) pump(lane);
      }),
    );
  };
  /** Queues a job (already 'queued' in the catalogue) in its kind's lane and starts the lane. */
  const push = (jobId: number, kind: string) => {
    const lane = laneOf(kind);
    queueOf(lane).push(jobId);
    return lane;
  };

  return {
    enqueue(kind, label, params) {
      if (closed) throw new Error('The job queue is closed.');
      let id: number;
      try {
        id = catalogue.jobs.create(kind, label, params);
      } catch (error) {
        // No room (or no write access) for even the job's row: say so instead of an SQLite error.
        throw asResourceFault(error, `the job "${label}" could not be queued`, 'Free some space and start it again.');
      }
      const lane = push(id, kind);
      emit(id);
      pump(lane);
      return id;
    },
    cancel(jobId) {
      const live = liveJob(jobId);
      if (live) {
        live.pausing = false;
        live.controller.abort();
        return true;
      }
      const paused = catalogue.jobs.get(jobId)?.state === 'paused';
      if (!isPending(jobId) && !paused) return false;
      unqueue(jobId);
      catalogue.jobs.setState(jobId, 'cancelled');
      emit(jobId);
      settle(jobId);
      return true;
    },
    pause(jobId) {
      const live = liveJob(jobId);
      if (live) {
        if (live.closing) return false;
        live.pausing = true;
        live.controller.abort();
        return true;
      }
      if (!unqueue(jobId)) return false;
      catalogue.jobs.setState(jobId, 'paused');
      emit(jobId);
      return true;
    },
    resume(jobId) {
      if (closed) return false;
      const record = catalogue.jobs.get(jobId);
      if (!record || liveJob(jobId) || isPending(jobId)) return false;
      // Paused jobs, and jobs an earlier process left queued or running (it was killed).
      if (!['paused', 'queued', 'running'].includes(record.state)) return false;
      catalogue.jobs.setState(jobId, 'queued');
      const lane = push(jobId, record.kind);
      emit(jobId);
      pump(lane);
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
        if (isPending(record.id) || liveJob(record.id)) continue;
        if (record.state === 'running') catalogue.jobs.setState(record.id, 'queued');
        push(record.id, record.kind);
        ids.push(record.id);
      }
      for (const lane of pending.keys()) pump(lane);
      return ids;
    },
    async close() {
      closed = true;
      for (const live of lives.values()) {
        live.closing = true;
        live.controller.abort();
      }
      await Promise.all(running.values());
    },
  };
}
