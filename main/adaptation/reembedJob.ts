/**
 * The 'reembed' job kind: embeds the archive under a model from cached trunk features. Only the stages
 * after the frozen trunk run (for a head / last-stage / rectifier adaptation); images without a cached
 * row get one first (decode + trunk), so the next adaptation of the same trunk is a head-only pass too.
 * Vectors go to SQLite and the model's HNSW index in batches, so a stopped job goes on where it was.
 * A child that adapted deeper (last two stages, rectifiers) re-embeds from an earlier stage under its own
 * trunk key; rows too large to cache (trunkFeatureStore) are computed from the files each time.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Catalogue } from '../catalogue/catalogue';
import type { JobCounts, JobRunner } from '../jobs/jobQueue';
import { createEmbedder, type Embedder } from '../search/embedder';
import type { SearchEngine } from '../search/searchEngine';
import { yieldToEventLoop } from '../threads/cooperative';
import { runOneAhead } from '../threads/oneAhead';
import { loadAdaptableModel, type AdaptableModel } from './adaptableModel';
import { computeTrunkFeatures, trunkShape } from './trunkFeatureStore';

export const REEMBED_JOB_KIND = 'reembed';

export interface ReembedJobParams {
  modelId: number;
}

export interface ReembedRunnerOptions {
  catalogue: Catalogue;
  engine: SearchEngine;
  modelsDir: string;
  preferBackends?: string[];
  /** Rows per head pass (default: about 2 MB of trunk features). */
  batchSize?: number;
  /** Run the head passes in this process instead of a worker thread (tests that count on one backend). */
  headInProcess?: boolean;
}

/** Head pass over flat trunk rows: the stages from `fromStage` on, pooling, head, L2 norm. */
export function embedFromTrunk(model: AdaptableModel, shape: [number, number, number], features: Float32Array, count: number): Float32Array {
  const out = tf.tidy(() => model.net.embedFromStage(tf.tensor4d(features, [count, ...shape]), model.fromStage));
  const vectors = out.dataSync() as Float32Array;
  out.dispose();
  return new Float32Array(vectors);
}

/**
 * A worker thread holding the child model for the head passes: at a million images they are most of a
 * re-embedding's time, and on the main thread each one held every page and search behind it. Null when
 * the worker cannot start (the passes then run here, as before).
 */
async function startHeadWorker(options: ReembedRunnerOptions, dir: string): Promise<Embedder | null> {
  if (options.headInProcess) return null;
  try {
    // Background work: the head passes give way to the threads serving pages and searches.
    return await createEmbedder({ modelDir: path.resolve(options.modelsDir, dir), prefer: options.preferBackends, background: true });
  } catch (error) {
    console.error(`[simila] re-embedding: the head pass runs on the main thread (no worker: ${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

export function createReembedRunner(options: ReembedRunnerOptions): JobRunner {
  const { catalogue, engine } = options;
  return async ({ jobId, params, signal, report }) => {
    const modelId = (params as Partial<ReembedJobParams> | null)?.modelId;
    const record = typeof modelId === 'number' ? catalogue.models.get(modelId) : undefined;
    if (!record) throw new Error(`Model ${String(modelId)} is no longer in the catalogue.`);
    const model = await loadAdaptableModel(options.modelsDir, record, undefined, options.preferBackends);
    const started = performance.now();
    const headWorker = await startHeadWorker(options, record.dir);
    let releaseCatchUp = () => {};
    try {
      const shape = trunkShape(model.net, model.fromStage);
      const rowLength = shape[0] * shape[1] * shape[2];
      const batchSize = Math.max(1, options.batchSize ?? Math.min(2048, Math.max(32, Math.floor(2 ** 19 / rowLength))));
      const index = await engine.index(record);
      // This job keeps the index in step with what it stores; the engine's catch-up leaves it alone meanwhile.
      releaseCatchUp = engine.holdCatchUp(record);
      const done0 = catalogue.embeddings.count(record.id);
      const counts: JobCounts = { total: done0 + catalogue.embeddings.countMissing(record.id), done: done0, imported: 0, skipped: done0, failed: 0 };
      // Room for the whole archive now, while the graph is small: growing by doubling copied the whole
      // graph at a million, on the index thread, while searches waited behind the copy.
      index.reserve(counts.total ?? 0);
      report(counts, `re-embedding with ${record.name} from cached trunk features`);
      const cached0 = catalogue.trunkFeatures.count(model.key);
      let fromCache = 0;
      // Seconds per phase, reported with the summary (the benchmark says where the time goes). 'head' counts
      // only the wait for a head pass: most of it runs while the batch before is written and inserted.
      const phases = { read: 0, trunk: 0, head: 0, write: 0, index: 0 };
      /** Adds the seconds since the last lap (or since it was made) to a phase. */
      const phaseClock = () => {
        let mark = performance.now();
        return (phase: keyof typeof phases) => {
          const now = performance.now();
          phases[phase] += (now - mark) / 1000;
          mark = now;
        };
      };
      let after = 0;
      const dim = model.net.embeddingDim;
      /** A batch read, its head pass under way on the worker (run here at once without one). */
      interface Batch {
        ids: number[];
        okIds: number[];
        vectors: Promise<Float32Array> | null;
      }
      const take = async (): Promise<Batch | null> => {
        const ids = catalogue.embeddings.idsMissing(record.id, batchSize, after);
        if (ids.length === 0) return null;
        after = ids[ids.length - 1]!;
        const lap = phaseClock();
        const cached = catalogue.trunkFeatures.range(model.key, ids[0]!, after);
        const rows = new Map<number, Float32Array>();
        const uncached: number[] = [];
        for (const id of ids) {
          const row = cached.get(id);
          if (row && row.length === rowLength) rows.set(id, row);
          else uncached.push(id);
        }
        lap('read');
        fromCache += rows.size;
        for (let start = 0; start < uncached.length; start += 64) {
          const computed = await computeTrunkFeatures({ catalogue, net: model.net, spec: model.manifest.preprocess, fromStage: model.fromStage, key: model.key, prepareImage: (id, spec) => engine.prepareImage(id, spec) }, uncached.slice(start, start + 64));
          computed.ids.forEach((id, i) => rows.set(id, computed.features.subarray(i * rowLength, (i + 1) * rowLength)));
          for (const failure of computed.failures) {
            const where = catalogue.paths.listForImage(failure.id)[0]?.path ?? `image ${failure.id}`;
            catalogue.failures.record(jobId, where, failure.code, failure.message);
          }
          counts.failed += computed.failures.length;
        }
        lap('trunk');
        const okIds = ids.filter((id) => rows.has(id));
        if (okIds.length === 0) return { ids, okIds, vectors: null };
        const flat = new Float32Array(okIds.length * rowLength);
        okIds.forEach((id, i) => flat.set(rows.get(id)!, i * rowLength));
        const vectors = headWorker ? headWorker.embedFromTrunk(flat, okIds.length, model.fromStage, shape) : Promise.resolve().then(() => embedFromTrunk(model, shape, flat, okIds.length));
        vectors.catch(() => undefined); // awaited by store or leftOver; a pass abandoned on a stop fails quietly
        return { ids, okIds, vectors };
      };
      const store = async (batch: Batch): Promise<void> => {
        if (batch.vectors) {
          const lap = phaseClock();
          const vectors = await batch.vectors;
          lap('head'); // the part of the head pass the previous batch's storing did not cover
          const put = catalogue.embeddings.putMany(record.id, batch.okIds.map((imageId, i) => ({ imageId, vector: vectors.subarray(i * dim, (i + 1) * dim) })));
          if (!put.ok) throw new Error(put.message);
          lap('write');
          await index.addYielding(batch.okIds, vectors);
          lap('index');
          counts.imported += batch.okIds.length;
        }
        counts.done += batch.ids.length;
        report(counts);
        await yieldToEventLoop(); // the UI's requests get their turn between batches
      };
      // The next batch is read and its head pass started before this one is written and inserted, so the
      // embed worker and the graph's thread work at the same time.
      const { stopped: cancelled } = await runOneAhead(take, store, () => signal.aborted, async (batch) => batch.vectors?.catch(() => undefined));
      const saveStarted = performance.now();
      await engine.saveIndex(record);
      const saveSeconds = (performance.now() - saveStarted) / 1000;
      const seconds = (performance.now() - started) / 1000;
      return {
        summary: { model: record.name, modelId: record.id, fromStage: model.fromStage, trunkKey: model.key, headIn: headWorker ? 'worker' : 'main', headNice: headWorker?.threadNice ?? null, embedded: counts.imported, failed: counts.failed, fromCache, cachedBefore: cached0, seconds, phases: { ...phases, saveIndex: saveSeconds }, cancelled },
        counts,
        message: `${counts.imported} embedded (${fromCache} from cached trunk features), ${counts.failed} failed${cancelled ? ' (stopped)' : ''}`,
        cancelled,
      };
    } finally {
      releaseCatchUp();
      model.dispose();
      await headWorker?.close();
    }
  };
}
