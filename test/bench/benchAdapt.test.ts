/**
 * `simila bench adapt` on small sizes: seeded episode folders, and one JSON report whose figures come
 * from the real adapt and reembed jobs (the shipped model, 2-way 3-shot, 2 episodes, 500 items).
 */
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { median, runAdaptBench, sampleEpisodeFolder } from '../../bench/adapt/adaptBench';
import { mednist, repoRoot } from '../search/searchFixture';

const work = mkdtempSync(path.join(os.tmpdir(), 'simila-bench-adapt-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe.skipIf(!existsSync(mednist))('simila bench adapt', () => {
  it('draws the same episode for the same seed and another for another seed', () => {
    const listing = (dir: string) => readdirSync(dir).flatMap((c) => readdirSync(path.join(dir, c)).map((f) => `${c}/${f}`)).sort();
    const a = sampleEpisodeFolder(mednist, path.join(work, 'a'), 3, 4, 11);
    const b = sampleEpisodeFolder(mednist, path.join(work, 'b'), 3, 4, 11);
    const c = sampleEpisodeFolder(mednist, path.join(work, 'c'), 3, 4, 12);
    expect(a).toEqual(b);
    expect(listing(path.join(work, 'a'))).toEqual(listing(path.join(work, 'b')));
    expect(listing(path.join(work, 'a'))).toHaveLength(12);
    expect(listing(path.join(work, 'a'))).not.toEqual(listing(path.join(work, 'c')));
    const first = listing(path.join(work, 'a'))[0]!;
    // Both sides resolved: the data folder itself may sit behind a symlink (../shared on CI).
    expect(realpathSync(path.join(work, 'a', first))).toBe(realpathSync(path.join(mednist, first)));
    expect(() => sampleEpisodeFolder(mednist, path.join(work, 'd'), 50, 4, 1)).toThrow(/classes/);
  });

  it('reports adaptation medians and re-embedding split into vectors and HNSW', async () => {
    const report = await runAdaptBench({ dataDir: mednist, packageRoot: repoRoot, ways: 2, shots: 3, holdout: 1, episodes: 2, seed: 3, archiveSize: 500, preferBackends: ['wasm'] });
    expect(report).toMatchObject({ bench: 'adapt', adaptation: { ways: 2, shots: 3, holdout: 1, episodes: 2, seed: 3 }, reembed: { items: 500, from_cache: 500 } });
    expect(report.model).not.toBe('');
    expect(report.backend).toMatch(/wasm|cpu|tensorflow/);
    expect(report.adaptation.runs).toHaveLength(4);
    for (const run of report.adaptation.runs) {
      expect(run.classes).toHaveLength(2);
      expect(run.seconds).toBeGreaterThan(0);
    }
    const cold = report.adaptation.runs.filter((r) => r.phase === 'cold').map((r) => r.seconds);
    expect(report.adaptation.cold.median_seconds).toBeCloseTo(median(cold), 2);
    expect(report.adaptation.meets_target).toBe(report.adaptation.cold.median_seconds <= 10);
    const { reembed } = report;
    expect(reembed.vectors_seconds).toBeGreaterThan(0);
    expect(reembed.hnsw_seconds).toBeGreaterThan(0);
    expect(reembed.vectors_seconds + reembed.hnsw_seconds).toBeLessThanOrEqual(reembed.seconds + 0.01);
    expect(reembed.vectors_seconds_per_100k).toBeCloseTo(reembed.vectors_seconds * 200, 0);
    expect(report.machine.cpus).toBe(os.cpus().length);
    expect(report.machine.load_average_start).toHaveLength(3);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  }, 300_000);
});
