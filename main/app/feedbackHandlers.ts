/**
 * Handlers of the relevance-feedback channels (issue 6): judgements, precision and rounds of a recorded
 * result list, re-ranking with the judgements, export. "Refine model" adapts the active profile to
 * the query's judgements (a target class per query) and activates the result when the job ends.
 */
import { AdaptationError } from '../adaptation/adaptableModel';
import type { AdaptationService } from '../adaptation/adaptationService';
import { createFeedbackService, FeedbackError } from '../feedback/feedbackService';
import { EngineError } from '../search/searchEngine';
import { AppError, asAppError } from './errors';
import type { Services } from './services';
import type { Handlers } from './types';

type FeedbackChannels = 'feedback.judge' | 'feedback.clear' | 'feedback.state' | 'feedback.rerank' | 'feedback.refineModel' | 'feedback.export';

/** Domain errors of these channels become contract errors with their sentence. */
const guarded = <T>(run: () => T | Promise<T>) => asAppError([FeedbackError, AdaptationError, EngineError], run);

export function createFeedbackHandlers(services: Services, adaptation: AdaptationService): Pick<Handlers, FeedbackChannels> {
  const feedback = createFeedbackService({
    catalogue: services.catalogue,
    index: (model) => services.engine.index(model),
    vectors: (model) => services.engine.vectors(model),
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
    'feedback.judge': ({ listId, imageIds, judgement }) => guarded(() => feedback.judge(listId, imageIds, judgement)),
    'feedback.clear': ({ listId, imageIds }) => guarded(() => feedback.clear(listId, imageIds)),
    'feedback.state': ({ listId }) => guarded(() => feedback.state(listId)),
    'feedback.rerank': ({ listId, k }) => guarded(() => feedback.rerank(listId, k)),
    // The job id answers at once; activation of the refined profile follows when the job ends (see the service).
    'feedback.refineModel': ({ listId }) => guarded(async () => ({ jobId: (await feedback.refineModel(listId)).jobId })),
    'feedback.export': ({ queryKey, format }) => guarded(() => feedback.exportText(format, queryKey)),
  };
}
