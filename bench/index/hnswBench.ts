/**
 * HNSW benchmark (issue 4, 9c): for each size, build rate, query p50/p99 at k=10 and recall@10 against
 * exact search, over an ef sweep, on uniformly random unit vectors (the hardest case: no structure) and on
 * a Gaussian mixture that looks more like real embeddings (clusters of a few thousand centres).
 *
 *   npx tsx bench/index/hnswBench.ts --sizes 100000,1000000 --dim 64 --json [--data uniform,clustered]
 */
import { fileURLToPath } from 'node:url';
import { exactSearch } from '../../main/index/exactSearch';
import { HnswIndex, type HnswParams } from '../../main/index/hnswIndex';
import { normaliseRowsInPlace } from '../../main/index/vectorMath';
import { machineInfo } from '../machine';

export type DataKind = 'uniform' | 'clustered';

export interface HnswBenchOptions {
  sizes: number[];
  dim: number;
  queries: number;
  json: boolean;
  data?: DataKind[];
  m?: number;
  efConstruction?: number;
  efSweep?: number[];
  targetRecall?: number;
  seed?: number;
}

export interface EfPoint {
  ef: number;
  recall_at_10: number;
  query_p50_ms: number;
  query_p99_ms: number;
}

export interface HnswBenchRun {
  data: DataKind;
  size: number;
  dim: number;
  m: number;
  ef_construction: number;
  build_s: number;
  build_vectors_per_s: number;
  rss_mb_after_build: number;
  rss_mb_growth_during_build: number;
  index_mb_estimate: number;
  /** The smallest ef meeting recall and p99 <= 5 ms, else the smallest meeting recall, else the best recall. */
  chosen: EfPoint & { meets_target: boolean; meets_p99_5ms: boolean };
  sweep: EfPoint[];
  exact_query_ms: number;
}

/** Seeded PRNG (mulberry32) and Box-Muller normals, so runs are repeatable. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export function generateVectors(kind: DataKind, n: number, dim: number, seed: number, centres?: Float32Array): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  if (kind === 'uniform') {
    for (let i = 0; i < out.length; i++) out[i] = r.normal();
  } else {
    const c = centres ?? generateCentres(dim, seed);
    const nCentres = c.length / dim;
    const spread = 0.5 / Math.sqrt(dim); // within-cluster spread about half the distance between centres
    for (let i = 0; i < n; i++) {
      const k = Math.floor(r.uniform() * nCentres);
      for (let j = 0; j < dim; j++) out[i * dim + j] = c[k * dim + j]! + spread * r.normal();
    }
  }
  return normaliseRowsInPlace(out, dim);
}

export function generateCentres(dim: number, seed: number, count = 4096): Float32Array {
  const r = rng(seed ^ 0x9e3779b9);
  const c = new Float32Array(count * dim);
  for (let i = 0; i < c.length; i++) c[i] = r.normal();
  return normaliseRowsInPlace(c, dim);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function benchOne(kind: DataKind, size: number, options: Required<HnswBenchOptions>, log: (s: string) => void): Promise<HnswBenchRun> {
  const { dim } = options;
  const centres = generateCentres(dim, options.seed);
  const base = generateVectors(kind, size, dim, options.seed, centres);
  const queries = generateVectors(kind, options.queries, dim, options.seed + 1, centres);
  const ids = Int32Array.from({ length: size }, (_, i) => i);

  const params: HnswParams = { m: options.m, efConstruction: options.efConstruction, ef: 10 };
  const rssBefore = process.memoryUsage().rss;
  const index = HnswIndex.create(dim, params, size);
  const batch = 10_000;
  const started = performance.now();
  for (let s = 0; s < size; s += batch) {
    const n = Math.min(batch, size - s);
    index.add(Array.from(ids.subarray(s, s + n)), base.subarray(s * dim, (s + n) * dim));
    if ((s / batch) % 10 === 0) log(`  ${kind} ${size}: built ${s + n} (${((s + n) / ((performance.now() - started) / 1000)).toFixed(0)}/s)`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const buildS = (performance.now() - started) / 1000;
  const rssAfter = process.memoryUsage().rss;

  const t0 = performance.now();
  const truth = [];
  for (let q = 0; q < options.queries; q++) {
    truth.push(new Set(exactSearch({ ids, vectors: base, dim }, queries.subarray(q * dim, (q + 1) * dim), 10).map((x) => x.id)));
  }
  const exactMs = (performance.now() - t0) / options.queries;

  const sweep: EfPoint[] = [];
  for (const ef of options.efSweep) {
    index.setEf(ef);
    for (let q = 0; q < Math.min(20, options.queries); q++) index.search(queries.subarray(q * dim, (q + 1) * dim), 10); // warm-up
    const latencies: number[] = [];
    let hits = 0;
    for (let q = 0; q < options.queries; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const t = performance.now();
      const found = index.search(query, 10);
      latencies.push(performance.now() - t);
      for (const f of found) if (truth[q]!.has(f.id)) hits++;
    }
    latencies.sort((a, b) => a - b);
    const point = { ef, recall_at_10: hits / (options.queries * 10), query_p50_ms: percentile(latencies, 0.5), query_p99_ms: percentile(latencies, 0.99) };
    sweep.push(point);
    log(`  ${kind} ${size}: ef ${ef} recall@10 ${point.recall_at_10.toFixed(4)} p50 ${point.query_p50_ms.toFixed(3)} ms p99 ${point.query_p99_ms.toFixed(3)} ms`);
    if (point.recall_at_10 >= 0.999) break;
  }
  const reaching =
    sweep.find((p) => p.recall_at_10 >= options.targetRecall && p.query_p99_ms <= 5) ?? sweep.find((p) => p.recall_at_10 >= options.targetRecall);
  const best = reaching ?? sweep.reduce((a, b) => (b.recall_at_10 > a.recall_at_10 ? b : a));
  // Graph memory per hnswlib: vector + level-0 links (2M ids) + label, per element.
  const bytesPerElement = dim * 4 + 4 + 2 * options.m * 4 + 8;
  return {
    data: kind,
    size,
    dim,
    m: options.m,
    ef_construction: options.efConstruction,
    build_s: Number(buildS.toFixed(2)),
    build_vectors_per_s: Math.round(size / buildS),
    rss_mb_after_build: Math.round(rssAfter / 1e6),
    rss_mb_growth_during_build: Math.round((rssAfter - rssBefore) / 1e6),
    index_mb_estimate: Math.round((bytesPerElement * size) / 1e6),
    chosen: { ...best, meets_target: best.recall_at_10 >= options.targetRecall, meets_p99_5ms: best.query_p99_ms <= 5 },
    sweep,
    exact_query_ms: Number(exactMs.toFixed(2)),
  };
}

export async function runHnswBench(options: HnswBenchOptions): Promise<Record<string, unknown>> {
  const full: Required<HnswBenchOptions> = {
    data: ['uniform', 'clustered'],
    m: 16,
    efConstruction: 128,
    efSweep: [16, 32, 64, 128, 256, 512, 1024, 2048],
    targetRecall: 0.98,
    seed: 1,
    ...options,
  };
  // Progress goes to stderr, so stdout stays one JSON object.
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const runs: HnswBenchRun[] = [];
  for (const size of full.sizes) {
    for (const kind of full.data) runs.push(await benchOne(kind, size, full, log));
  }
  return {
    bench: 'hnsw',
    library: 'hnswlib-node',
    k: 10,
    queries: full.queries,
    target_recall_at_10: full.targetRecall,
    runs,
    machine: machineInfo(),
  };
}

function parseArgs(argv: string[]): HnswBenchOptions {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => Number(x.trim())).filter((x) => Number.isFinite(x) && x > 0) : undefined);
  const opts: HnswBenchOptions = {
    sizes: list(get('sizes')) ?? [100_000, 1_000_000],
    dim: Number(get('dim') ?? 64),
    queries: Number(get('queries') ?? 300),
    json: argv.includes('--json'),
  };
  const data = get('data');
  if (data) opts.data = data.split(',').filter((d): d is DataKind => d === 'uniform' || d === 'clustered');
  if (get('m')) opts.m = Number(get('m'));
  if (get('ef-construction')) opts.efConstruction = Number(get('ef-construction'));
  const sweep = list(get('ef'));
  if (sweep) opts.efSweep = sweep;
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const opts = parseArgs(process.argv.slice(2));
  const result = await runHnswBench(opts);
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
}
