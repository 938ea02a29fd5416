/**
 * Handlers of the target-class, adaptation and profile channels (issue 5). Uploaded files arrive as
 * base64 bytes (never a path); adaptation errors become contract errors with their sentence.
 */
import { AdaptationError } from '../adaptation/adaptableModel';
import { createAdaptationService } from '../adaptation/adaptationService';
import { EngineError } from '../search/searchEngine';
import { AppError } from './errors';
import type { Services } from './services';
import { decodeUpload } from './uploads';
import type { Handlers } from './types';

export type AdaptationChannels =
  | 'classes.list'
  | 'classes.create'
  | 'classes.rename'
  | 'classes.delete'
  | 'classes.images'
  | 'classes.addImages'
  | 'classes.removeImages'
  | 'classes.addUpload'
  | 'adapt.estimate'
  | 'adapt.start'
  | 'adapt.result'
  | 'profiles.list'
  | 'profiles.activate'
  | 'profiles.revert';

async function asAppError<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AdaptationError || error instanceof EngineError) throw new AppError(error.code, error.message);
    throw error;
  }
}

export function createAdaptationHandlers(services: Services): Pick<Handlers, AdaptationChannels> {
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
  return {
    'classes.list': () => asAppError(() => adaptation.listClasses()),
    'classes.create': ({ name }) => asAppError(() => adaptation.createClass(name)),
    'classes.rename': ({ id, name }) => asAppError(() => adaptation.renameClass(id, name)),
    'classes.delete': ({ id }) => asAppError(() => adaptation.deleteClass(id)),
    'classes.images': ({ id, role }) => asAppError(() => adaptation.classImages(id, role)),
    'classes.addImages': ({ id, imageIds, role }) => asAppError(() => adaptation.addImages(id, imageIds, role ?? 'support')),
    'classes.removeImages': ({ id, imageIds }) => asAppError(() => adaptation.removeImages(id, imageIds)),
    'classes.addUpload': ({ id, name, data, role }) => {
      const bytes = decodeUpload(data);
      return asAppError(() => adaptation.addUpload(id, name, bytes, role ?? 'support'));
    },
    'adapt.estimate': ({ classIds, settings }) => asAppError(() => adaptation.estimate(classIds, settings)),
    'adapt.start': ({ classIds, name, settings }) => asAppError(async () => ({ jobId: await adaptation.start(classIds, name, settings) })),
    'adapt.result': ({ jobId }) => asAppError(() => adaptation.result(jobId)),
    'profiles.list': () => asAppError(() => adaptation.listProfiles()),
    'profiles.activate': ({ id }) => asAppError(() => adaptation.activate(id)),
    'profiles.revert': ({ id }) => asAppError(() => adaptation.revert(id)),
  };
}
