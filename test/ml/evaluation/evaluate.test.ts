import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { evaluate, type EvaluationReport, type MethodReport } from '../../../main/ml/evaluation/evaluate';
import { preprocessedInputs, type InputSource } from '../../../main/ml/evaluation/inputSource';
import type { Method } from '../../../main/ml/evaluation/method';
import { createMethods } from '../../../main/ml/evaluation/methods';
import { useShapesPool } from './support/shapesFolder';

const CLASSES = 6;
const PER_CLASS = 8;
const episodeOptions = { way: 4, shot: 2, queries: 5, episodes: 6 };
const shapes = useShapesPool('eval', CLASSES, PER_CLASS);

const classOf = (id: string) => path.basename(path.dirname(id));

/** Counts decodes, so tests can see the embedding cache at work. */
function countingInputs(): InputSource<string> & { decoded: Map<string, number> } {
  const spec = defaultPreprocessSpec(28, 3);
  const decoded = new Map<string, number>();
  const inner = preprocessedInputs<string>(spec, (id) => {
    decoded.set(id, (decoded.get(id) ?? 0) + 1);
    return id;
  }, { cacheImages: 0 });
  return { load: (ids) => inner.load(ids), failures: inner.failures, decoded };
}

function fixedMethod(name: string, embed: (id: string) => number[]): Method<string> {
  return { name, prepare: async () => ({ embed: async (ids) => ids.map((id) => Float32Array.from(embed(id))) }) };
}

async function run(methods: Method<string>[], seed = 1): Promise<EvaluationReport> {
  const result = await evaluate({ pool: shapes.pool(), methods, seed, ...episodeOptions });
  if (!result.ok) throw new Error(result.message);
  return result.report;
}

const withoutTimes = (report: EvaluationReport) => report.results.map(({ seconds: _seconds, ...rest }) => rest);

describe('evaluate (episodic retrieval protocol)', () => {
  it('reports every figure for random and dml, deterministically for a seed', async () => {
    const report = async (seed: number) => {
      const made = createMethods(['random', 'dml'], { net: shapes.net(), inputs: countingInputs(), seed });
      if (!made.ok) throw new Error(made.message);
      try {
        return await run(made.methods, seed);
      } finally {
        for (const m of made.methods) m.dispose?.();
      }
    };
    const first = await report(1);
    expect(first).toMatchObject({ episodes: 6, way: 4, shot: 2, queries: 5, seed: 1, eligible_classes: 6, skipped_classes: 0 });
    expect(first.results.map((r) => r.method)).toEqual(['random', 'dml']);
    const keys: (keyof MethodReport)[] = ['recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'map', 'ci95_recall_at_1', 'ci95_map_at_r'];
    for (const line of first.results) {
      for (const key of keys) {
        expect(typeof line[key]).toBe('number');
        expect(line[key] as number).toBeGreaterThanOrEqual(0);
        expect(line[key] as number).toBeLessThanOrEqual(1);
      }
      // Recall@k cannot fall as k grows.
      expect(line.recall_at_8).toBeGreaterThanOrEqual(line.recall_at_1);
    }
    // Different weights (seed 1 vs the net's seed 5) give different figures.
    expect(first.results[0]?.map).not.toBe(first.results[1]?.map);

    expect(withoutTimes(await report(1))).toEqual(withoutTimes(first));
    expect(withoutTimes(await report(2))).not.toEqual(withoutTimes(first));
  });

  it('gives a perfect embedder 1 everywhere and a constant one chance', async () => {
    const report = await run([
      fixedMethod('perfect', (id) => Array.from({ length: CLASSES }, (_, c) => (classOf(id) === `class${c}` ? 1 : 0))),
      fixedMethod('constant', () => [1, 0, 0]),
    ]);
    const [perfect, constant] = report.results as [MethodReport, MethodReport];
    expect(perfect).toMatchObject({ recall_at_1: 1, recall_at_8: 1, map_at_r: 1, map: 1, ci95_recall_at_1: 0 });
    // A query sees 19 others, 4 of its class, all at one distance.
    const gallery = episodeOptions.way * episodeOptions.queries - 1;
    expect(constant.recall_at_1).toBeCloseTo((episodeOptions.queries - 1) / gallery, 12);
    expect(constant.map_at_r).toBeLessThan(0.3);
  });

  it('ranks the episode query pool only: the support set is for adaptation, not the gallery', async () => {
    const calls: { query: string[]; support: string[]; embedded: string[] }[] = [];
    const spy: Method<string> = {
      name: 'spy',
      prepare: async (episode) => {
        const call = { query: episode.query.map((q) => q.itemId), support: episode.support.map((s) => s.itemId), embedded: [] as string[] };
        calls.push(call);
        return { embed: async (ids) => ids.map((id) => (call.embedded.push(id), Float32Array.from([Number(classOf(id).slice(5))]))) };
      },
    };
    const report = await run([spy]);
    expect(report.results[0]?.recall_at_1).toBe(1);
    expect(calls).toHaveLength(episodeOptions.episodes);
    for (const call of calls) {
      expect(call.embedded).toEqual(call.query);
      expect(call.embedded.some((id) => call.support.includes(id))).toBe(false);
    }
  });

  it('embeds each image once per run for a frozen network, whatever the episode count', async () => {
    const inputs = countingInputs();
    const made = createMethods(['dml'], { net: shapes.net(), inputs, seed: 1 });
    if (!made.ok) throw new Error(made.message);
    await run(made.methods);
    const counts = [...inputs.decoded.values()];
    expect(counts.length).toBeGreaterThan(20);
    expect(counts.every((n) => n === 1)).toBe(true);
    expect((made.methods[0] as Method<string> & { embedded: number }).embedded).toBe(counts.length);
  });

  it('returns error values for unknown methods, duplicates and too few classes', async () => {
    expect(createMethods(['dml', 'maml-typo'], { net: shapes.net(), inputs: countingInputs(), seed: 1 })).toMatchObject({ ok: false, code: 'unknown-method' });
    const m = fixedMethod('x', () => [0]);
    expect(await evaluate({ pool: shapes.pool(), methods: [m, m], seed: 1, ...episodeOptions })).toMatchObject({ ok: false, code: 'bad-options' });
    expect(await evaluate({ pool: shapes.pool(), methods: [], seed: 1, ...episodeOptions })).toMatchObject({ ok: false, code: 'no-methods' });
    expect(await evaluate({ pool: shapes.pool(), methods: [m], seed: 1, ...episodeOptions, way: 7 })).toMatchObject({ ok: false, code: 'too-few-classes' });
  });
});
