/**
 * Benchmark of re-embedding after a head / last-stage adaptation (issue 5, item 8): a temporary home
 * with `count` generated archive items whose trunk features are cached (random values of the trunk's
 * shape: the cost does not depend on their content), a child of the shipped model registered as an
 * adapted profile, and the real 'reembed' job timed end to end (SQLite reads, head pass, vector
 * writes, HNSW adds). For `npm run bench -- adapt`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openServices } from '../app/services';
import { saveModelPackage } from '../ml/package/modelPackage';
import { registerModelPackage } from '../ml/package/registerModel';
import { seededRandom } from '../ml/samplers/seededRandom';
import { loadAdaptableModel } from './adaptableModel';
import { REEMBED_JOB_KIND } from './reembedJob';
import { trunkShape } from './trunkFeatureStore';

export interface ReembedBenchmark {
  items: number;
  seconds: number;
  itemsPerSecond: number;
  fromCache: number;
  trunkShape: [number, number, number];
  backend: string;
  /** Seconds per phase of the job: cache reads, trunk (uncached only), head pass, vector writes, HNSW adds, index save. */
  phases: Record<string, number>;
}

export async function benchmarkReembedFromCache(options: { count: number; packageRoot: string; preferBackends?: string[]; batchSize?: number }): Promise<ReembedBenchmark> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'simila-reembed-bench-'));
  const services = openServices({ home, env: {}, decodeInProcess: true, shippedModelsRoot: options.packageRoot, preferBackends: options.preferBackends, progressThrottleMs: 1000 });
  try {
    const parent = await services.engine.activeModel();
    if (!parent) throw new Error('no shipped model to benchmark');
    const model = await loadAdaptableModel(services.layout.models, parent, undefined, options.preferBackends);
    const shape = trunkShape(model.net, model.fromStage);
    const rowLength = shape[0] * shape[1] * shape[2];
    // The child: the parent's weights registered as an adapted profile (its trunk, hence its key, is the parent's).
    const childDir = path.join(services.layout.models, 'bench-child');
    const manifest = await saveModelPackage(childDir, model.net, {
      name: 'bench-child',
      preprocess: model.manifest.preprocess,
      provenance: { ...model.manifest.provenance, stage: 'adapted', parent: { id: parent.id, name: parent.name }, options: { adaptation: model.config } },
      metrics: { loss: [], validation: [], final: null },
    });
    const child = registerModelPackage(services.catalogue.models, services.layout.models, childDir, manifest);
    if (!child.ok) throw new Error(child.message);
    const { catalogue } = services;
    const folderId = catalogue.folders.ensure(path.join(home, 'archive'));
    const random = seededRandom(1);
    const chunk = 5000;
    for (let start = 0; start < options.count; start += chunk) {
      catalogue.transaction(() => {
        const ids: number[] = [];
        const n = Math.min(chunk, options.count - start);
        for (let i = 0; i < n; i++) {
          const k = start + i;
          const id = catalogue.images.insert({ hash: `bench-${k}`, width: 28, height: 28, format: 'png', byteSize: 1, meta: {} });
          catalogue.paths.upsert({ path: path.join(home, 'archive', `${k}.png`), imageId: id, folderId, size: 1, mtimeMs: 0, seenByJob: null });
          ids.push(id);
        }
        const features = new Float32Array(n * rowLength);
        for (let i = 0; i < features.length; i++) features[i] = random() * 2;
        catalogue.trunkFeatures.putMany(model.key, ids, features);
      });
    }
    model.dispose();
    const started = performance.now();
    const jobId = services.jobs.enqueue(REEMBED_JOB_KIND, 'bench', { modelId: child.model.id });
    const finished = await services.jobs.waitFor(jobId);
    const seconds = (performance.now() - started) / 1000;
    if (finished.state !== 'done') throw new Error(`re-embedding ended ${finished.state}: ${finished.error}`);
    const fromCache = Number((finished.summary as { fromCache?: unknown } | null)?.fromCache ?? 0);
    const { ensureBackend } = await import('./adaptableModel');
    return { items: options.count, seconds, itemsPerSecond: options.count / seconds, fromCache, trunkShape: shape, backend: await ensureBackend(), phases: ((finished.summary as { phases?: Record<string, number> } | null)?.phases ?? {}) };
  } finally {
    await services.close();
    rmSync(home, { recursive: true, force: true });
  }
}
