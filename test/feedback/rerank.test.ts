import { describe, expect, it } from 'vitest';
import { classifierDirection } from '../../main/feedback/feedbackScorers';
import { classifierScorer } from '../../main/feedback/neighbourhoodScorer';
import { neighbourhoodPool, neighbourhoodSize, rerank, rerankSteps, VECTORS_PER_READ } from '../../main/feedback/rerank';
import { moveQuery } from '../../main/feedback/rocchio';
import type { Neighbour } from '../../main/index/types';

function norm(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
}

const lookup = (points: Map<number, Float32Array>) => (ids: readonly number[]) => new Map(ids.flatMap((id) => (points.has(id) ? [[id, points.get(id)!] as const] : [])));

function exactSearch(points: Map<number, Float32Array>) {
  return (q: Float32Array, want: number): Neighbour[] =>
    [...points]
      .map(([id, v]) => ({ id, distance: Math.hypot(...Array.from(v, (x, j) => x - q[j]!)) }))
      .sort((a, b) => a.distance - b.distance || a.id - b.id)
      .slice(0, want);
}

describe('Rocchio query movement', () => {
  it('moves toward the relevant mean and away from the rejected, normalised', () => {
    const q = norm([1, 0, 0]);
    const moved = moveQuery(q, [norm([0, 1, 0])], [norm([0, 0, 1])], { alpha: 1, beta: 1, gamma: 0.5 });
    // 1*q + 1*(0,1,0) - 0.5*(0,0,1) = (1, 1, -0.5)
    const expected = norm([1, 1, -0.5]);
    expect(Array.from(moved).map((x) => +x.toFixed(6))).toEqual(Array.from(expected).map((x) => +x.toFixed(6)));
    expect(Math.hypot(...moved)).toBeCloseTo(1, 6);
  });
});

describe('rerank', () => {
  // Two clusters on a circle: A around angle 0, B around angle 90 degrees; the query sits between, nearer A.
  const points = new Map<number, Float32Array>();
  for (let i = 0; i < 10; i++) points.set(100 + i, norm([Math.cos(0.02 * i), Math.sin(0.02 * i), 0.01 * i]));
  for (let i = 0; i < 10; i++) points.set(200 + i, norm([Math.cos(1.5 - 0.02 * i), Math.sin(1.5 - 0.02 * i), 0.01 * i]));
  const query = norm([Math.cos(0.6), Math.sin(0.6), 0]);

  it('moves the ranking toward the positives, pins them on top and drops the rejected', () => {
    const before = exactSearch(points)(query, 10).map((n) => n.id);
    expect(before.filter((id) => id >= 200).length).toBeLessThan(5);
    const relevant = new Map([[200, points.get(200)!], [201, points.get(201)!]]);
    const notRelevant = new Map([[100, points.get(100)!], [101, points.get(101)!]]);
    const { hits } = rerank({ query, relevant, notRelevant, search: exactSearch(points), vectorsOf: lookup(points), archiveSize: points.size, k: 10, weights: { alpha: 1, beta: 1, gamma: 0.5 } });
    const ids = hits.map((h) => h.id);
    expect(ids.slice(0, 2).sort()).toEqual([200, 201]);
    expect(ids).not.toContain(100);
    expect(ids).not.toContain(101);
    expect(ids.filter((id) => id >= 200).length).toBe(10);
    expect(new Set(ids).size).toBe(10);
  });

  it('leaves out excluded ids and, unpinned, keeps judged-relevant only where they rank', () => {
    const relevant = new Map([[200, points.get(200)!]]);
    const { hits } = rerank({
      query, relevant, notRelevant: new Map(), search: exactSearch(points), vectorsOf: lookup(points), archiveSize: points.size, k: 5,
      exclude: new Set([201]), pinRelevant: false,
    });
    expect(hits).toHaveLength(5);
    expect(hits.map((h) => h.id)).not.toContain(201);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.distance).toBeGreaterThanOrEqual(hits[i - 1]!.distance);
  });

  it('with relevant images only, searches around each of them and the query (both modes stay reachable)', () => {
    const nearA = norm([Math.cos(0.05), Math.sin(0.05), 0]);
    const relevant = new Map([[209, points.get(209)!]]); // a B image
    const result = rerank({ query: nearA, relevant, notRelevant: new Map(), search: exactSearch(points), vectorsOf: lookup(points), archiveSize: points.size, k: 8, pinRelevant: false, exclude: new Set([209]) });
    expect(result.method).toBe('nearest-relevant');
    const ids = result.hits.map((h) => h.id);
    expect(ids.filter((id) => id < 200).length).toBeGreaterThanOrEqual(3);
    expect(ids.filter((id) => id >= 200).length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ids.length; i++) expect(result.hits[i]!.distance).toBeGreaterThanOrEqual(result.hits[i - 1]!.distance);
  });

  it('ranks the unjudged exactly as the classifier scorer of the evaluation does (the app runs what eval measures)', () => {
    const ids = [...points.keys()];
    const vectors = ids.map((id) => points.get(id)!);
    const judged = { query: ids.indexOf(105), relevant: [ids.indexOf(200), ids.indexOf(203)], notRelevant: [ids.indexOf(100), ids.indexOf(101)] };
    const scores = classifierScorer([...vectors], { take: 8 }).score(judged) as Float32Array;
    const judgedRows = new Set([judged.query, ...judged.relevant, ...judged.notRelevant]);
    const expected = [...scores.keys()].filter((i) => !judgedRows.has(i)).sort((a, b) => scores[b]! - scores[a]!).slice(0, 8).map((i) => ids[i]!);
    const result = rerank({
      query: points.get(105)!,
      relevant: new Map([[200, points.get(200)!], [203, points.get(203)!]]),
      notRelevant: new Map([[100, points.get(100)!], [101, points.get(101)!]]),
      search: exactSearch(points), vectorsOf: lookup(points), archiveSize: points.size, k: 8, pinRelevant: false, exclude: new Set([105, 200, 203]),
    });
    expect(result.method).toBe('classifier');
    expect(result.hits.map((h) => h.id)).toEqual(expected);
  });

  it('re-orders only the neighbourhood of the query and the relevant: outliers far along the classifier direction stay out', () => {
    // A: the query's class, spread around e1; B: look-alikes the analyst rejects; C: an unrelated tight set
    // placed on the classifier's direction itself, far from every judged image.
    let s = 11;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const A = Array.from({ length: 60 }, () => norm([1, 0.15 * rand(), 0.3 * rand(), 0.3 * rand(), 0]));
    const B = Array.from({ length: 20 }, () => norm([1, 0.6 + 0.1 * rand(), 0.1 * rand(), 0.1 * rand(), 0]));
    const query = A[0]!;
    const relevant = new Map([1, 2, 3, 4, 5].map((i) => [1000 + i, A[i]!] as const));
    const notRelevant = new Map([0, 1, 2, 3, 4].map((i) => [2000 + i, B[i]!] as const));
    const { direction } = classifierDirection(query, [...relevant.values()], [...notRelevant.values()]);
    const C = Array.from({ length: 20 }, () => norm(Array.from(direction!, (x, j) => x + (j === 4 ? 0.05 * rand() : 0))));
    const archive = new Map<number, Float32Array>();
    A.forEach((v, i) => archive.set(1000 + i, v));
    B.forEach((v, i) => archive.set(2000 + i, v));
    C.forEach((v, i) => archive.set(3000 + i, v));
    const search = exactSearch(archive);
    // Searching the whole archive along the direction (the old re-rank) brings the unrelated set first.
    expect(search(direction!, 10).every((n) => n.id >= 3000)).toBe(true);

    // k = 10 of 100 images: a neighbourhood of 50 (5 pages), not the whole archive.
    const result = rerank({ query, relevant, notRelevant, search, vectorsOf: lookup(archive), archiveSize: archive.size, k: 10, exclude: new Set([1000]) });
    expect(result.method).toBe('classifier');
    expect(result.poolSize).toBeGreaterThan(0);
    const ids = result.hits.map((h) => h.id);
    expect(ids).toHaveLength(10);
    expect(ids.filter((id) => id >= 3000)).toEqual([]);
    for (const id of notRelevant.keys()) expect(ids).not.toContain(id);
    const pool = new Set(neighbourhoodPool(search, [query, ...relevant.values()], neighbourhoodSize(archive.size, 10), archive.size, () => false).map((n) => n.id));
    for (const id of ids) expect(pool.has(id)).toBe(true);
  });

  it('as steps (the app runs it in slices) gives the same list, asking for its searches in batches', () => {
    let s = 5;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const archive = new Map<number, Float32Array>();
    for (let i = 0; i < 400; i++) archive.set(i + 1, norm([1 + rand(), rand(), rand(), rand(), rand()]));
    let searches = 0;
    const exact = exactSearch(archive);
    const search = (v: Float32Array, want: number) => {
      searches++;
      return exact(v, want);
    };
    const input = { query: archive.get(1)!, relevant: new Map([2, 3].map((id) => [id, archive.get(id)!] as const)), notRelevant: new Map([[4, archive.get(4)!]]), search, vectorsOf: lookup(archive), archiveSize: archive.size, k: 10, exclude: new Set([1]) };
    const atOnce = rerank(input);
    const searchedAtOnce = searches;
    searches = 0;
    const steps = rerankSteps(input);
    let requests = 0;
    let next = steps.next();
    while (!next.done) {
      // A request carries vectors to search; a plain yield is a safe point between candidates.
      const request = next.value;
      if (request) requests++;
      next = steps.next(request ? request.vectors.map((v) => search(v, request.want)) : undefined);
    }
    expect(next.value.hits).toEqual(atOnce.hits);
    expect(next.value.gateSearches).toBe(atOnce.gateSearches);
    expect(searches).toBe(searchedAtOnce); // batching searches no more than one at a time did
    expect(searches).toBeGreaterThan(3);
    expect(requests).toBeLessThan(searches);
  });

  it("reads the pool's vectors in parts of VECTORS_PER_READ, with a safe point after each", () => {
    let s = 9;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const archive = new Map<number, Float32Array>();
    for (let i = 0; i < 3000; i++) archive.set(i + 1, norm([1 + rand(), rand(), rand(), rand(), rand()]));
    const reads: number[] = [];
    const whole = lookup(archive);
    const vectorsOf = (ids: readonly number[]) => {
      reads.push(ids.length);
      return whole(ids);
    };
    // A large k: the pool (the neighbourhood of 2,000 images) is several parts.
    const input = { query: archive.get(1)!, relevant: new Map([2, 3].map((id) => [id, archive.get(id)!] as const)), notRelevant: new Map([[4, archive.get(4)!]]), search: exactSearch(archive), vectorsOf, archiveSize: archive.size, k: 400, exclude: new Set([1]) };
    const result = rerank(input);
    expect(result.poolSize).toBeGreaterThan(VECTORS_PER_READ);
    expect(Math.max(...reads)).toBeLessThanOrEqual(VECTORS_PER_READ);
    expect(reads.length).toBeGreaterThanOrEqual(Math.ceil(result.poolSize / VECTORS_PER_READ));
    // Every pool member with a vector was read (nothing lost between parts).
    expect(reads.reduce((a, b) => a + b, 0)).toBe(result.poolSize);
  });

  it('sizes the neighbourhood to the archive: square-root growth, at least 5 pages, at most the archive', () => {
    expect(neighbourhoodSize(100_000, 50)).toBe(1265);
    expect(neighbourhoodSize(4_400, 50)).toBe(266);
    expect(neighbourhoodSize(1_000, 50)).toBe(250);
    expect(neighbourhoodSize(100, 50)).toBe(100);
  });
});

describe('rerank stays in the neighbourhood with relevant images only (issue 14, per query)', () => {
  // Two far-apart clusters: A, the query's class, loose (its images lie ~0.4 apart), and B, unrelated and
  // tight (0.02 apart), about 1.3 from A. One A image the analyst rightly marks relevant is an outlier of A
  // that happens to lie 0.2 from B: B's images are nearer to it than any other A image is.
  let s = 5;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const dim = 8;
  const axis = (j: number, scale = 1) => Float32Array.from({ length: dim }, (_, d) => (d === j ? scale : 0));
  const around = (centre: Float32Array, spread: number) => norm(Array.from(centre, (x, d) => x + (d >= 2 ? spread * rand() : 0)));
  const archive = new Map<number, Float32Array>();
  for (let i = 0; i < 24; i++) archive.set(100 + i, around(axis(0), 0.35));
  for (let i = 0; i < 30; i++) archive.set(200 + i, around(norm([Math.cos(1.4), Math.sin(1.4), 0, 0, 0, 0, 0, 0]), 0.01));
  const outlier = norm([Math.cos(1.2), Math.sin(1.2), 0, 0, 0, 0, 0, 0]);
  archive.set(150, outlier);
  const search = exactSearch(archive);
  const query = archive.get(100)!;
  const judged = search(query, 4).map((n) => n.id).filter((id) => id !== 100);
  const relevant = new Map([...judged, 150].map((id) => [id, archive.get(id)!] as const));
  const input = { query, relevant, notRelevant: new Map<number, Float32Array>(), search, vectorsOf: lookup(archive), archiveSize: archive.size, k: 10, pinRelevant: false, exclude: new Set([100, ...relevant.keys()]) };

  it('the old rule (nearest to the query or any relevant image) pulls the far cluster into the top 10', () => {
    const B = [...archive.keys()].filter((id) => id >= 200);
    expect(Math.min(...B.map((id) => Math.hypot(...Array.from(outlier, (x, d) => x - archive.get(id)![d]!))))).toBeLessThan(0.25);
    const old = neighbourhoodPool(search, [query, ...relevant.values()], 10, archive.size, (id) => input.exclude.has(id)).map((n) => n.id);
    expect(old.filter((id) => id >= 200).length).toBeGreaterThanOrEqual(5);
  });

  it('admits only reciprocal neighbours: the tight cluster, whose own neighbours are each other, stays out', () => {
    const result = rerank(input);
    expect(result.method).toBe('nearest-relevant');
    const ids = result.hits.map((h) => h.id);
    expect(ids.filter((id) => id >= 200)).toEqual([]);
    // The query's own class still fills the page (its images do have a marked image among their neighbours).
    expect(ids.length).toBeGreaterThanOrEqual(8);
    for (const id of ids) expect(id >= 100 && id < 150).toBe(true);
    for (let i = 1; i < ids.length; i++) expect(result.hits[i]!.distance).toBeGreaterThanOrEqual(result.hits[i - 1]!.distance);
  });

  it('and once something is rejected, the classifier cannot readmit the far cluster either', () => {
    const rejectedId = search(query, 8).map((n) => n.id).find((id) => id !== 100 && !relevant.has(id))!;
    const result = rerank({ ...input, notRelevant: new Map([[rejectedId, archive.get(rejectedId)!]]), exclude: new Set([...input.exclude, rejectedId]) });
    expect(result.method).toBe('classifier');
    expect(result.hits.map((h) => h.id).filter((id) => id >= 200)).toEqual([]);
    expect(result.hits.map((h) => h.id)).not.toContain(rejectedId);
  });
});
