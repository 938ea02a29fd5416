/** Job progress bookkeeping (pure): which job to show and how to describe it. */
import type { JobProgress, JobState } from '@shared/rpc/contract';
import { formatCount, formatDuration, formatRate } from './format';

export function isActive(state: JobState): boolean {
  return state === 'queued' || state === 'running' || state === 'paused';
}

/** Newest progress per job; events may arrive out of order, so never let `done` run backwards. */
/** A job just started, shown at once; its progress events replace this placeholder. */
export function queuedJob(jobId: number, kind: JobProgress['kind'], options: { label?: string; total?: number | null } = {}): JobProgress {
  return { jobId, kind, state: 'queued', label: options.label ?? '', total: options.total ?? null, done: 0, imported: 0, skipped: 0, failed: 0, rate: 0, etaSeconds: null, message: null };
}

export function mergeProgress(jobs: ReadonlyMap<number, JobProgress>, update: JobProgress): Map<number, JobProgress> {
  const next = new Map(jobs);
  const previous = jobs.get(update.jobId);
  if (previous && !isActive(previous.state) && isActive(update.state)) return next;
  if (previous && isActive(update.state) && update.done < previous.done) return next;
  next.set(update.jobId, update);
  return next;
}

/** The job the UI shows: the newest active one, else the newest finished one. */
export function currentJob(jobs: Iterable<JobProgress>): JobProgress | null {
  let active: JobProgress | null = null;
  let latest: JobProgress | null = null;
  for (const job of jobs) {
    if (isActive(job.state) && (!active || job.jobId > active.jobId)) active = job;
    if (!latest || job.jobId > latest.jobId) latest = job;
  }
  return active ?? latest;
}

/** Fraction done in [0, 1], or null while the total is unknown (still scanning). */
export function progressFraction(job: JobProgress): number | null {
  if (job.state === 'done') return 1;
  if (job.total === null || job.total <= 0) return null;
  return Math.min(1, job.done / job.total);
}

const stateWords: Record<JobState, string> = {
  queued: 'queued',
  running: 'running',
  paused: 'paused',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function stateWord(state: JobState): string {
  return stateWords[state];
}

/** Main line, e.g. "Imported 35 of 35" (the total is '?' while the folder is still being scanned). */
export function importHeadline(job: JobProgress): string {
  const total = job.total === null ? '?' : formatCount(job.total);
  return `Imported ${formatCount(job.imported)} of ${total}`;
}

/** Secondary line: counts, and rate and ETA while running. */
export function importDetails(job: JobProgress): string {
  const parts = [
    `${formatCount(job.done)} processed`,
    `${formatCount(job.skipped)} skipped`,
    `${formatCount(job.failed)} failed`,
  ];
  if (job.state === 'running') parts.push(formatRate(job.rate), `ETA ${formatDuration(job.etaSeconds)}`);
  return parts.join(' · ');
}
