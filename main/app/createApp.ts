/**
 * Composes the back end for a shell: services (home, catalogue, jobs, importer) + handlers for every
 * contract channel + image resolution by id. Jobs an earlier process left running are resumed.
 */
import { createDicomViews } from './dicomViews';
import { createFolderBrowser } from './folderBrowser';
import { createFolderHandles } from './folderHandles';
import { createHandlers } from './handlers';
import { createImageFileResolver } from './imageFiles';
import { openServices, type ServicesOptions } from './services';
import type { SimilaApp } from './types';
import { appVersion } from './version';

export interface CreateAppOptions extends Omit<ServicesOptions, 'resumeJobs'> {
  home?: string;
  mode: 'electron' | 'browser';
  /** Default true: re-queue interrupted jobs on start. */
  resumeJobs?: boolean;
}

export async function createApp(options: CreateAppOptions): Promise<SimilaApp> {
  const services = openServices({ ...options, resumeJobs: options.resumeJobs ?? true });
  const browser = createFolderBrowser(createFolderHandles(), options.env);
  let chooser: (() => Promise<string | null>) | null = null;
  const handlers = createHandlers({ services, browser, version: appVersion(), dicom: createDicomViews(services.catalogue), folderChooser: () => chooser });
  const images = createImageFileResolver({
    catalogue: services.catalogue,
    registry: services.registry,
    thumbnailsDir: services.layout.thumbnails,
    renditionsDir: services.layout.renditions,
  });
  return {
    home: services.layout.root,
    handlers,
    onEvent: (listener) => services.onEvent(listener),
    imageFile: (id, variant) => images.resolve(id, variant),
    setFolderChooser(next) {
      chooser = next;
    },
    close: () => services.close(),
  };
}
