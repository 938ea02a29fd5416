/**
 * Re-ranking bench (issues 6, 14): an archive of random L2-normalised vectors of the model's dimension in an
 * HNSW index built here, then many re-rankings with judgements (the neighbourhood pool of the query and the
 * relevant images by multi-point k-NN, re-ordered by the per-query classifier; rejected dropped, relevant
 * pinned). Reports median and p95 per re-ranking next to a plain k-NN search on the same index (the
 * reference) and the 50 ms goal. Pool vectors come from memory here; the app reads them from SQLite.
 */
import { rerank } from '../../main/feedback/rerank';
import { DEFAULT_ROCCHIO } from '../../main/feedback/rocchio';
import { HnswIndex } from '../../main/index/hnswIndex';
import { normaliseRowsInPlace } from '../../main/index/vectorMath';
import { machineInfo } from '../machine';
import { quantile, round3, seeded } from '../stats';

export interface RerankBenchOptions {
  size: number;
  dim: number;
  reranks: number;
  k: number;
  positives: number;
  negatives: number;
  seed?: number;
}

export async function runRerankBench(options: RerankBenchOptions) {
  const random = seeded(options.seed ?? 1);
  const { size, dim } = options;
  const vectors = new Float32Array(size * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = random() * 2 - 1;
  normaliseRowsInPlace(vectors, dim);
  const row = (id: number) => vectors.subarray((id - 1) * dim, id * dim);
  const buildStart = performance.now();
  const index = HnswIndex.create(dim, undefined, size);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  index.add(ids, vectors);
  const buildSeconds = (performance.now() - buildStart) / 1000;

  const rerankMs: number[] = [];
  const methods = new Set<string>();
  const poolSizes = new Set<number>();
  const vectorsOf = (ids: readonly number[]) => new Map(ids.map((id) => [id, row(id)] as const));
  const searchMs: number[] = [];
  for (let r = 0; r < options.reranks; r++) {
    const pick = () => 1 + Math.floor(random() * size);
    const queryId = pick();
    const query = row(queryId);
    // Judged images come from the query's own neighbourhood, as they would from its result list.
    const shown = index.search(query, options.positives + options.negatives + 1).map((n) => n.id).filter((id) => id !== queryId);
    const relevant = new Map(shown.slice(0, options.positives).map((id) => [id, row(id)] as const));
    const notRelevant = new Map(shown.slice(options.positives, options.positives + options.negatives).map((id) => [id, row(id)] as const));
    let t = performance.now();
    index.search(query, options.k + 1);
    searchMs.push(performance.now() - t);
    t = performance.now();
    const result = rerank({ query, relevant, notRelevant, search: (v, want) => index.search(v, want), vectorsOf, archiveSize: index.size, k: options.k, exclude: new Set([queryId]) });
    rerankMs.push(performance.now() - t);
    methods.add(result.method);
    poolSizes.add(result.poolSize);
    if (result.hits.length !== options.k) throw new Error(`rerank returned ${result.hits.length} hits, expected ${options.k}`);
  }
  rerankMs.sort((a, b) => a - b);
  searchMs.sort((a, b) => a - b);
  const p95 = quantile(rerankMs, 0.95);
  return {
    bench: 'rerank',
    archive: size,
    dim,
    k: options.k,
    positives: options.positives,
    negatives: options.negatives,
    reranks: options.reranks,
    /** How the re-rank ranked (with rejected images: the per-query classifier's direction). */
    methods: [...methods],
    /** Candidates the classifier re-ordered (the neighbourhood, sized to the archive). */
    pool_sizes: [...poolSizes],
    rocchio: DEFAULT_ROCCHIO,
    hnsw: { ...index.params, build_seconds: round3(buildSeconds) },
    rerank_median_ms: round3(quantile(rerankMs, 0.5)),
    rerank_p95_ms: round3(p95),
    rerank_max_ms: round3(rerankMs[rerankMs.length - 1] ?? NaN),
    reference_knn_median_ms: round3(quantile(searchMs, 0.5)),
    reference_knn_p95_ms: round3(quantile(searchMs, 0.95)),
    goal_ms: 50,
    meets_goal: p95 <= 50,
    machine: machineInfo(),
  };
}
