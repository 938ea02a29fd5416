import { describe, expect, it } from 'vitest';
import { fitLogistic, nearestRelevantScorer, rocchioScorer } from '../../main/feedback/feedbackScorers';
import { classifierScorer } from '../../main/feedback/neighbourhoodScorer';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

/** Class A in two modes (around e1 and e2); distractors B around (e1 + e2), between them. */
function twoModes() {
  const vectors: Float32Array[] = [];
  const labels: string[] = [];
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const around = (centre: number[], label: string, n: number) => {
    for (let i = 0; i < n; i++) {
      vectors.push(unit(centre.map((x) => x + 0.25 * rand())));
      labels.push(label);
    }
  };
  around([1, 0, 0, 0], 'A', 10); // rows 0..9, the query is row 0
  around([0, 1, 0, 0], 'A', 10); // rows 10..19
  around([0.7, 0.7, 0, 0], 'B', 10); // rows 20..29
  return { vectors, labels };
}

const top = (scores: Float32Array, skip: Set<number>, k: number) =>
  [...scores.keys()].filter((i) => !skip.has(i)).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);

describe('vector feedback scorers', () => {
  const { vectors, labels } = twoModes();
  const judged = { query: 0, relevant: [1, 2, 10, 11], notRelevant: [20, 21] };
  const skip = new Set([0, 1, 2, 10, 11, 20, 21]);
  const precision = (scores: Float32Array) => top(scores, skip, 14).filter((i) => labels[i] === 'A').length / 14;

  it('nearest-relevant keeps both modes of a class, the moved query point does not', () => {
    const pRocchio = precision(rocchioScorer(vectors).score(judged) as Float32Array);
    const pNearest = precision(nearestRelevantScorer(vectors).score(judged) as Float32Array);
    expect(pNearest).toBe(1);
    expect(pNearest).toBeGreaterThan(pRocchio);
  });

  it('the per-query classifier separates the judged positives from the rejected', () => {
    const { w, b } = fitLogistic([vectors[0]!, vectors[10]!], [vectors[20]!, vectors[21]!], 0.001, 500);
    const logit = (v: Float32Array) => v.reduce((s, x, d) => s + x * w[d]!, b);
    expect(logit(vectors[0]!)).toBeGreaterThan(0);
    expect(logit(vectors[10]!)).toBeGreaterThan(0);
    expect(logit(vectors[20]!)).toBeLessThan(0);
    const scores = classifierScorer(vectors, { take: 14 }).score(judged) as Float32Array;
    expect(precision(scores)).toBeGreaterThanOrEqual(precision(rocchioScorer(vectors).score(judged) as Float32Array));
  });
});
