import { describe, expect, it } from 'vitest';
import { drawQueries, simulateFeedback } from '../../../main/ml/evaluation/feedbackSimulation';

/**
 * Clusters that overlap along a shared "nuisance" direction: the query's first neighbours mix classes,
 * while the class means are well apart, so judgements that move the query toward the relevant ones
 * must raise the precision of the residual ranking.
 */
function clusteredArchive(classes: number, perClass: number, dim: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: dim }, rand));
  const vectors: Float32Array[] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const v = Float32Array.from(centres[c]!, (x) => 0.35 * x + 1.0 * rand());
      const n = Math.hypot(...v);
      vectors.push(v.map((x) => x / n));
      labels.push(c);
    }
  }
  return { vectors, labels };
}

describe('simulated-user relevance feedback', () => {
  it('draws the same distinct queries for the same seed', () => {
    const labels = [0, 0, 1, 1, 2, 3, 3];
    const a = drawQueries(labels, 4, 5);
    expect(a).toEqual(drawQueries(labels, 4, 5));
    expect(new Set(a).size).toBe(4);
    expect(a).not.toContain(4); // class 2 has no other image: no relevant answer exists
  });

  it('raises residual precision@10 over rounds on a clustered archive', async () => {
    const { vectors, labels } = clusteredArchive(8, 60, 16, 3);
    const result = await simulateFeedback({ vectors, labels, rounds: 3, queries: 40, seed: 1 });
    expect(result.rounds).toHaveLength(4);
    const p = result.rounds.map((r) => r.precision_at_10);
    expect(p[0]!).toBeLessThan(0.9);
    expect(p[3]!).toBeGreaterThan(p[0]! + 0.05);
    // Without feedback the next pages of the same ranking are no better than the first.
    const none = await simulateFeedback({ vectors, labels, rounds: 3, queries: 40, seed: 1, weights: { alpha: 1, beta: 0, gamma: 0 } });
    expect(p[3]!).toBeGreaterThan(none.rounds[3]!.precision_at_10);
    // The recorded no-feedback pages are that same plain ranking, and round 0 is shared by both.
    expect(result.rounds.map((r) => r.no_feedback_precision_at_10)).toEqual(none.rounds.map((r) => r.precision_at_10));
    expect(result.rounds[0]!.no_feedback_precision_at_10).toBe(p[0]);
    expect(result.relevant_per_query).toBe(59);
    const found = result.rounds.map((r) => r.relevant_found);
    expect(found[3]!).toBeCloseTo(p.reduce((s, x) => s + 10 * x, 0), 6);
  });

  it('reports the share of each round\'s top 10 from another data set, and the plain ranking\'s relevant found', async () => {
    // Two "sets": set A's classes near +e0, set B's near -e0, so a query's neighbourhood is its own set.
    const a = clusteredArchive(4, 30, 8, 5);
    const b = clusteredArchive(4, 30, 8, 9);
    const shift = (v: Float32Array, sign: number) => {
      const w = Float32Array.from(v, (x, j) => (j === 0 ? x + sign * 3 : x));
      const n = Math.hypot(...w);
      return w.map((x) => x / n);
    };
    const vectors = [...a.vectors.map((v) => shift(v, 1)), ...b.vectors.map((v) => shift(v, -1))];
    const labels = [...a.labels.map((l) => `a${l}`), ...b.labels.map((l) => `b${l}`)];
    const sets = [...a.labels.map(() => 'a'), ...b.labels.map(() => 'b')];
    const { classifierScorer } = await import('../../../main/feedback/neighbourhoodScorer');
    const result = await simulateFeedback({ vectors, labels, sets, rounds: 2, queries: 10, seed: 1, scorer: classifierScorer(vectors) });
    for (const r of result.rounds) {
      expect(r.cross_set_at_10).toBe(0);
      expect(r.cross_set_above_round_0).toBe(0);
    }
    expect(result.rounds[2]!.no_feedback_relevant_found).toBeGreaterThanOrEqual(result.rounds[0]!.no_feedback_relevant_found);
    // Mixing the sets' labels makes the measure count: every row another set's than half the queries'.
    const mixed = await simulateFeedback({ vectors, labels, sets: sets.map((_, i) => (i % 2 ? 'a' : 'b')), rounds: 0, queries: 10, seed: 1 });
    expect(mixed.rounds[0]!.cross_set_at_10).toBeGreaterThan(0.2);
    const single = await simulateFeedback({ vectors, labels, rounds: 0, queries: 10, seed: 1 });
    expect(single.rounds[0]!.cross_set_at_10).toBeUndefined();
  });
});
