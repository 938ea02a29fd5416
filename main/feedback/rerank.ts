/**
 * Re-ranking with judgements, the method `simila eval --feedback-rounds` measures (classifier), restricted
 * to the neighbourhood the analyst is working in (issue 14): a candidate pool of the images nearest to the
 * query and the images judged relevant (multi-point k-NN, sized to the archive), which the per-query
 * classifier (logistic boundary between the query + relevant and the rejected, feedbackScorers.ts)
 * re-orders once something is rejected: the candidates on the relevant side of the boundary first, each
 * part nearest first. Searching the whole index along the classifier's direction instead favoured far-away
 * outliers (CT images in an aerial query's top 25). With relevant images only, the pool's own order is the
 * ranking. Either way a candidate is shown only if the NeighbourhoodGate admits it: on the query's own first
 * page, or a reciprocal neighbour of the query or a relevant image at the scale of both (a list may come
 * out shorter than k rather than reach into another neighbourhood). Rejected images stay out, and the
 * images judged relevant go on top (nearest first), so a confirmed hit never sinks.
 */
import type { Neighbour } from '../index/types';
import { runToEnd, type Steps } from '../threads/cooperative';
import { classifierDirection } from './feedbackScorers';
import { type RocchioWeights } from './rocchio';

/** A nearest-neighbour search over the archive: the `want` nearest to `vector`, nearest first. */
export type KnnSearch = (vector: Float32Array, want: number) => Neighbour[];

export interface RerankInput {
  query: ArrayLike<number>;
  /** Embeddings of the images judged relevant / not relevant (by image id). */
  relevant: ReadonlyMap<number, ArrayLike<number>>;
  notRelevant: ReadonlyMap<number, ArrayLike<number>>;
  search: KnnSearch;
  /** The embeddings of pool members (missing ids are left out of the ranking). */
  vectorsOf: (ids: readonly number[]) => ReadonlyMap<number, ArrayLike<number>>;
  /** How many archive images are searchable (sizes the neighbourhood, stops the over-fetch loop). */
  archiveSize: number;
  k: number;
  /** Ids that must not appear at all besides the rejected, e.g. the query image itself. */
  exclude?: ReadonlySet<number>;
  /** Keep the judged-relevant images on top of the list (the UI does; a residual evaluation does not). */
  pinRelevant?: boolean;
  weights?: RocchioWeights;
  /**
   * Page radii of archive images by id (the distance to their own k-th neighbour), remembered from earlier
   * re-ranks with the same search (same index state, visibility, filters and k) and filled in here. An
   * analyst's rounds on one list examine mostly the same candidates, and each radius is a search.
   */
  radii?: Map<number, number>;
}

export interface RerankResult {
  /** 'classifier': the pool re-ordered with the classifier; 'nearest-relevant': the pool in multi-point k-NN order. */
  method: 'classifier' | 'nearest-relevant';
  /** The classifier's search direction, kept for the record (the query itself while nothing is rejected). */
  movedQuery: Float32Array;
  /** Candidates drawn from the neighbourhood (0 when the pinned relevant images fill the list). */
  poolSize: number;
  /** Candidates that needed a search of their own to be admitted or left out (NeighbourhoodGate; radii known from `radii` need none). */
  gateSearches: number;
  hits: Neighbour[];
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const d = a[j]! - b[j]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** Results pages the neighbourhood holds at least, and its growth with the archive (square root). */
const POOL_PAGES = 5;
const POOL_SQRT_SCALE = 4;

/**
 * How many candidates the classifier re-orders: 4 * sqrt(archive) (a 100x larger archive holds a 10x
 * larger neighbourhood around the same marks), at least 5 pages of k, at most the archive.
 */
export function neighbourhoodSize(archiveSize: number, k: number): number {
  return Math.min(archiveSize, Math.max(POOL_PAGES * k, Math.ceil(POOL_SQRT_SCALE * Math.sqrt(archiveSize))));
}

/**
 * The `size` images nearest to any of `points` (distance to the nearest point) that `skip` keeps, nearest
 * first. Each point asks for its share (twice the even split, so overlapping neighbourhoods still fill the
 * pool); a point asks again for more only when the union came up short.
 */
export function neighbourhoodPool(search: KnnSearch, points: readonly ArrayLike<number>[], size: number, archiveSize: number, skip: (id: number) => boolean, skipped = 0): Neighbour[] {
  return runToEnd(neighbourhoodPoolSteps(search, points, size, archiveSize, skip, skipped));
}

/** neighbourhoodPool, yielding after each search (a search for thousands of neighbours is the costly part). */
function* neighbourhoodPoolSteps(search: KnnSearch, points: readonly ArrayLike<number>[], size: number, archiveSize: number, skip: (id: number) => boolean, skipped: number): Steps<Neighbour[]> {
  const vectors = points.map((p) => (p instanceof Float32Array ? p : Float32Array.from(p)));
  for (let share = Math.ceil((2 * size) / vectors.length) + skipped; ; share *= 4) {
    const asked = Math.min(share, archiveSize);
    const best = new Map<number, number>();
    let exhausted = false;
    for (const point of vectors) {
      const found = search(point, asked);
      yield;
      if (found.length < asked || asked >= archiveSize) exhausted = true;
      for (const n of found) if (!skip(n.id)) best.set(n.id, Math.min(best.get(n.id) ?? Infinity, n.distance));
    }
    if (best.size >= size || exhausted) {
      return [...best].map(([id, d]) => ({ id, distance: d })).sort((a, b) => a.distance - b.distance || a.id - b.id).slice(0, size);
    }
  }
}

/** The logistic boundary's side: true where the classifier puts the image with the rejected. */
function onRejectedSide(boundary: { w: Float64Array; b: number }, v: ArrayLike<number>): boolean {
  let z = boundary.b;
  for (let d = 0; d < v.length; d++) z += boundary.w[d]! * v[d]!;
  return z < 0;
}

/**
 * The distance within which a search from `v` finds its first page of k images, not counting `v` itself
 * when it is an archive image (its own first neighbour, at distance 0). Infinity when the searchable
 * archive holds no more than that.
 */
export function pageRadius(search: KnnSearch, v: ArrayLike<number>, k: number): number {
  const own = search(v instanceof Float32Array ? v : Float32Array.from(v), k + 1);
  const last = k - 1 + (own.length > 0 && own[0]!.distance <= 1e-9 ? 1 : 0);
  return own.length <= last ? Infinity : own[last]!.distance;
}

/** a <= b, with room for float rounding of the same distance computed two ways (search vs here). */
const within = (a: number, b: number) => a <= b + 1e-6 * Math.max(1, b);

/**
 * Admission to the analyst's neighbourhood (issue 14, per query). A candidate is shown only if it is on
 * the query's own first page (what a plain search shows, round 0), or if, for one of the query and the
 * relevant images p, both hold:
 * - reciprocity: p is among the candidate's OWN first k neighbours (a search from the candidate would show
 *   p on its first page; k is the page the analyst looks at), and
 * - local scale: d(c, p)^2 <= r_c * r_p, r being each one's distance to its own k-th neighbour (the
 *   self-tuning affinity of Zelnik-Manor and Perona): near at the scale of both, so a candidate that is
 *   near to p only by its own sparse standards, far by p's dense ones, stays out.
 * Being near a relevant image is not enough: a dense unrelated cluster can lie nearer to an outlying
 * relevant image than that image's own class does, so its members come up in the relevant image's
 * neighbourhood while the relevant image is nowhere in theirs. Measured on rsscn7 + mednist
 * (docs/results.md): the CT images that entered a field query's round 1 lay 0.30 from a marked field image
 * while their own 10th neighbour lay at 0.09-0.16 and the field image was not among their 50 nearest; the
 * field images admitted had it at rank 1-5. A radius from the query's side alone (its own 10th-neighbour
 * distance 0.44, the relevant images' spread 0.44) admits them: the candidate's own density tells them apart.
 */
export class NeighbourhoodGate {
  private readonly queryRadius: number;
  private readonly verdicts = new Map<number, boolean>();
  private readonly radii: number[] = [];
  /** Searches made for candidates' own pages so far (at most one per candidate; none on the query's page). */
  searches = 0;
  constructor(
    private readonly search: KnnSearch,
    private readonly query: ArrayLike<number>,
    private readonly positives: readonly ArrayLike<number>[],
    private readonly k: number,
    private readonly knownRadii?: Map<number, number>,
  ) {
    this.queryRadius = pageRadius(search, query, k);
  }

  private positiveRadius(i: number): number {
    return (this.radii[i] ??= pageRadius(this.search, this.positives[i]!, this.k));
  }

  admits(id: number, v: ArrayLike<number>): boolean {
    const known = this.verdicts.get(id);
    if (known !== undefined) return known;
    let verdict = within(distance(this.query, v), this.queryRadius);
    if (!verdict) {
      let radius = this.knownRadii?.get(id);
      if (radius === undefined) {
        this.searches++;
        radius = pageRadius(this.search, v, this.k);
        this.knownRadii?.set(id, radius);
      }
      const r = radius;
      verdict = this.positives.some((p, i) => {
        const d = distance(p, v);
        return within(d, r) && within(d * d, r * this.positiveRadius(i));
      });
    }
    this.verdicts.set(id, verdict);
    return verdict;
  }
}

/** The re-ranked list, computed at once (evaluations, tests). The app runs rerankSteps in slices. */
export function rerank(input: RerankInput): RerankResult {
  return runToEnd(rerankSteps(input));
}

/**
 * The re-rank as steps: it yields after each search (the pool's, the gate's one per candidate), so the app
 * can serve other requests between them (runInSlices): at a million images a re-rank makes thousands.
 */
export function* rerankSteps(input: RerankInput): Steps<RerankResult> {
  const { relevant, notRelevant, k } = input;
  const pin = input.pinRelevant ?? true;
  const { direction, positives, boundary } = classifierDirection(input.query, [...relevant.values()], [...notRelevant.values()], { weights: input.weights });
  const method = boundary ? 'classifier' : 'nearest-relevant';
  const movedQuery = direction ?? Float32Array.from(input.query);
  const hits: Neighbour[] = [];
  if (pin) {
    const pinned = [...relevant].map(([id, v]) => ({ id, distance: Math.min(...positives.map((p) => distance(p, v))) }));
    pinned.sort((a, b) => a.distance - b.distance || a.id - b.id);
    hits.push(...pinned.slice(0, k));
  }
  const pinnedCount = hits.length;
  const need = k - pinnedCount;
  if (need <= 0) return { method, movedQuery, poolSize: 0, gateSearches: 0, hits };
  const skip = (id: number) => notRelevant.has(id) || (pin && relevant.has(id)) || (input.exclude?.has(id) ?? false);
  const skipped = notRelevant.size + (pin ? relevant.size : 0) + (input.exclude?.size ?? 0);
  const poolSize = neighbourhoodSize(input.archiveSize, k);
  const gate = new NeighbourhoodGate(input.search, input.query, positives, k, input.radii);
  /** The first `need` of `ordered` the gate admits, after the pinned; false when `ordered` ran out first. */
  const fill = function* (ordered: readonly { id: number; distance: number; v: ArrayLike<number> }[]): Steps<boolean> {
    hits.length = pinnedCount;
    for (const c of ordered) {
      if (hits.length >= k) return true;
      if (gate.admits(c.id, c.v)) hits.push({ id: c.id, distance: c.distance });
      yield;
    }
    return hits.length >= k;
  };
  const withVectors = (pool: readonly Neighbour[]) => {
    const vectors = input.vectorsOf(pool.map((n) => n.id));
    return pool.flatMap((n) => {
      const v = vectors.get(n.id);
      return v ? [{ id: n.id, distance: n.distance, v }] : [];
    });
  };
  if (!boundary) {
    // Nothing rejected, no boundary: the nearest of the query and the relevant images rank, those the gate
    // admits. Most are, so two pages of candidates usually fill the list; else the whole neighbourhood.
    let size = Math.min(poolSize, 2 * need);
    for (;;) {
      const pool = yield* neighbourhoodPoolSteps(input.search, positives, size, input.archiveSize, skip, skipped);
      if ((yield* fill(withVectors(pool))) || size >= poolSize || pool.length < size) return { method, movedQuery, poolSize: pool.length, gateSearches: gate.searches, hits };
      size = poolSize;
    }
  }
  // The classifier says in or out, nearness to the query and the relevant says the order: ranking by the
  // classifier's score alone favoured whatever lies farthest from the rejected, e.g. another archive's
  // images inside a large pool. Candidates it puts with the rejected rank after all the others, and the
  // gate has the last word on every one: the boundary only knows what was marked, so an unrelated
  // cluster can lie on its relevant side.
  const pool = yield* neighbourhoodPoolSteps(input.search, positives, poolSize, input.archiveSize, skip, skipped);
  const ordered = withVectors(pool).map((c) => ({ ...c, rejectedSide: onRejectedSide(boundary, c.v) }));
  ordered.sort((a, b) => Number(a.rejectedSide) - Number(b.rejectedSide) || a.distance - b.distance || a.id - b.id);
  yield* fill(ordered);
  return { method, movedQuery, poolSize: ordered.length, gateSearches: gate.searches, hits };
}
