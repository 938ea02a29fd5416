/**
 * Handlers of the target-class, adaptation and profile channels (issue 5). Interim: every channel
 * answers `unsupported` until the adaptation service is wired.
 */
import { AppError } from './errors';
import type { Services } from './services';
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

const unsupported = async (): Promise<never> => {
  throw new AppError('unsupported', 'Few-shot adaptation is not available in this build yet.');
};

export function createAdaptationHandlers(_services: Services): Pick<Handlers, AdaptationChannels> {
  return {
    'classes.list': unsupported,
    'classes.create': unsupported,
    'classes.rename': unsupported,
    'classes.delete': unsupported,
    'classes.images': unsupported,
    'classes.addImages': unsupported,
    'classes.removeImages': unsupported,
    'classes.addUpload': unsupported,
    'adapt.estimate': unsupported,
    'adapt.start': unsupported,
    'adapt.result': unsupported,
    'profiles.list': unsupported,
    'profiles.activate': unsupported,
    'profiles.revert': unsupported,
  };
}
