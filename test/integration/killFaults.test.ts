/**
 * Crash safety beyond import (issue 12, item 1), at CI scale: the kill section of the reliability bench
 * with 2 kills per kind (the bench does 20+). Each kill is a SIGKILL of a child at a seeded point while
 * it embeds, saves an HNSW index, writes model packages, activates an adapted profile and re-embeds,
 * writes feedback judgements through the RPC handlers, or migrates an old catalogue; after a restart the
 * home must be consistent (see bench/reliability/kills.ts for every check).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KILL_KINDS, runKills } from '../../bench/reliability/kills';
import { repoRoot, tempDir } from '../search/searchFixture';

const KILLS_PER_KIND = 2;
const work = tempDir('kill-faults');
afterAll(() => work.cleanup());

describe('SIGKILL during embedding, index save, package write, activation, feedback and migration', () => {
  it('leaves a home that restarts consistent after every kill', async () => {
    const lines: string[] = [];
    const report = await runKills({ killsPerKind: KILLS_PER_KIND, seed: 1212, workDir: work.dir, packageRoot: repoRoot, images: 12, migrationRows: 8000, log: (l) => lines.push(l) });
    const failures = Object.values(report.kinds).flatMap((k) => k.failures.map((f) => `${f.kind} at ${f.delayMs} ms (seed ${f.seed}): ${f.problems.join(' | ')}`));
    expect(failures, lines.join('\n')).toEqual([]);
    expect(Object.keys(report.kinds)).toEqual([...KILL_KINDS]);
    for (const [kind, result] of Object.entries(report.kinds)) {
      expect(result.injected, kind).toBe(KILLS_PER_KIND);
      expect(result.survived, kind).toBe(KILLS_PER_KIND);
    }
    expect(report.kills_injected).toBe(KILLS_PER_KIND * KILL_KINDS.length);
    expect(report.kills_survived).toBe(report.kills_injected);
    // The interrupted jobs of the embedding kind were resumed to the end.
    expect(report.kinds.embed!.jobs_resumed).toBeGreaterThan(0);
  }, 420_000);
});
