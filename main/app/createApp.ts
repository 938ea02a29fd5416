/**
 * Composes the back end for a shell: services (home, catalogue, jobs, importer) + handlers for every
 * contract channel + image resolution by id. Jobs an earlier process left running are resumed.
 */
import { prepareHome, requireWritableHome } from '../home/dataHome';
import { acquireInstanceLock } from '../home/instanceLock';
import { startTeamBackground, type TeamBackgroundOptions } from '../team/teamBackground';
import { credentialsLookup } from '../sources/dicomweb/credentialChannels';
import { noSecretStore, type SecretStore } from '../sources/dicomweb/secretStore';
import { createDicomViews } from './dicomViews';
import { createFolderBrowser } from './folderBrowser';
import { createFolderHandles } from './folderHandles';
import { createHandlers } from './handlers';
import { createImageFileResolver } from './imageFiles';
import { openServices, type Services, type ServicesOptions } from './services';
import type { SimilaApp } from './types';
import { appVersion } from './version';
import { IMPORT_JOB_KIND } from '../ingest/importJob';
import { DICOMWEB_IMPORT_JOB_KIND } from '../sources/dicomweb/importDicomwebJob';

export interface CreateAppOptions extends Omit<ServicesOptions, 'resumeJobs'> {
  home?: string;
  mode: 'electron' | 'browser';
  /** Default true: re-queue interrupted jobs on start. */
  resumeJobs?: boolean;
  /**
   * Queue an embedding job after each import that added images. The shells turn it on; the default is
   * off so that tests of other features see only the jobs they start.
   */
  autoEmbed?: boolean;
  /**
   * Milliseconds after start at which the embedding worker starts in the background when the library has
   * images and a model is active (so app.info names the backend early); default null: on first use only.
   * The shells pass e.g. 1500.
   */
  warmUpEngineAfterMs?: number | null;
  /**
   * Where the Add archive form's credentials are kept, given the data home: the desktop app passes its
   * safeStorage-encrypted file store; default (browser mode): none, credentials come from the environment.
   */
  secretStore?: (home: string) => SecretStore;
  /** How often to look for images another process (e.g. `simila import` in a terminal) added; default 2 s. */
  externalChangePollMs?: number;
  /**
   * Background sync with a team store (issue 13): the URL (default $SIMILA_TEAM_URL, else the home's
   * setting; null: never) and its timing (default every 60 s and a few seconds after a local change).
   */
  team?: TeamBackgroundOptions;
}

export async function createApp(options: CreateAppOptions): Promise<SimilaApp> {
  const layout = prepareHome({ home: options.home, env: options.env });
  requireWritableHome(layout); // the app writes jobs, marks and its lock: a read-only home gets a sentence, not EROFS
  // A second app on one home is refused (terminal commands share it through SQLite instead).
  const lock = acquireInstanceLock(layout.root);
  let services: Services;
  const secrets = options.secretStore?.(layout.root) ?? noSecretStore();
  try {
    services = openServices({
      ...options,
      home: layout.root,
      resumeJobs: options.resumeJobs ?? true,
      autoEmbed: options.autoEmbed ?? false,
      // An archive's saved credentials first, else the environment's.
      dicomwebCredentials: options.dicomwebCredentials ?? credentialsLookup(secrets),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const warmUp = warmUpEngine(services, options.warmUpEngineAfterMs ?? null, options.autoEmbed ?? false);
  const browser = createFolderBrowser(createFolderHandles(), options.env);
  let chooser: (() => Promise<string | null>) | null = null;
  const team = startTeamBackground(services, { env: options.env, ...options.team });
  const handlers = createHandlers({ services, browser, version: appVersion(), dicom: createDicomViews(services.catalogue), folderChooser: () => chooser, team, secrets });
  const images = createImageFileResolver({
    catalogue: services.catalogue,
    registry: services.registry,
    thumbnailsDir: services.layout.thumbnails,
    renditionsDir: services.layout.renditions,
  });
  const watcher = watchOtherProcesses(services, options.externalChangePollMs ?? 2000);
  return {
    home: services.layout.root,
    handlers,
    onEvent: (listener) => services.onEvent(listener),
    imageFile: (id, variant) => images.resolve(id, variant),
    setFolderChooser(next) {
      chooser = next;
    },
    close: async () => {
      watcher.stop();
      await team.close();
      await warmUp.cancel();
      await services.close();
      lock.release();
    },
  };
}

/**
 * Installs the shipped model at once (a small copy) and starts the embedding worker a moment after
 * start-up, off the path that opens the window; an empty library waits for its first search instead.
 */
function warmUpEngine(services: Services, afterMs: number | null, autoEmbed: boolean): { cancel(): Promise<void> } {
  let cancelled = false;
  const installed = services.engine.ready().then(async () => {
    // A newly installed default (or images imported while no model was active) still needs vectors.
    const model = cancelled ? null : await services.engine.activeModel();
    if (!cancelled && autoEmbed && model && services.catalogue.embeddings.countMissing(model.id) > 0) await services.startEmbedding(model.id);
  });
  installed.catch((error: unknown) => {
    if (!cancelled) console.error('[simila] the embedding job could not be queued', error);
  });
  // Closing waits for the install to settle, so it never runs on a closed catalogue.
  const settled = () => installed.then(
    () => undefined,
    () => undefined,
  );
  if (afterMs === null) {
    return {
      cancel: () => {
        cancelled = true;
        return settled();
      },
    };
  }
  const timer = setTimeout(() => {
    installed
      .then(() => services.engine.activeModel())
      .then((model) => (model && services.catalogue.images.countVisible() > 0 ? services.engine.embedder(model) : null))
      .catch((error: unknown) => console.error('[simila] the embedding engine did not start', error));
  }, afterMs);
  timer.unref();
  return {
    cancel: () => {
      cancelled = true;
      clearTimeout(timer);
      return settled();
    },
  };
}

/** Job kinds that add images (and announce them themselves). */
const IMPORT_KINDS = new Set<string>([IMPORT_JOB_KIND, DICOMWEB_IMPORT_JOB_KIND]);

/**
 * Images another process added or removed on this home (a terminal import while the app serves) reach
 * the open views: the image-paths change counter (bumped by trigger from any connection) is polled, and
 * a move this process did not announce itself becomes a 'library.changed' event.
 */
function watchOtherProcesses(services: Services, everyMs: number): { stop(): void } {
  const counter = services.catalogue.db.prepare<[], number>("SELECT value FROM change_counters WHERE name = 'image_paths'").pluck();
  let seen = counter.get() ?? 0;
  let visible = services.catalogue.images.countVisible();
  // Imports of this process announce their images themselves, in batches: a poll between an image's
  // insert and its batch's announcement would announce it twice. Polls wait until they have ended.
  const importsHere = new Set<number>();
  const stopListening = services.onEvent((event, payload) => {
    if (event === 'job.progress' && 'kind' in payload && IMPORT_KINDS.has(payload.kind)) {
      if (payload.state === 'running' || payload.state === 'queued') importsHere.add(payload.jobId);
      else importsHere.delete(payload.jobId);
      return;
    }
    if (event !== 'library.changed') return;
    seen = counter.get() ?? seen; // our own import announced it
    visible = services.catalogue.images.countVisible();
  });
  const timer = setInterval(() => {
    try {
      if (importsHere.size > 0) return;
      const now = counter.get() ?? 0;
      if (now === seen) return;
      seen = now;
      const count = services.catalogue.images.countVisible();
      const added = Math.max(0, count - visible);
      visible = count;
      services.emit('library.changed', { added, folderIds: [] });
    } catch (error) {
      console.error('[simila] could not look for changes made by other processes', error);
    }
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      stopListening();
    },
  };
}
