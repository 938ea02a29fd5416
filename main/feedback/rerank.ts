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
import { answerInSlices, answerToEnd, type AskingSteps } from '../threads/cooperative';
import { classifierDirection } from './feedbackScorers';
import { type RocchioWeights } from './rocchio';

/** A nearest-neighbour search over the archive: the `want` nearest to `vector`, nearest first. */
export type KnnSearch = (vector: Float32Array, want: number) => Neighbour[];

/** Searches the steps ask for: the `want` nearest of each vector, answered in order. */
export interface SearchRequest {
  vectors: Float32Array[];
  want: number;
}

/** The re-rank's steps: yield at safe points, and ask for searches (batched) that their driver answers. */
export type SearchingSteps<T> = AskingSteps<SearchRequest, Neighbour[][], T>;

/** Several searches at once, answered later (the app's: one message to the index thread). */
export type KnnSearchMany = (vectors: Float32Array[], want: number) => Promise<Neighbour[][]>;

function* searchFor(vectors: Float32Array[], want: number): SearchingSteps<Neighbour[][]> {
  const answer = yield { vectors, want };
  if (!answer || answer.length !== vectors.length) throw new Error('The re-rank asked for searches and got no answer.');
  return answer;
}

const asFloat32 = (v: ArrayLike<number>): Float32Array => (v instanceof Float32Array ? v : Float32Array.from(v));

export interface RerankInput extends RerankStepsInput {
  search: KnnSearch;
}

/** What the re-rank's steps need besides searches (those they ask their driver for). */
export interface RerankStepsInput {
  query: ArrayLike<number>;
  /** Embeddings of the images judged relevant / not relevant (by image id). */
  relevant: ReadonlyMap<number, ArrayLike<number>>;
  notRelevant: ReadonlyMap<number, ArrayLike<number>>;
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
  return answerToEnd(neighbourhoodPoolSteps(points, size, archiveSize, skip, skipped), answerWith(search));
}

/** neighbourhoodPool as steps: each round's searches (one per point, thousands of neighbours each) in one request. */
function* neighbourhoodPoolSteps(points: readonly ArrayLike<number>[], size: number, archiveSize: number, skip: (id: number) => boolean, skipped: number): SearchingSteps<Neighbour[]> {
  const vectors = points.map(asFloat32);
  for (let share = Math.ceil((2 * size) / vectors.length) + skipped; ; share *= 4) {
    const asked = Math.min(share, archiveSize);
    const best = new Map<number, number>();
    let exhausted = false;
    const pages = yield* searchFor(vectors, asked);
    for (const found of pages) {
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
  return radiusOfPage(search(asFloat32(v), k + 1), k);
}

/** pageRadius from the answer of a search for the k + 1 nearest. */
function radiusOfPage(own: readonly Neighbour[], k: number): number {
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
  private queryRadius = NaN;
  private readonly verdicts = new Map<number, boolean>();
  private readonly radii: number[] = [];
  /** Candidates' page radii searched ahead (prepare) when no `knownRadii` keeps them. */
  private readonly searched = new Map<number, number>();
  /** Searches made for candidates' own pages so far (at most one per candidate; none on the query's page). */
  searches = 0;
  constructor(
    private readonly query: ArrayLike<number>,
    private readonly positives: readonly ArrayLike<number>[],
    private readonly k: number,
    private readonly knownRadii?: Map<number, number>,
  ) {}

  /** Searches the query's own page (once, before any verdict). */
  *open(): SearchingSteps<void> {
    const [own] = yield* searchFor([asFloat32(this.query)], this.k + 1);
    this.queryRadius = radiusOfPage(own!, this.k);
  }

  /**
   * Searches the own pages of those `upcoming` candidates whose verdict will need one, all in one request
   * (one message to the index thread instead of one per candidate). Only for candidates certain to be
   * examined: a radius searched here is one `admits` would have searched.
   */
  *prepare(upcoming: readonly { id: number; v: ArrayLike<number> }[]): SearchingSteps<void> {
    const needed = upcoming.filter((c) => !this.verdicts.has(c.id) && !this.nearQuery(c.v) && this.radiusKnown(c.id) === undefined);
    if (needed.length === 0) return;
    const pages = yield* searchFor(needed.map((c) => asFloat32(c.v)), this.k + 1);
    needed.forEach((c, i) => {
      this.searches++;
      const radius = radiusOfPage(pages[i]!, this.k);
      this.searched.set(c.id, radius);
      this.knownRadii?.set(c.id, radius);
    });
  }

  *admits(id: number, v: ArrayLike<number>): SearchingSteps<boolean> {
    const known = this.verdicts.get(id);
    if (known !== undefined) return known;
    let verdict = this.nearQuery(v);
    if (!verdict) {
      let radius = this.radiusKnown(id);
      if (radius === undefined) {
        this.searches++;
        radius = radiusOfPage((yield* searchFor([asFloat32(v)], this.k + 1))[0]!, this.k);
        this.knownRadii?.set(id, radius);
      }
      const r = radius;
      // Each relevant image's own radius only when the candidate is near it (searched once, on first need).
      for (let i = 0; i < this.positives.length && !verdict; i++) {
        const d = distance(this.positives[i]!, v);
        if (!within(d, r)) continue;
        if (this.radii[i] === undefined) this.radii[i] = radiusOfPage((yield* searchFor([asFloat32(this.positives[i]!)], this.k + 1))[0]!, this.k);
        verdict = within(d * d, r * this.radii[i]!);
      }
    }
    this.verdicts.set(id, verdict);
    return verdict;
  }

  private nearQuery(v: ArrayLike<number>): boolean {
    return within(distance(this.query, v), this.queryRadius);
  }

  private radiusKnown(id: number): number | undefined {
    return this.knownRadii?.get(id) ?? this.searched.get(id);
  }
}

/** Answers the steps' search requests with a search at hand, one vector at a time. */
const answerWith = (search: KnnSearch) => (request: SearchRequest): Neighbour[][] => request.vectors.map((v) => search(v, request.want));

/** The re-ranked list, computed at once (evaluations, tests). The app runs rerankInSlices. */
export function rerank(input: RerankInput): RerankResult {
  return answerToEnd(rerankSteps(input), answerWith(input.search));
}

/**
 * The re-rank with searches answered later (the app's, on the index thread, several per message), in
 * slices: the thread serves other requests while searches run and between candidates.
 */
export function rerankInSlices(input: RerankStepsInput, searchMany: KnnSearchMany, sliceMs = 6): Promise<RerankResult> {
  return answerInSlices(rerankSteps(input), (request) => searchMany(request.vectors, request.want), sliceMs);
}

/** Pool members whose stored vectors are read at once (a few ms from the catalogue). */
export const VECTORS_PER_READ = 512;

/**
 * The re-rank as steps: it asks for its searches (the pool's, the gate's for the query, the candidates and
 * the relevant images) and yields after each candidate, so the app can serve other requests meanwhile: at
 * a million images a re-rank makes thousands of searches.
 */
export function* rerankSteps(input: RerankStepsInput): SearchingSteps<RerankResult> {
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
  const gate = new NeighbourhoodGate(input.query, positives, k, input.radii);
  yield* gate.open();
  /** The first `need` of `ordered` the gate admits, after the pinned; false when `ordered` ran out first. */
  const fill = function* (ordered: readonly { id: number; distance: number; v: ArrayLike<number> }[]): SearchingSteps<boolean> {
    hits.length = pinnedCount;
    let preparedUntil = 0;
    for (let i = 0; i < ordered.length; i++) {
      if (hits.length >= k) return true;
      // Each candidate adds at most one hit, so the next (k - hits) are examined for certain: the searches
      // their verdicts need go in one request.
      if (i >= preparedUntil) {
        preparedUntil = i + (k - hits.length);
        yield* gate.prepare(ordered.slice(i, preparedUntil));
      }
      const c = ordered[i]!;
      if (yield* gate.admits(c.id, c.v)) hits.push({ id: c.id, distance: c.distance });
      yield;
    }
    return hits.length >= k;
  };
  // The pool's vectors in parts, with a turn between them: before the model's vector table has loaded,
  // each part is a catalogue read, and a pool of thousands read at once held the app (soak profile, 41 s).
  const withVectors = function* (pool: readonly Neighbour[]): SearchingSteps<{ id: number; distance: number; v: ArrayLike<number> }[]> {
    const out: { id: number; distance: number; v: ArrayLike<number> }[] = [];
    for (let start = 0; start < pool.length; start += VECTORS_PER_READ) {
      const part = pool.slice(start, start + VECTORS_PER_READ);
      const vectors = input.vectorsOf(part.map((n) => n.id));
      for (const n of part) {
        const v = vectors.get(n.id);
        if (v) out.push({ id: n.id, distance: n.distance, v });
      }
      yield;
    }
    return out;
  };
  if (!boundary) {
    // Nothing rejected, no boundary: the nearest of the query and the relevant images rank, those the gate
    // admits. Most are, so two pages of candidates usually fill the list; else the whole neighbourhood.
    let size = Math.min(poolSize, 2 * need);
    for (;;) {
      const pool = yield* neighbourhoodPoolSteps(positives, size, input.archiveSize, skip, skipped);
      if ((yield* fill(yield* withVectors(pool))) || size >= poolSize || pool.length < size) return { method, movedQuery, poolSize: pool.length, gateSearches: gate.searches, hits };
      size = poolSize;
    }
  }
  // The classifier says in or out, nearness to the query and the relevant says the order: ranking by the
  // classifier's score alone favoured whatever lies farthest from the rejected, e.g. another archive's
  // images inside a large pool. Candidates it puts with the rejected rank after all the others, and the
  // gate has the last word on every one: the boundary only knows what was marked, so an unrelated
  // cluster can lie on its relevant side.
  const pool = yield* neighbourhoodPoolSteps(positives, poolSize, input.archiveSize, skip, skipped);
  const ordered = (yield* withVectors(pool)).map((c) => ({ ...c, rejectedSide: onRejectedSide(boundary, c.v) }));
  ordered.sort((a, b) => Number(a.rejectedSide) - Number(b.rejectedSide) || a.distance - b.distance || a.id - b.id);
  yield* fill(ordered);
  return { method, movedQuery, poolSize: ordered.length, gateSearches: gate.searches, hits };
}
