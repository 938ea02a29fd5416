/**
 * The soak (issue 12, item 5) at CI scale: a generated catalogue of 5,000 images with 64-d vectors,
 * one minute of mixed load (library pages, search, judgements and re-rank, a small import, an adaptation
 * from uploaded files with its activation and re-embedding of every image from cached trunk rows) through the
 * real server's WebSocket RPC. It must finish with no errors and report its figures; the latency and
 * memory goals are the bench's to measure (`simila bench reliability --soak-minutes 30`), not asserted here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/reliability/soak';
import { repoRoot, tempDir } from '../search/searchFixture';

const work = tempDir('soak');
afterAll(() => work.cleanup());

describe('soak', () => {
  it('runs a minute of mixed load on a generated catalogue without errors and reports p50/p99 and RSS', async () => {
    const lines: string[] = [];
    const report = await runSoak({ images: 5000, minutes: 1, seed: 5, workDir: work.dir, packageRoot: repoRoot, concurrency: 3, rssEveryMs: 5000, adaptAtMinute: 0.4, log: (l) => lines.push(l) });
    expect(report.errors, JSON.stringify(report.error_samples)).toBe(0);
    expect(report.server_exited).toBe(false);
    expect(report.images).toBe(5000);
    expect(report.dim).toBe(64);
    expect(report.windows).toHaveLength(1);
    const kinds = report.windows[0]!.kinds;
    for (const kind of ['library.page', 'search.byImage', 'feedback.rerank']) {
      expect(kinds[kind]?.count, kind).toBeGreaterThan(0);
      expect(kinds[kind]?.p50_ms, kind).toBeTypeOf('number');
      expect(kinds[kind]?.p99_ms, kind).toBeTypeOf('number');
    }
    expect(kinds.import?.count).toBe(1);
    // The adaptation ran under the load and its re-embedding reached every image (5,000 + the uploads).
    expect(report.adaptation, JSON.stringify(report.adaptation)).toMatchObject({ state: 'done', message: null });
    expect(report.adaptation.reembedded).toBeGreaterThanOrEqual(5000);
    expect(kinds.adapt?.count).toBe(1);
    expect(kinds.reembed?.count).toBe(1);
    expect(report.rss_mb.length).toBeGreaterThanOrEqual(3);
    // The server's event-loop delay, sampled with the RSS: a real measurement (the loop is never idle-perfect).
    expect(report.rss_mb.slice(1).every((r) => typeof r.loop_max_ms === 'number' && r.loop_max_ms > 0)).toBe(true);
    expect(report.windows[0]!.loop_delay.max_ms).toBeGreaterThanOrEqual(report.windows[0]!.loop_delay.p99_ms_worst ?? Infinity);
    expect(report.rss_growth_pct).toBeTypeOf('number');
    expect(typeof report.search_p99_ok_every_window).toBe('boolean');
    expect(typeof report.page_p99_ok_every_window).toBe('boolean');
  }, 240_000);
});
