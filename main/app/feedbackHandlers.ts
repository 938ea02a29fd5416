/**
 * Handlers of the relevance-feedback channels (issue 6): judgements, precision and rounds of a recorded
 * result list, re-ranking with the judgements, export. "Refine model" adapts the active profile to
 * the query's judgements (a target class per query) and activates the result when the job ends.
 */
import { AdaptationError } from '../adaptation/adaptableModel';
import { createAdaptationService } from '../adaptation/adaptationService';
import { createFeedbackService, FeedbackError } from '../feedback/feedbackService';
import { EngineError } from '../search/searchEngine';
import { AppError } from './errors';
import type { Services } from './services';
import type { Handlers } from './types';

type FeedbackChannels = 'feedback.judge' | 'feedback.clear' | 'feedback.state' | 'feedback.rerank' | 'feedback.refineModel' | 'feedback.export';

async function asAppError<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FeedbackError || error instanceof AdaptationError || error instanceof EngineError) throw new AppError(error.code, error.message);
    throw error;
  }
}

export function createFeedbackHandlers(services: Services): Pick<Handlers, FeedbackChannels> {
  const adaptation = createAdaptationService({
    catalogue: services.catalogue,
    engine: services.engine,
    jobs: services.jobs,
    registry: services.registry,
    homeDir: services.layout.root,
    thumbnailsDir: services.layout.thumbnails,
    curves: services.adaptCurves,
    startEmbedding: (modelId) => services.startEmbedding(modelId),
  });
  const feedback = createFeedbackService({
    catalogue: services.catalogue,
    index: (model) => services.engine.index(model),
    refine: {
      activeModel: () => services.engine.activeModel(),
      findClass: (name) => adaptation.listClasses().find((c) => c.name.toLowerCase() === name.toLowerCase()),
      createClass: (name) => adaptation.createClass(name),
      start: (classIds, name, settings) => adaptation.start(classIds, name, settings),
      waitFor: (jobId) => services.jobs.waitFor(jobId),
      activate: (modelId) => adaptation.activate(modelId),
    },
  });
  return {
    'feedback.judge': ({ listId, imageIds, judgement }) => asAppError(() => feedback.judge(listId, imageIds, judgement)),
    'feedback.clear': ({ listId, imageIds }) => asAppError(() => feedback.clear(listId, imageIds)),
    'feedback.state': ({ listId }) => asAppError(() => feedback.state(listId)),
    'feedback.rerank': ({ listId, k }) => asAppError(() => feedback.rerank(listId, k)),
    // The job id answers at once; activation of the refined profile follows when the job ends (see the service).
    'feedback.refineModel': ({ listId }) => asAppError(async () => ({ jobId: (await feedback.refineModel(listId)).jobId })),
    'feedback.export': ({ queryKey, format }) => asAppError(() => feedback.exportText(format, queryKey)),
  };
}
