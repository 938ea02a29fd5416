/**
 * Handlers of the model, embedding and search channels (issue 4). Uploaded files arrive as base64 bytes
 * (never a path) and go through the same decoders as an import. With no trained model installed, search
 * answers `unsupported` with a sentence that says so: never a random network presented as working.
 */
import { createHash } from 'node:crypto';
import { createFeedbackService, imageQueryKey } from '../feedback/feedbackService';
import { EngineError } from '../search/searchEngine';
import { modelSummary, SearchError } from '../search/searchService';
import { AppError, asAppError } from './errors';
import type { Services } from './services';
import { decodeUpload } from './uploads';
import type { Handlers } from './types';

type SearchChannels = 'models.list' | 'models.activate' | 'embeddings.status' | 'embeddings.start' | 'search.byImage' | 'search.bySeries' | 'search.byUpload';

/** Domain errors of these channels become contract errors with their sentence. */
const guarded = <T>(run: () => T | Promise<T>) => asAppError([SearchError, EngineError], run);

export function createSearchHandlers(services: Services): Pick<Handlers, SearchChannels> {
  const { catalogue, engine, search } = services;
  // Every list shown is recorded (issue 6) and named by its id; images rejected for the query stay out.
  const feedback = createFeedbackService({ catalogue, index: (model) => engine.index(model), vectors: (model) => engine.vectors(model) });
  const kWithRejected = async (queryKey: string, k: number) => {
    const model = await search.requireModel();
    return k + feedback.rejectedIds(queryKey, model.id).size;
  };
  const embeddingJobFor = (modelId: number): number | null => {
    for (const progress of services.jobs.list(200)) {
      if (progress.kind !== 'embed' || (progress.state !== 'queued' && progress.state !== 'running')) continue;
      const params = catalogue.jobs.get(progress.jobId)?.params as { modelId?: unknown } | undefined;
      if (params?.modelId === modelId) return progress.jobId;
    }
    return null;
  };

  return {
    async 'models.list'() {
      await engine.ready();
      return catalogue.models.list().map((model) => modelSummary(model));
    },
    async 'models.activate'({ id }) {
      await engine.ready();
      if (!catalogue.models.setActive(id)) throw new AppError('not_found', `There is no model ${id}.`);
      const model = catalogue.models.get(id)!;
      // Images the newly active model has not embedded yet get their vectors in the background.
      if (catalogue.embeddings.countMissing(id) > 0) await services.startEmbedding(id);
      return modelSummary(model);
    },
    async 'embeddings.status'() {
      const model = await engine.activeModel();
      if (!model) return { model: null, embedded: 0, total: catalogue.images.countVisible(), jobId: null, backend: engine.backend };
      return {
        model: modelSummary(model),
        embedded: catalogue.embeddings.count(model.id),
        total: catalogue.images.countVisible(),
        jobId: embeddingJobFor(model.id),
        backend: engine.backend,
      };
    },
    async 'embeddings.start'() {
      return guarded(async () => {
        const model = await search.requireModel();
        const jobId = await services.startEmbedding(model.id);
        if (jobId === null) throw new AppError('internal', 'The embedding job could not be queued.');
        return { jobId };
      });
    },
    async 'search.byImage'({ id, k, filters, group, exclude }) {
      return guarded(async () => {
        const queryKey = imageQueryKey(id);
        // The vector is kept with the list: during a re-embedding it may come from no stored embedding.
        const { response, vector } = await search.byImageWithVector(id, await kWithRejected(queryKey, k), filters, { group, exclude });
        return feedback.recordSearch(response, { queryKey, queryVector: vector, k, filters });
      });
    },
    async 'search.bySeries'({ seriesId, k, filters, group, exclude }) {
      return guarded(async () => {
        const queryKey = `series:${seriesId}`;
        const { response, vector } = await search.bySeries(seriesId, await kWithRejected(queryKey, k), filters, { group, exclude });
        return feedback.recordSearch(response, { queryKey, queryVector: vector, k, filters });
      });
    },
    async 'search.byUpload'({ name, data, k, filters, group }) {
      const bytes = decodeUpload(data);
      return guarded(async () => {
        const queryKey = `upload:${createHash('sha256').update(bytes).digest('hex')}`;
        const { response, vector } = await search.byBytesWithVector(name, bytes, await kWithRejected(queryKey, k), filters, { group });
        return feedback.recordSearch(response, { queryKey, queryVector: vector, k, filters });
      });
    },
  };
}
