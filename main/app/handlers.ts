/**
 * One handler per contract channel. Payloads arrive already validated by the dispatcher; handlers
 * throw AppError (with a contract code) for expected failures. Folders are named by handles only.
 */
import path from 'node:path';
import type { ImageDetail } from '../../shared/rpc/contract';
import { EXPORT_JOB_KIND, previewExport, type ExportJobParams } from '../export/exportJob';
import { SelectionError } from '../export/exportSelection';
import { IMPORT_JOB_KIND, type ImportJobParams } from '../ingest/importJob';
import { DICOMWEB_IMPORT_JOB_KIND, dicomwebJobLabel, parseDicomwebJobParams } from '../sources/dicomweb/importDicomwebJob';
import { redactUrl } from '../sources/dicomweb/source';
import { createArchiveCredentialHandlers } from '../sources/dicomweb/credentialChannels';
import { noSecretStore, type SecretStore } from '../sources/dicomweb/secretStore';
import { TEAM_NOT_CONFIGURED, type TeamBackground } from '../team/teamBackground';
import { AppError } from './errors';
import type { DicomViews } from './dicomViews';
import type { FolderBrowser } from './folderBrowser';
import { createAdaptationServiceFor, type Services } from './services';
import { createAdaptationHandlers } from './adaptationHandlers';
import { createFeedbackHandlers } from './feedbackHandlers';
import { createLibraryHandlers } from './libraryHandlers';
import { createSearchHandlers } from './searchHandlers';
import type { Handlers } from './types';

export interface HandlerDeps {
  services: Services;
  browser: FolderBrowser;
  dicom: DicomViews;
  version: string;
  /** The native folder dialog the shell installed, if any. */
  folderChooser: () => (() => Promise<string | null>) | null;
  /** Background team sync (issue 13); absent: not configured. */
  team?: Pick<TeamBackground, 'status'>;
  /** Where archive credentials from the Add archive form go (default: none, environment only). */
  secrets?: SecretStore;
}

const DEFAULT_FAILURE_LIMIT = 200;

export function createHandlers(deps: HandlerDeps): Handlers {
  const { services, browser } = deps;
  const { catalogue, jobs } = services;
  // One adaptation service for the wizard's channels and for "Refine model" in the feedback panel.
  const adaptation = createAdaptationServiceFor(services);

  return {
    ...createSearchHandlers(services),
    ...createLibraryHandlers(services),
    ...createFeedbackHandlers(services, adaptation),
    ...createAdaptationHandlers(services, adaptation),
    ...createArchiveCredentialHandlers(deps.secrets ?? noSecretStore()),

    async 'app.info'(_request, context) {
      return {
        version: deps.version,
        mode: context.mode,
        home: services.layout.root,
        imageCount: catalogue.images.countVisible(),
        backend: services.engine.backend,
      };
    },

    async 'library.folders'() {
      return catalogue.folders.listWithCounts();
    },

    async 'library.image'({ id }) {
      const image = catalogue.images.get(id);
      const paths = image ? catalogue.paths.listForImage(id) : [];
      const first = paths[0];
      if (!image || !first) throw new AppError('not_found', `There is no image ${id} in the library.`);
      const detail: ImageDetail = {
        id: image.id,
        name: path.basename(first.path),
        folderId: first.folderId,
        width: image.width,
        height: image.height,
        format: image.format,
        hash: image.hash,
        byteSize: image.byteSize,
        paths: paths.map((p) => p.path),
        addedAt: image.addedAt,
        meta: image.meta,
      };
      return detail;
    },

    async 'fs.roots'() {
      return browser.roots();
    },

    async 'fs.browse'({ handle }) {
      return browser.browse(handle);
    },

    async 'import.chooseFolder'() {
      const chooser = deps.folderChooser();
      if (!chooser) throw new AppError('unsupported', 'A native folder dialog is only available in the desktop app; use the folder browser.');
      const chosen = await chooser();
      return chosen ? browser.entryFor(path.resolve(chosen)) : null;
    },

    async 'import.start'({ handle }) {
      const root = browser.resolve(handle);
      const params: ImportJobParams = { root };
      return { jobId: jobs.enqueue(IMPORT_JOB_KIND, root, params) };
    },

    async 'import.addArchive'(request) {
      let params;
      try {
        params = parseDicomwebJobParams(request); // the renderer is untrusted: a credential-free DICOMweb URL, a UID, a date
      } catch (error) {
        throw new AppError('bad_request', redactUrl((error as Error).message));
      }
      return { jobId: jobs.enqueue(DICOMWEB_IMPORT_JOB_KIND, dicomwebJobLabel(params), params) };
    },

    async 'export.preview'({ selection }) {
      try {
        return previewExport(catalogue, selection);
      } catch (error) {
        if (error instanceof SelectionError) throw new AppError('not_found', error.message);
        throw error;
      }
    },

    async 'export.start'({ handle, selection, deidentify, dateShiftDays, includeBurnedIn }) {
      const root = browser.resolve(handle);
      try {
        if (previewExport(catalogue, selection).images === 0) throw new AppError('bad_request', 'There is nothing to export.');
      } catch (error) {
        if (error instanceof SelectionError) throw new AppError('not_found', error.message);
        throw error;
      }
      if (!deidentify && (dateShiftDays !== undefined || includeBurnedIn)) throw new AppError('bad_request', 'Date shift and burned-in options apply only to a de-identified export.');
      const params: ExportJobParams = { root, selection, deidentify, ...(dateShiftDays !== undefined ? { dateShiftDays } : {}), ...(includeBurnedIn ? { includeBurnedIn } : {}) };
      const what = 'all' in selection ? 'the archive' : 'listId' in selection ? `result list ${selection.listId}` : `${selection.imageIds.length} image(s)`;
      return { jobId: jobs.enqueue(EXPORT_JOB_KIND, `Exporting ${what}${deidentify ? ' (de-identified)' : ''} to ${root}`, params) };
    },

    async 'import.failures'({ jobId, limit }) {
      if (!catalogue.jobs.get(jobId)) throw new AppError('not_found', `There is no job ${jobId}.`);
      return catalogue.failures.listForJob(jobId, limit ?? DEFAULT_FAILURE_LIMIT);
    },

    async 'jobs.list'() {
      return jobs.list();
    },

    async 'jobs.cancel'({ jobId }) {
      if (!catalogue.jobs.get(jobId)) throw new AppError('not_found', `There is no job ${jobId}.`);
      return { ok: jobs.cancel(jobId) };
    },

    async 'jobs.pause'({ jobId }) {
      if (!catalogue.jobs.get(jobId)) throw new AppError('not_found', `There is no job ${jobId}.`);
      return { ok: jobs.pause(jobId) };
    },

    async 'jobs.resume'({ jobId }) {
      if (!catalogue.jobs.get(jobId)) throw new AppError('not_found', `There is no job ${jobId}.`);
      return { ok: jobs.resume(jobId) };
    },

    async 'team.status'() {
      return deps.team?.status() ?? TEAM_NOT_CONFIGURED;
    },

    async 'dicom.info'({ id }) {
      return deps.dicom.info(id);
    },

    async 'dicom.render'({ id, frame, window, invert }) {
      return deps.dicom.render(id, frame, window && { ...window, fn: window.fn ?? 'LINEAR' }, invert);
    },
  };
}
