/**
 * Handlers of the relevance-feedback channels (issue 6): judgements, precision and rounds of a recorded
 * result list, re-ranking with the judgements, export. "Refine model" needs the few-shot adaptation
 * engine; until it is wired the channel answers `unsupported` with a sentence that says so.
 */
import { createFeedbackService, FeedbackError } from '../feedback/feedbackService';
import { AppError } from './errors';
import type { Services } from './services';
import type { Handlers } from './types';

type FeedbackChannels = 'feedback.judge' | 'feedback.clear' | 'feedback.state' | 'feedback.rerank' | 'feedback.refineModel' | 'feedback.export';

async function asAppError<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FeedbackError) throw new AppError(error.code, error.message);
    throw error;
  }
}

export function createFeedbackHandlers(services: Services): Pick<Handlers, FeedbackChannels> {
  const feedback = createFeedbackService({ catalogue: services.catalogue, index: (model) => services.engine.index(model) });
  return {
    'feedback.judge': ({ listId, imageIds, judgement }) => asAppError(() => feedback.judge(listId, imageIds, judgement)),
    'feedback.clear': ({ listId, imageIds }) => asAppError(() => feedback.clear(listId, imageIds)),
    'feedback.state': ({ listId }) => asAppError(() => feedback.state(listId)),
    'feedback.rerank': ({ listId, k }) => asAppError(() => feedback.rerank(listId, k)),
    'feedback.refineModel': ({ listId }) =>
      asAppError(() => {
        feedback.list(listId); // an unknown list is not_found before anything else
        throw new AppError('unsupported', 'Refining the model from judgements needs the few-shot adaptation engine, which this build does not have yet; re-rank instead.');
      }),
    'feedback.export': ({ queryKey, format }) => asAppError(() => feedback.exportText(format, queryKey)),
  };
}
