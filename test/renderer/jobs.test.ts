import { describe, expect, it } from 'vitest';
import type { JobProgress } from '@shared/rpc/contract';
import { currentJob, importDetails, importHeadline, mergeProgress, progressFraction } from '../../renderer/src/composables/jobs';
import { formatDuration, formatRate } from '../../renderer/src/composables/format';
import { jobProgress } from './fakeClient';

const progress = (p: Partial<JobProgress>) => jobProgress({ label: '/data/a', ...p });

describe('job progress', () => {
  it('keeps the newest progress and ignores late, older events', () => {
    let jobs = mergeProgress(new Map(), progress({ done: 10 }));
    jobs = mergeProgress(jobs, progress({ done: 4 }));
    expect(jobs.get(1)?.done).toBe(10);
    jobs = mergeProgress(jobs, progress({ done: 35, imported: 35, state: 'done' }));
    jobs = mergeProgress(jobs, progress({ done: 34, state: 'running' }));
    expect(jobs.get(1)?.state).toBe('done');
  });

  it('shows the newest active job, else the newest finished one', () => {
    const a = progress({ jobId: 1, state: 'running' });
    const b = progress({ jobId: 2, state: 'done' });
    expect(currentJob([a, b])?.jobId).toBe(1);
    expect(currentJob([progress({ jobId: 1, state: 'done' }), b])?.jobId).toBe(2);
    expect(currentJob([])).toBeNull();
  });

  it('describes progress in words the E2E test can read', () => {
    const done = progress({ state: 'done', done: 35, imported: 35 });
    expect(importHeadline(done)).toBe('Imported 35 of 35');
    expect(progressFraction(done)).toBe(1);
    const scanning = progress({ total: null, done: 3, imported: 2, failed: 1, rate: 12.4, etaSeconds: 75 });
    expect(importHeadline(scanning)).toBe('Imported 2 of ?');
    expect(progressFraction(scanning)).toBeNull();
    expect(importDetails(scanning)).toBe('3 processed · 0 skipped · 1 failed · 12 files/s · ETA 1m 15s');
    expect(formatRate(2.25)).toBe('2.3 files/s');
    expect(formatDuration(3725)).toBe('1h 02m');
  });
});
