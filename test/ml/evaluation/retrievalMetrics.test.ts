import { describe, expect, it } from 'vitest';
import {
  expectedAveragePrecision,
  expectedMapAtR,
  expectedRecallAtK,
  meanAndCi95,
  poolMetrics,
  rankedTieGroups,
  type TieGroup,
} from '../../../main/ml/evaluation/retrievalMetrics';
import { seededRandom, shuffleInPlace } from '../../../main/ml/samplers/seededRandom';

// Plain metrics of one strict ranking (true = relevant), written the textbook way as a reference.
function strictRecall(ranking: boolean[], k: number): number {
  return ranking.slice(0, k).some(Boolean) ? 1 : 0;
}
function strictMapAtR(ranking: boolean[]): number {
  const r = ranking.filter(Boolean).length;
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < r; i++) {
    if (ranking[i]) sum += ++hits / (i + 1);
  }
  return sum / r;
}
function strictAp(ranking: boolean[]): number {
  const r = ranking.filter(Boolean).length;
  let hits = 0;
  let sum = 0;
  ranking.forEach((relevant, i) => {
    if (relevant) sum += ++hits / (i + 1);
  });
  return sum / r;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every strict ranking a tie-group ranking can break into (tied items are distinguishable). */
function allOrders(groups: TieGroup[]): boolean[][] {
  let orders: boolean[][] = [[]];
  for (const g of groups) {
    const members = Array.from({ length: g.size }, (_, i) => i < g.relevant);
    const perms = permutations(members);
    orders = orders.flatMap((prefix) => perms.map((p) => [...prefix, ...p]));
  }
  return orders;
}

function combinations(n: number, k: number, start = 0): number[][] {
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (let i = start; i <= n - k; i++) for (const rest of combinations(n, k - 1, i + 1)) out.push([i, ...rest]);
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('retrieval metrics', () => {
  it('scores a small 1-D pool as computed by hand (one tie included)', () => {
    // a@0, a@1, b@2, b@10. Query 1 has item 0 (a) and item 2 (b) tied at distance 1.
    const m = poolMetrics([[0], [1], [2], [10]], ['a', 'a', 'b', 'b']);
    // Per query R@1: 1, 1/2, 0, 1; R@2: 1, 1, 0, 1; R@4: all 1.
    expect(m.recallAtK[1]).toBeCloseTo(0.625, 12);
    expect(m.recallAtK[2]).toBeCloseTo(0.75, 12);
    expect(m.recallAtK[4]).toBeCloseTo(1, 12);
    expect(m.recallAtK[8]).toBeCloseTo(1, 12);
    // MAP@R (R = 1 everywhere): 1, 1/2, 0, 1.
    expect(m.mapAtR).toBeCloseTo(0.625, 12);
    // AP: 1, (1 + 1/2)/2, 1/3, 1.
    expect(m.map).toBeCloseTo((1 + 0.75 + 1 / 3 + 1) / 4, 12);
    expect(m.queries).toBe(4);
  });

  it('computes MAP@R and AP of a strict ranking by hand', () => {
    // a@0 queries a@1 (rel), b@2, a@3 (rel), b@10: ranking rel, no, rel, no; R = 2.
    const groups = rankedTieGroups(0, [[0], [1], [2], [3], [10]], ['a', 'a', 'b', 'a', 'b']);
    expect(groups).toEqual([
      { size: 1, relevant: 1 },
      { size: 1, relevant: 0 },
      { size: 1, relevant: 1 },
      { size: 1, relevant: 0 },
    ]);
    expect(expectedMapAtR(groups)).toBeCloseTo(0.5, 12); // (1 + 0) / 2
    expect(expectedAveragePrecision(groups)).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(expectedRecallAtK(groups, 1)).toBe(1);
  });

  it('scores ties by their expected value over every order of the tied items', () => {
    const cases: TieGroup[][] = [
      [{ size: 3, relevant: 2 }, { size: 2, relevant: 1 }],
      [{ size: 1, relevant: 0 }, { size: 4, relevant: 1 }, { size: 2, relevant: 2 }],
      [{ size: 5, relevant: 2 }],
      [{ size: 2, relevant: 0 }, { size: 3, relevant: 3 }, { size: 1, relevant: 0 }],
    ];
    for (const groups of cases) {
      const orders = allOrders(groups);
      expect(expectedMapAtR(groups)).toBeCloseTo(mean(orders.map(strictMapAtR)), 12);
      expect(expectedAveragePrecision(groups)).toBeCloseTo(mean(orders.map(strictAp)), 12);
      for (const k of [1, 2, 4, 8]) expect(expectedRecallAtK(groups, k)).toBeCloseTo(mean(orders.map((o) => strictRecall(o, k))), 12);
    }
  });

  it('gives a constant embedder chance, whatever the order of the pool', () => {
    // 3 classes x 4 items, all at one point: every query sees 11 tied items, 3 relevant.
    const labels = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'c', 'c', 'c', 'c'];
    const m = poolMetrics(labels.map(() => [0.6, 0.8]), labels);
    expect(m.recallAtK[1]).toBeCloseTo(3 / 11, 12);
    // P(no relevant in 2 of 11 with 3 relevant) = C(8,2)/C(11,2) = 28/55.
    expect(m.recallAtK[2]).toBeCloseTo(1 - 28 / 55, 12);
    // Reference: the 165 equally likely placements of 3 relevant items among 11 positions.
    const placements = combinations(11, 3).map((set) => Array.from({ length: 11 }, (_, i) => set.includes(i)));
    expect(m.mapAtR).toBeCloseTo(mean(placements.map(strictMapAtR)), 12);
    expect(m.map).toBeCloseTo(mean(placements.map(strictAp)), 12);
    expect(m.mapAtR).toBeLessThan(0.3);
  });

  it('gives a perfect embedder 1 everywhere, and shuffling the pool changes nothing', () => {
    const random = seededRandom(3);
    const labels = Array.from({ length: 20 }, (_, i) => i % 4);
    const embeddings = labels.map((c) => [c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0, c === 3 ? 1 : 0]);
    const perfect = poolMetrics(embeddings, labels);
    expect(perfect).toEqual({ recallAtK: { 1: 1, 2: 1, 4: 1, 8: 1 }, mapAtR: 1, map: 1, queries: 20 });

    const noisy = labels.map(() => [random(), random(), random()]);
    const order = shuffleInPlace(labels.map((_, i) => i), random);
    const a = poolMetrics(noisy, labels);
    const b = poolMetrics(order.map((i) => noisy[i] as number[]), order.map((i) => labels[i]));
    expect(b.mapAtR).toBeCloseTo(a.mapAtR, 12);
    expect(b.map).toBeCloseTo(a.map, 12);
    expect(b.recallAtK[1]).toBeCloseTo(a.recallAtK[1] as number, 12);
    expect(a.mapAtR).toBeLessThan(1);
  });

  it('leaves out queries with no other item of their class', () => {
    const m = poolMetrics([[0], [1], [5]], ['a', 'a', 'lonely']);
    expect(m.queries).toBe(2);
    expect(m.recallAtK[1]).toBe(1);
  });

  it('computes a 95% confidence half-width as 1.96 std / sqrt(n)', () => {
    const { mean: m, ci95 } = meanAndCi95([0, 1, 0, 1]);
    expect(m).toBe(0.5);
    expect(ci95).toBeCloseTo((1.96 * 0.5) / 2, 12);
    expect(meanAndCi95([0.7]).ci95).toBe(0);
  });
});
