import { describe, expect, it } from 'vitest';
import { runMlBench, type Comparison } from '../../bench/ml/mlBench';
import { throughputRatio } from '../../bench/ml/trainThroughput';

interface Report {
  bench: string;
  backend: string;
  pytorch: { available: boolean; note: string };
  train_vs_pytorch_ratio: Record<string, number | null>;
  embed_vs_pytorch_ratio: Record<string, number | null>;
  train: { results: Comparison[] };
  train_parallel_speedup: number | null;
  train_parallel: { workers: number; images_per_s: Record<string, number | null>; results: (Comparison & { workers: number })[] };
  embed: { model: { found: boolean }; results: Comparison[] };
  hnsw: { dim: number; runs: { size: number; dim: number; build_vectors_per_s: number; chosen: { recall_at_10: number; query_p50_ms: number; query_p99_ms: number } }[] };
  machine: { cpus: number; cpu_model: string; node: string; load_average_start: number[]; load_average_end: number[] };
}

describe('throughputRatio', () => {
  it('divides ours by theirs and gives null unless both were measured', () => {
    expect(throughputRatio(30, 20)).toBe(1.5);
    expect(throughputRatio(10, 30)).toBe(0.33);
    expect(throughputRatio(10, undefined)).toBeNull();
    expect(throughputRatio(undefined, 10)).toBeNull();
    expect(throughputRatio(10, 0)).toBeNull();
    expect(throughputRatio(Number.NaN, 10)).toBeNull();
  });
});

describe('simila bench ml (tiny inputs)', () => {
  it('prints measured training, embedding and HNSW figures, with ratios derived from them', async () => {
    const report = (await runMlBench({
      quick: true,
      hnswSizes: [600],
      hnswQueries: 20,
      hnswData: ['uniform'],
      batch: 4,
      size: 16,
      embedBatch: 4,
      steps: 1,
      warmup: 0,
      resnetWidths: [4, 4, 4, 4],
      conv4Widths: [4, 4, 4, 4],
      modelDir: null,
      parallelWorkers: 2,
      installPytorch: false,
      log: () => {},
    })) as unknown as Report;

    expect(report.bench).toBe('ml');
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).toContain(report.backend);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.load_average_start).toHaveLength(3);
    expect(report.machine.load_average_end).toHaveLength(3);

    expect(report.train.results.map((c) => c.arch)).toEqual(['conv4', 'resnet12']);
    expect(report.embed.model.found).toBe(false);
    expect(report.embed.results).toHaveLength(1);
    // Embedding runs through the app's embedder (worker threads), which says how many it used.
    expect(report.embed.results[0]!.ours.workers).toBeGreaterThanOrEqual(1);
    for (const [ratios, comparisons] of [[report.train_vs_pytorch_ratio, report.train.results], [report.embed_vs_pytorch_ratio, report.embed.results]] as const) {
      for (const c of comparisons) {
        expect(c.ours.ok, c.ours.error).toBe(true);
        expect(c.ours.images_per_s).toBeGreaterThan(0);
        expect(c.batch).toBe(4);
        const key = Object.keys(ratios).find((k) => k === c.arch || k.startsWith(`${c.arch}_${c.input_size}px`));
        expect(key).toBeDefined();
        const theirs = c.pytorch.ok && 'images_per_s' in c.pytorch ? c.pytorch.images_per_s : undefined;
        // The ratio is the quotient of the two figures in the same report, or null when PyTorch is absent.
        expect(ratios[key!]).toBe(theirs ? Math.round((c.ours.images_per_s! / theirs) * 100) / 100 : null);
        expect(c.ratio).toBe(ratios[key!]);
        if (report.pytorch.available) expect(theirs).toBeGreaterThan(0);
      }
    }
    if (!report.pytorch.available) expect(report.pytorch.note).toMatch(/torch/);

    // Data-parallel training: one worker and two, each measured; the speedup is their quotient.
    expect(report.train_parallel.results.map((c) => c.workers)).toEqual([1, 2]);
    for (const c of report.train_parallel.results) {
      expect(c.ours.ok, c.ours.error).toBe(true);
      expect(c.ours.workers).toBe(c.workers);
    }
    const one = report.train_parallel.images_per_s.workers_1 as number;
    const two = report.train_parallel.images_per_s.workers_2 as number;
    expect(one).toBeGreaterThan(0);
    expect(report.train_parallel_speedup).toBe(Math.round((two / one) * 100) / 100);

    expect(report.hnsw.dim).toBe(64);
    expect(report.hnsw.runs).toHaveLength(1);
    const run = report.hnsw.runs[0]!;
    expect(run.size).toBe(600);
    expect(run.dim).toBe(64);
    expect(run.build_vectors_per_s).toBeGreaterThan(0);
    expect(run.chosen.recall_at_10).toBeGreaterThan(0.5);
    expect(run.chosen.query_p99_ms).toBeGreaterThanOrEqual(run.chosen.query_p50_ms);
  }, 180_000);
});
