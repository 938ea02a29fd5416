/**
 * Handlers of the target-class, adaptation and profile channels (issue 5). Uploaded files arrive as
 * base64 bytes (never a path); adaptation errors become contract errors with their sentence.
 */
import { AdaptationError } from '../adaptation/adaptableModel';
import type { AdaptationService } from '../adaptation/adaptationService';
import { EngineError } from '../search/searchEngine';
import { AppError, asAppError } from './errors';
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

/** Domain errors of these channels become contract errors with their sentence. */
const guarded = <T>(run: () => T | Promise<T>) => asAppError([AdaptationError, EngineError], run);

export function createAdaptationHandlers(services: Services, adaptation: AdaptationService): Pick<Handlers, AdaptationChannels> {
  return {
    'classes.list': () => guarded(() => adaptation.listClasses()),
    'classes.create': ({ name }) => guarded(() => adaptation.createClass(name)),
    'classes.rename': ({ id, name }) => guarded(() => adaptation.renameClass(id, name)),
    'classes.delete': ({ id }) => guarded(() => adaptation.deleteClass(id)),
    'classes.images': ({ id, role }) => guarded(() => adaptation.classImages(id, role)),
    'classes.addImages': ({ id, imageIds, role }) => guarded(() => adaptation.addImages(id, imageIds, role ?? 'support')),
    'classes.removeImages': ({ id, imageIds }) => guarded(() => adaptation.removeImages(id, imageIds)),
    'classes.addUpload': ({ id, name, data, role }) => {
      const bytes = decodeUpload(data);
      return guarded(() => adaptation.addUpload(id, name, bytes, role ?? 'support'));
    },
    'adapt.estimate': ({ classIds, settings }) => guarded(() => adaptation.estimate(classIds, settings)),
    'adapt.start': ({ classIds, name, settings }) => guarded(async () => ({ jobId: await adaptation.start(classIds, name, settings) })),
    'adapt.result': ({ jobId }) => guarded(() => adaptation.result(jobId)),
    'profiles.list': () => guarded(() => adaptation.listProfiles()),
    'profiles.activate': ({ id }) => guarded(() => adaptation.activate(id)),
    'profiles.revert': ({ id }) => guarded(() => adaptation.revert(id)),
  };
}
