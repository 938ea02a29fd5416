/**
 * The paper's evaluation protocol (DESIGN §1): seeded N-way K-shot episodes over classes the model
 * never trained on. For each episode and method: prepare (adapt on the support set, for methods that
 * adapt), embed the episode's QUERY POOL (N x Q items) and rank every query against the rest of that
 * pool by Euclidean distance. The support images are the adaptation data only; they do not join the
 * gallery, so a method that does not adapt ("dml", "random") scores the same whatever the shot count,
 * and all methods rank the same gallery (as in the paper and its PyTorch reference).
 *
 * Figures are per-episode means over queries, then means over episodes with a 95% interval.
 */
import { sampleEpisodes, type EpisodeOptions, type LabelledItem } from '../episodes/episodeSampler';
import type { Method } from './method';
import { meanAndCi95, poolMetrics, RECALL_KS } from './retrievalMetrics';

/** One method's line of the report; keys are the CLI's JSON keys. */
export interface MethodReport {
  method: string;
  recall_at_1: number;
  recall_at_2: number;
  recall_at_4: number;
  recall_at_8: number;
  map_at_r: number;
  map: number;
  ci95_recall_at_1: number;
  ci95_recall_at_2: number;
  ci95_recall_at_4: number;
  ci95_recall_at_8: number;
  ci95_map_at_r: number;
  ci95_map: number;
  /** Wall time spent in this method (preparation + embedding + ranking). */
  seconds: number;
}

export interface EvaluationReport {
  results: MethodReport[];
  episodes: number;
  way: number;
  shot: number;
  queries: number;
  seed: number;
  /** Classes with at least shot + queries items (the ones episodes draw from). */
  eligible_classes: number;
  skipped_classes: number;
}

export interface EvaluationProgress {
  /** Episodes finished (all methods). */
  done: number;
  total: number;
}

export interface EvaluateOptions<Id> extends EpisodeOptions {
  pool: readonly LabelledItem<Id>[];
  methods: readonly Method<Id>[];
  onProgress?: (progress: EvaluationProgress) => void;
}

export type EvaluateResult = { ok: true; report: EvaluationReport } | { ok: false; code: 'bad-options' | 'too-few-classes' | 'no-methods'; message: string };

interface Sums {
  recall: Record<number, number[]>;
  mapAtR: number[];
  map: number[];
  seconds: number;
}

export async function evaluate<Id>(options: EvaluateOptions<Id>): Promise<EvaluateResult> {
  if (options.methods.length === 0) return { ok: false, code: 'no-methods', message: 'no evaluation method given' };
  const names = options.methods.map((m) => m.name);
  if (new Set(names).size !== names.length) return { ok: false, code: 'bad-options', message: `a method is listed twice: ${names.join(', ')}` };
  const plan = sampleEpisodes(options.pool, options);
  if (!plan.ok) return plan;

  const perMethod = new Map<string, Sums>(names.map((name) => [name, { recall: Object.fromEntries(RECALL_KS.map((k) => [k, []])), mapAtR: [], map: [], seconds: 0 }]));
  let done = 0;
  for (const episode of plan.episodes) {
    const ids = episode.query.map((q) => q.itemId);
    const labels = episode.query.map((q) => q.classKey);
    // Methods take turns on the same episode, so decoded images are shared while they are fresh.
    for (const method of options.methods) {
      const started = performance.now();
      const embedder = await method.prepare(episode);
      let embeddings: Float32Array[];
      try {
        embeddings = await embedder.embed(ids);
      } finally {
        embedder.release?.();
      }
      const metrics = poolMetrics(embeddings, labels, RECALL_KS);
      const sums = perMethod.get(method.name) as Sums;
      for (const k of RECALL_KS) (sums.recall[k] as number[]).push(metrics.recallAtK[k] ?? 0);
      sums.mapAtR.push(metrics.mapAtR);
      sums.map.push(metrics.map);
      sums.seconds += (performance.now() - started) / 1000;
    }
    options.onProgress?.({ done: ++done, total: plan.episodes.length });
  }

  const results = names.map((name): MethodReport => {
    const sums = perMethod.get(name) as Sums;
    const recall = RECALL_KS.map((k) => meanAndCi95(sums.recall[k] as number[]));
    const mapAtR = meanAndCi95(sums.mapAtR);
    const map = meanAndCi95(sums.map);
    const [r1, r2, r4, r8] = recall as [ReturnType<typeof meanAndCi95>, ReturnType<typeof meanAndCi95>, ReturnType<typeof meanAndCi95>, ReturnType<typeof meanAndCi95>];
    return {
      method: name,
      recall_at_1: r1.mean,
      recall_at_2: r2.mean,
      recall_at_4: r4.mean,
      recall_at_8: r8.mean,
      map_at_r: mapAtR.mean,
      map: map.mean,
      ci95_recall_at_1: r1.ci95,
      ci95_recall_at_2: r2.ci95,
      ci95_recall_at_4: r4.ci95,
      ci95_recall_at_8: r8.ci95,
      ci95_map_at_r: mapAtR.ci95,
      ci95_map: map.ci95,
      seconds: sums.seconds,
    };
  });
  return {
    ok: true,
    report: {
      results,
      episodes: plan.episodes.length,
      way: options.way,
      shot: options.shot,
      queries: options.queries,
      seed: options.seed,
      eligible_classes: plan.eligibleClasses,
      skipped_classes: plan.skippedClasses.length,
    },
  };
}
