/**
 * Benchmark of few-shot adaptation (issue 5, item 8): N-way K-shot of the shipped (default) model on
 * an ImageFolder set (e.g. mednist) in a temporary home: `shots` support and `holdout` held-out images
 * of the first `ways` classes are copied, imported and labelled, then the real 'adapt' job runs twice
 * (cold: decode + trunk features computed; warm: cached) with the model's default settings.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAdaptationServiceFor, openServices } from '../app/services';
import { IMPORT_JOB_KIND } from '../ingest/importJob';
import { ADAPT_JOB_KIND, type AdaptJobSummary } from './adaptJob';

export interface AdaptationBenchmarkRun {
  seconds: number;
  steps: number;
  stoppedEarly: boolean;
  before: number | null;
  after: number | null;
}

export interface AdaptationBenchmark {
  ways: number;
  shots: number;
  holdout: number;
  model: string;
  cold: AdaptationBenchmarkRun;
  warm: AdaptationBenchmarkRun;
  estimateSeconds: number;
}

export async function benchmarkAdaptation(options: { dataDir: string; packageRoot: string; ways?: number; shots?: number; holdout?: number; preferBackends?: string[] }): Promise<AdaptationBenchmark> {
  const ways = options.ways ?? 5;
  const shots = options.shots ?? 5;
  const holdout = options.holdout ?? 2;
  const work = mkdtempSync(path.join(os.tmpdir(), 'simila-adapt-bench-'));
  const archive = path.join(work, 'archive');
  const classes = readdirSync(options.dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().slice(0, ways);
  for (const name of classes) {
    mkdirSync(path.join(archive, name), { recursive: true });
    const files = readdirSync(path.join(options.dataDir, name)).filter((f) => /\.(png|jpe?g|dcm)$/i.test(f)).sort().slice(0, shots + holdout);
    for (const file of files) copyFileSync(path.join(options.dataDir, name, file), path.join(archive, name, file));
  }
  const services = openServices({ home: path.join(work, 'home'), env: {}, decodeInProcess: true, shippedModelsRoot: options.packageRoot, preferBackends: options.preferBackends, progressThrottleMs: 1000 });
  try {
    const model = await services.engine.activeModel();
    if (!model) throw new Error('no shipped model to adapt');
    const imported = await services.jobs.waitFor(services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive }));
    if (imported.state !== 'done') throw new Error(`import ended ${imported.state}`);
    const { catalogue } = services;
    const adaptation = createAdaptationServiceFor(services);
    const folders = catalogue.folders.listWithCounts();
    const classIds = classes.map((name) => {
      const folder = folders.find((f) => f.path === path.join(archive, name));
      const ids = folder ? catalogue.images.page(0, shots + holdout, folder.id).map((i) => i.id) : [];
      const cls = adaptation.createClass(name);
      adaptation.addImages(cls.id, ids.slice(0, shots), 'support');
      if (ids.length > shots) adaptation.addImages(cls.id, ids.slice(shots), 'holdout');
      return cls.id;
    });
    const estimate = await adaptation.estimate(classIds);
    const run = async (label: string): Promise<AdaptationBenchmarkRun> => {
      const started = performance.now();
      const finished = await services.jobs.waitFor(await adaptation.start(classIds, label));
      const seconds = (performance.now() - started) / 1000;
      if (finished.state !== 'done') throw new Error(`${ADAPT_JOB_KIND} ended ${finished.state}: ${finished.error}`);
      const summary = finished.summary as unknown as AdaptJobSummary;
      return { seconds, steps: summary.steps, stoppedEarly: summary.stoppedEarly, before: summary.before?.mapAtR ?? null, after: summary.after?.mapAtR ?? null };
    };
    const cold = await run('bench-cold');
    const warm = await run('bench-warm');
    return { ways, shots, holdout, model: model.name, cold, warm, estimateSeconds: estimate.seconds };
  } finally {
    await services.close();
    rmSync(work, { recursive: true, force: true });
  }
}
