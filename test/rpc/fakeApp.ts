/**
 * A small in-memory SimilaApp for transport tests: real contract shapes, a few images backed by
 * files the test writes, and an `emit` to push events through whatever transport is under test.
 */
import type { EventName, EventOf } from '../../shared/rpc/contract';
import type { EventListener, Handlers, ImageFile, SimilaApp } from '../../main/app/types';

export interface FakeApp extends SimilaApp {
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
  /** Lets a test replace one handler (e.g. to make it throw). */
  handlers: Handlers;
  listenerCount(): number;
  closed: boolean;
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export function createFakeApp(images: Record<number, ImageFile> = {}): FakeApp {
  const listeners = new Set<EventListener>();
  let chooser: (() => Promise<string | null>) | null = null;
  const handlers: Handlers = {
    'app.info': async (_request, context) => ({
      version: '0.0.0-test',
      mode: context.mode,
      home: '/tmp/fake-home',
      imageCount: Object.keys(images).length,
      backend: null,
    }),
    'library.folders': async () => [{ id: 1, path: '/pictures', imageCount: Object.keys(images).length }],
    'library.page': async ({ offset, limit }) => {
      const ids = Object.keys(images).map(Number).slice(offset, offset + limit);
      return {
        total: Object.keys(images).length,
        items: ids.map((id) => ({ id, name: `image-${id}.png`, folderId: 1, width: 2, height: 2, format: 'png' })),
      };
    },
    'library.image': async ({ id }) => {
      if (!images[id]) throw codedError('not_found', `No image has id ${id}.`);
      return {
        id, name: `image-${id}.png`, folderId: 1, width: 2, height: 2, format: 'png',
        hash: 'ab'.repeat(32), byteSize: 10, paths: [images[id].path], addedAt: '2026-01-01T00:00:00Z', meta: {},
      };
    },
    'fs.roots': async () => [],
    'fs.browse': async () => {
      throw codedError('not_found', 'That folder handle is unknown.');
    },
    'import.chooseFolder': async () => {
      if (!chooser) throw codedError('unsupported', 'There is no native folder dialog in browser mode.');
      const chosen = await chooser();
      return chosen === null ? null : { handle: 'h1', name: 'chosen', display: chosen };
    },
    'import.start': async () => ({ jobId: 7 }),
    'import.addArchive': async () => ({ jobId: 8 }),
    'import.archiveCredentials': async () => ({ supported: false, message: 'environment only', saved: false }),
    'import.setArchiveCredentials': async () => {
      throw codedError('unsupported', 'environment only');
    },
    'import.forgetArchiveCredentials': async () => ({ supported: false, message: 'environment only', saved: false }),
    'import.failures': async () => [],
    'jobs.list': async () => [],
    'jobs.cancel': async () => ({ ok: true }),
    'jobs.pause': async () => ({ ok: true }),
    'jobs.resume': async () => ({ ok: true }),
    'dicom.info': async ({ id }) => {
      throw codedError('not_found', `No DICOM image has id ${id}.`);
    },
    'dicom.render': async ({ id }) => {
      throw codedError('not_found', `No DICOM image has id ${id}.`);
    },
    'models.list': async () => [],
    'models.activate': async ({ id }) => {
      throw codedError('not_found', `No model has id ${id}.`);
    },
    'embeddings.status': async () => ({ model: null, embedded: 0, total: 0, jobId: null, backend: null }),
    'embeddings.start': async () => {
      throw codedError('unsupported', 'No model to embed with.');
    },
    'search.byImage': async ({ id }) => {
      throw codedError('not_found', `No image has id ${id}.`);
    },
    'search.byUpload': async () => {
      throw codedError('unsupported', 'No model to search with.');
    },
    'search.bySeries': async ({ seriesId }) => {
      throw codedError('not_found', `No series has id ${seriesId}.`);
    },
    'library.facets': async () => ({
      total: Object.keys(images).length,
      matching: Object.keys(images).length,
      fields: { modality: [], bodyPart: [], seriesDescription: [], folder: [], format: [] },
      studyDates: null,
    }),
    'library.tree': async () => ({ patients: [] }),
    'export.preview': async () => ({ images: 0, dicom: 0, notDicom: 0, flaggedBurnedIn: 0 }),
    'export.start': async () => {
      throw codedError('not_found', 'That folder is not known.');
    },
    'library.series': async ({ seriesId }) => {
      throw codedError('not_found', `No series has id ${seriesId}.`);
    },
    'feedback.judge': async ({ listId }) => {
      throw codedError('not_found', `No result list has id ${listId}.`);
    },
    'feedback.clear': async ({ listId }) => {
      throw codedError('not_found', `No result list has id ${listId}.`);
    },
    'feedback.state': async ({ listId }) => {
      throw codedError('not_found', `No result list has id ${listId}.`);
    },
    'feedback.rerank': async ({ listId }) => {
      throw codedError('not_found', `No result list has id ${listId}.`);
    },
    'feedback.refineModel': async () => {
      throw codedError('unsupported', 'No model to refine.');
    },
    'feedback.export': async ({ format }) => ({ format, fileName: `feedback.${format}`, text: '' }),
    'classes.list': async () => [],
    'classes.create': async () => {
      throw codedError('unsupported', 'No classes in the fake app.');
    },
    'classes.rename': async ({ id }) => {
      throw codedError('not_found', `No class has id ${id}.`);
    },
    'classes.delete': async () => ({ ok: false }),
    'classes.images': async ({ id }) => {
      throw codedError('not_found', `No class has id ${id}.`);
    },
    'classes.addImages': async ({ id }) => {
      throw codedError('not_found', `No class has id ${id}.`);
    },
    'classes.removeImages': async ({ id }) => {
      throw codedError('not_found', `No class has id ${id}.`);
    },
    'classes.addUpload': async ({ id }) => {
      throw codedError('not_found', `No class has id ${id}.`);
    },
    'adapt.estimate': async () => {
      throw codedError('unsupported', 'No adaptation in the fake app.');
    },
    'adapt.start': async () => {
      throw codedError('unsupported', 'No adaptation in the fake app.');
    },
    'adapt.result': async ({ jobId }) => {
      throw codedError('not_found', `No adaptation job ${jobId}.`);
    },
    'profiles.list': async () => [],
    'profiles.activate': async ({ id }) => {
      throw codedError('not_found', `No profile has id ${id}.`);
    },
    'profiles.revert': async () => {
      throw codedError('unsupported', 'No profile to revert.');
    },
    'team.status': async () => ({ configured: false, lastSyncAt: null, lastError: null, pulled: null, pushed: null, running: false }),
  };
  const app: FakeApp = {
    home: '/tmp/fake-home',
    handlers,
    closed: false,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event, payload) {
      for (const listener of listeners) listener(event, payload);
    },
    listenerCount: () => listeners.size,
    async imageFile(id, _variant) {
      return images[id] ?? null;
    },
    setFolderChooser(next) {
      chooser = next;
    },
    async close() {
      app.closed = true;
    },
  };
  return app;
}
