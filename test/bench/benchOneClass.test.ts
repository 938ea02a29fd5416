/**
 * `simila bench one-class` on the E2E fixture's shape (six MedNIST classes x 12): one class at a time, five
 * shots, the wizard's default path (the shipped model's own settings). The report's counts come from real
 * searches before and after each adaptation.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOneClassBench } from '../../bench/adapt/oneClassBench';
import { mednist, repoRoot } from '../search/searchFixture';

describe.skipIf(!existsSync(mednist))('simila bench one-class', () => {
  it('adapts to each class alone without making any class worse, and ranks more of them on top overall', async () => {
    const report = await runOneClassBench({ dataDir: mednist, packageRoot: repoRoot });
    const results = report.results as { class: string; before: number; after: number; steps: number }[];
    expect(results.map((r) => r.class)).toEqual(['AbdomenCT', 'BreastMRI', 'CXR', 'ChestCT', 'Hand', 'HeadCT']);
    for (const r of results) {
      expect(r.before).toBeGreaterThanOrEqual(0);
      expect(r.after).toBeLessThanOrEqual(10);
      expect(r.steps).toBeGreaterThan(0);
    }
    expect(report.total_before).toBe(results.reduce((s, r) => s + r.before, 0));
    expect(report.classes_worse).toBe(0);
    expect(report.total_after as number).toBeGreaterThan(report.total_before as number);
    console.log(`one-class: ${results.map((r) => `${r.class} ${r.before}->${r.after}`).join(', ')}`);
  }, 300_000);

  it('refuses a data set with too few images per class for a query and shots', async () => {
    await expect(runOneClassBench({ dataDir: mednist, packageRoot: repoRoot, perClass: 5, shots: 5 })).rejects.toThrow(/per-class/);
  });
});
