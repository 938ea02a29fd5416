/**
 * The 'embed' job kind: embeds every visible catalogued image that has no vector for a model yet, in
 * batches. Each batch's vectors are committed to SQLite (the source of truth) and added to the model's
 * HNSW index, so a killed job goes on where it stopped; the index file is saved every few thousand
 * vectors and at the end. Files that fail to decode are recorded with their reason and skipped.
 * Three stages overlap: batch k+2 is decoded (sharp, in libuv) while batch k+1 is embedded (tfjs, on the
 * embed workers) and batch k is stored (SQLite here, the graph on its index thread).
 */
import type { Catalogue } from '../catalogue/catalogue';
import { asResourceFault, ResourceFaultError } from '../ingest/fsErrors';
import { JobFailure, type JobCounts, type JobRunner } from '../jobs/jobQueue';
import { runOneAhead } from '../threads/oneAhead';
import type { SearchEngine } from './searchEngine';

export const EMBED_JOB_KIND = 'embed';

export interface EmbedJobParams {
  modelId: number;
}

export function isEmbedJobParams(value: unknown): value is EmbedJobParams {
  return !!value && typeof value === 'object' && Number.isInteger((value as { modelId?: unknown }).modelId);
}

export interface EmbedRunnerOptions {
  catalogue: Catalogue;
  engine: SearchEngine;
  /** Images per batch (default 64). */
  batchSize?: number;
  /** Save the index file after this many new vectors (default 4096). */
  saveEvery?: number;
  /** New vectors are searchable (called after each committed batch). */
  onEmbedded?: (modelId: number, added: number) => void;
}

interface PreparedBatch {
  ids: number[];
  inputs: Float32Array;
  failures: { id: number; code: string; message: string }[];
}

/** A prepared batch whose network pass is under way (null: none of its files could be read). */
interface EmbeddingBatch extends PreparedBatch {
  embedded: Promise<{ vectors: Float32Array; trunk: Float32Array | null }> | null;
}

export function createEmbedRunner(options: EmbedRunnerOptions): JobRunner {
  const { catalogue, engine } = options;
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const saveEvery = Math.max(1, options.saveEvery ?? 4096);

  return async ({ jobId, params, signal, report }) => {
    if (!isEmbedJobParams(params)) throw new Error('The embedding job does not say which model to use.');
    const model = catalogue.models.get(params.modelId);
    if (!model) throw new Error(`Model ${params.modelId} is no longer in the catalogue.`);
    const spec = engine.manifestOf(model).preprocess;
    const inputLength = spec.inputSize * spec.inputSize * spec.channels;
    const embedder = await engine.embedder(model);
    const index = await engine.index(model);
    // This job keeps the index in step with what it stores; the engine's catch-up leaves it alone meanwhile.
    const releaseCatchUp = engine.holdCatchUp(model);
    try {
      const alreadyDone = catalogue.embeddings.count(model.id);
      const counts: JobCounts = { total: alreadyDone + catalogue.embeddings.countMissing(model.id), done: alreadyDone, imported: 0, skipped: alreadyDone, failed: 0 };
      index.reserve(counts.total ?? 0); // one resize now instead of copies of a large graph as it doubles
      report(counts, `embedding with ${model.name} on ${embedder.backend}`);

      let after = 0;
      const nextBatch = async (): Promise<PreparedBatch | null> => {
        const ids = catalogue.embeddings.idsMissing(model.id, batchSize, after);
        if (ids.length === 0) return null;
        after = ids[ids.length - 1]!;
        const prepared = await Promise.all(ids.map((id) => engine.prepareImage(id, spec)));
        const batch: PreparedBatch = { ids: [], inputs: new Float32Array(ids.length * inputLength), failures: [] };
        prepared.forEach((result, i) => {
          const id = ids[i]!;
          if (!result.ok) return batch.failures.push({ id, code: result.code, message: result.message });
          batch.inputs.set(result.inputs, batch.ids.length * inputLength);
          batch.ids.push(id);
        });
        return batch;
      };

      let sinceSave = 0;
      let upcoming = nextBatch();
      /**
       * A full disk (SQLITE_FULL for vectors, ENOSPC for the index file) or a read-only home stops the job
       * with a sentence; every batch committed before stays, and the next run goes on from there.
       */
      const stop = async (error: unknown, what: string): Promise<never> => {
        const recovery = `The ${counts.done} images embedded so far are kept (the search index is rebuilt from the stored vectors when needed); free some space and run the embedding again to do the rest.`;
        const fault = asResourceFault(error, what, recovery);
        if (!(fault instanceof ResourceFaultError)) throw error;
        await upcoming.catch(() => null);
        const summary = { model: model.name, modelId: model.id, embedded: counts.imported, failed: counts.failed, total: counts.total, cancelled: false, fault: fault.code };
        throw new JobFailure(fault.message, summary, counts, fault.code);
      };
      // Taking a batch starts its network pass on the embed workers, and the next batch's decoding.
      const take = async (): Promise<EmbeddingBatch | null> => {
        const batch = await upcoming;
        if (!batch) return null;
        upcoming = nextBatch();
        const embedded = batch.ids.length > 0 ? embedder.embedInputsWithTrunk(batch.inputs.subarray(0, batch.ids.length * inputLength), batch.ids.length) : null;
        embedded?.catch(() => undefined); // awaited by store(); a stop before that must not leave it unhandled
        return { ...batch, embedded };
      };
      const store = async (batch: EmbeddingBatch): Promise<void> => {
        try {
          for (const failure of batch.failures) {
            const where = catalogue.paths.listForImage(failure.id)[0]?.path ?? `image ${failure.id}`;
            catalogue.failures.record(jobId, where, failure.code, failure.message);
          }
        } catch (error) {
          await stop(error, 'the failures of a batch could not be recorded');
        }
        counts.failed += batch.failures.length;
        if (batch.embedded) {
          const { vectors, trunk } = await batch.embedded;
          const dim = embedder.embeddingDim;
          let put: ReturnType<typeof catalogue.embeddings.putMany>;
          try {
            // Trunk features of the same pass: an adapted child of this model re-embeds from them (issue 5).
            if (trunk && embedder.trunk) catalogue.trunkFeatures.putMany(embedder.trunk.key, batch.ids, trunk);
            put = catalogue.embeddings.putMany(
              model.id,
              batch.ids.map((imageId, i) => ({ imageId, vector: vectors.subarray(i * dim, (i + 1) * dim) })),
            );
          } catch (error) {
            return stop(error, `the vectors of ${batch.ids.length} images could not be stored in the catalogue`);
          }
          if (!put.ok) throw new Error(put.message);
          await index.addYielding(batch.ids, vectors);
          counts.imported += batch.ids.length;
          sinceSave += batch.ids.length;
          options.onEmbedded?.(model.id, batch.ids.length);
        }
        counts.done += batch.ids.length + batch.failures.length;
        report(counts);
        if (sinceSave >= saveEvery) {
          try {
            await engine.saveIndex(model);
          } catch (error) {
            await stop(error, 'the search index could not be saved');
          }
          sinceSave = 0;
        }
      };
      // The workers embed batch k+1 while batch k is written and inserted: before, they waited for each
      // batch's storage and graph insert in turn.
      const { stopped: cancelled } = await runOneAhead(take, store, () => signal.aborted, async (batch) => batch.embedded?.catch(() => undefined));
      await upcoming.catch(() => null); // let a prefetch in flight settle before returning
      try {
        await engine.saveIndex(model);
      } catch (error) {
        await stop(error, 'the search index could not be saved');
      }
      const message = `${counts.imported} embedded, ${counts.failed} failed${cancelled ? ' (stopped)' : ''}`;
      return {
        summary: { model: model.name, modelId: model.id, embedded: counts.imported, failed: counts.failed, total: counts.total, cancelled },
        counts,
        message,
        cancelled,
      };
    } finally {
      releaseCatchUp();
    }
  };
}
