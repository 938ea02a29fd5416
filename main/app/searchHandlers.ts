/**
 * Handlers of the model, embedding and search channels (issue 4). Until the embedding engine is wired in,
 * every channel answers with a clear `unsupported` error instead of pretending to search.
 */
import { AppError } from './errors';
import type { Handlers } from './types';

type SearchChannels = 'models.list' | 'models.activate' | 'embeddings.status' | 'embeddings.start' | 'search.byImage' | 'search.byUpload';

const notYet = (): never => {
  throw new AppError('unsupported', 'Search by example needs the embedding engine, which is not installed in this build yet.');
};

export function createSearchHandlers(): Pick<Handlers, SearchChannels> {
  return {
    'models.list': async () => [],
    'models.activate': async () => notYet(),
    'embeddings.status': async () => ({ model: null, embedded: 0, total: 0, jobId: null, backend: null }),
    'embeddings.start': async () => notYet(),
    'search.byImage': async () => notYet(),
    'search.byUpload': async () => notYet(),
  };
}
