/**
 * Handlers of the relevance-feedback channels (issue 6). Interim: every channel answers `unsupported`
 * until the feedback service is wired.
 */
import { AppError } from './errors';
import type { Services } from './services';
import type { Handlers } from './types';

type FeedbackChannels = 'feedback.judge' | 'feedback.clear' | 'feedback.state' | 'feedback.rerank' | 'feedback.refineModel' | 'feedback.export';

const notYet = async (): Promise<never> => {
  throw new AppError('unsupported', 'Relevance feedback is not available in this build yet.');
};

export function createFeedbackHandlers(_services: Services): Pick<Handlers, FeedbackChannels> {
  return {
    'feedback.judge': notYet,
    'feedback.clear': notYet,
    'feedback.state': notYet,
    'feedback.rerank': notYet,
    'feedback.refineModel': notYet,
    'feedback.export': notYet,
  };
}
