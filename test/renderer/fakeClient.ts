/**
 * An in-memory SimilaClient for component tests: a library of `count` images, a small folder tree
 * behind opaque handles, and recorded calls. Events can be emitted by the test.
 */
import type {
  ChannelName,
  EventName,
  EventOf,
  FolderEntry,
  ImageSummary,
  JobProgress,
  ModelSummary,
  RequestOf,
  ResponseOf,
  SearchFilters,
  SearchResponse,
} from '@shared/rpc/contract';
import { RpcCallError } from '../../renderer/src/rpc/types';
import type { SimilaClient } from '../../renderer/src/rpc/types';
import { createFakeFeedback } from './fakeFeedback';
import type { FakeFeedback } from './fakeFeedback';
import { createFakeAdaptation } from './fakeAdaptation';
import type { FakeAdaptation } from './fakeAdaptation';
import { fakeFacets, fakeSeriesAnswer, fakeTree, seriesOfImage } from './fakeSeries';

export interface FakeClient extends SimilaClient {
  calls: Array<{ channel: ChannelName; request: unknown }>;
  callsTo(channel: ChannelName): unknown[];
  emit<E extends EventName>(event: E, payload: EventOf<E>): void;
  setCount(count: number): void;
  override<C extends ChannelName>(channel: C, handler: (request: RequestOf<C>) => Promise<ResponseOf<C>>): void;
  /** The fake relevance-feedback back end behind the feedback.* channels (searches are recorded lists). */
  feedback: FakeFeedback;
  /** The fake classes / adaptation / profiles back end (the test emits adapt.progress and finishes runs). */
  adaptation: FakeAdaptation;
}

export function summary(index: number): ImageSummary {
  // Ids differ from positions so tests catch index/id mix-ups.
  return { id: 1000 + index * 7, name: `img_${index}.jpg`, folderId: index % 2, width: 640, height: 480, format: 'jpeg' };
}

/** A CT-like multi-frame DICOM image: HU range of 4000, one header preset. */
export function dicomInfo(id: number, frames = 3): ResponseOf<'dicom.info'> {
  return {
    id,
    frames,
    rows: 512,
    columns: 512,
    monochrome: true,
    invert: false,
    photometric: 'MONOCHROME2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    transferSyntaxName: 'Explicit VR Little Endian',
    bitsAllocated: 16,
    bitsStored: 12,
    rescaleSlope: 1,
    rescaleIntercept: -1024,
    valueRange: { min: -1024, max: 2976 },
    presets: [{ center: 40, width: 400, fn: 'LINEAR', explanation: 'HEADER' }],
    hasVoiLut: false,
    tags: { Modality: 'CT', 'Body part': 'CHEST', 'Series UID': '1.2.3', 'Transfer syntax': 'Explicit VR Little Endian' },
  };
}

export const fakeModel: ModelSummary = {
  id: 3,
  name: 'stage1-conv4',
  stage: 'pretrain',
  embeddingDim: 64,
  inputSize: 48,
  active: true,
  parentId: null,
  createdAt: '2026-01-01T00:00:00Z',
};

/**
 * A fake ranking: images around position `queryIndex`, nearest first, distance growing with the gap
 * (so tests can check the order the UI shows), honouring k and the folder filter.
 */
export function fakeSearch(
  queryIndex: number,
  query: SearchResponse['query'],
  k: number,
  filters: SearchFilters | undefined,
  count: number,
  embedded: number,
): SearchResponse {
  const candidates = Array.from({ length: Math.min(count, embedded) }, (_, i) => i).filter(
    (i) => filters?.folderId === undefined || filters.folderId === null || summary(i).folderId === filters.folderId,
  );
  const ranked = candidates
    .map((i) => ({ image: summary(i), distance: Math.abs(i - queryIndex) * 0.05 + (i > queryIndex ? 0.01 : 0) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
  return { model: fakeModel, query, hits: ranked, embedded: Math.min(count, embedded), total: count, tookMs: 3.2 };
}

/** Fake grouped search: hits carry their series; one per series when grouped; the query's series left out. */
function groupHits(
  response: SearchResponse,
  group: 'none' | 'series' | undefined,
  exclude: 'none' | 'series' | 'study' | undefined,
  querySeries: number | null,
): SearchResponse {
  const seen = new Map<number, { image: ImageSummary; distance: number; seriesId: number | null; seriesHits?: number }>();
  const hits: SearchResponse['hits'] = [];
  for (const hit of response.hits) {
    const seriesId = seriesOfImage(hit.image.id);
    if (exclude === 'series' && seriesId !== null && seriesId === querySeries) continue;
    if (group === 'series' && seriesId !== null) {
      const first = seen.get(seriesId);
      if (first) {
        first.seriesHits = (first.seriesHits ?? 1) + 1;
        continue;
      }
      const entry = { ...hit, seriesId, seriesHits: 1 };
      seen.set(seriesId, entry);
      hits.push(entry);
    } else hits.push({ ...hit, seriesId });
  }
  return { ...response, hits, grouping: { group: group ?? 'none', exclude: exclude ?? 'none' } };
}

const tree: Record<string, { folder: FolderEntry; parent: string | null; children: string[] }> = {
  'h-root': { folder: { handle: 'h-root', name: 'data', display: '/data' }, parent: null, children: ['h-cats', 'h-dogs'] },
  'h-cats': { folder: { handle: 'h-cats', name: 'cats', display: '/data/cats' }, parent: 'h-root', children: ['h-tabby'] },
  'h-tabby': { folder: { handle: 'h-tabby', name: 'tabby', display: '/data/cats/tabby' }, parent: 'h-cats', children: [] },
  'h-dogs': { folder: { handle: 'h-dogs', name: 'dogs', display: '/data/dogs' }, parent: 'h-root', children: [] },
};

export function createFakeClient(options: { count?: number; mode?: 'electron' | 'browser'; embedded?: number } = {}): FakeClient {
  let count = options.count ?? 100;
  const savedCredentials = new Set<string>();
  const embedded = () => options.embedded ?? count;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const calls: FakeClient['calls'] = [];
  const feedback = createFakeFeedback();
  const adaptation = createFakeAdaptation((id) => summary((id - 1000) / 7));

  const handlers: { [C in ChannelName]?: (request: RequestOf<C>) => Promise<ResponseOf<C>> } = {
    'app.info': async () => ({ version: '0.1.0', mode: options.mode ?? 'browser', home: '/home', imageCount: count, backend: null }),
    'library.folders': async () => [
      { id: 0, path: '/data/even', imageCount: Math.ceil(count / 2) },
      { id: 1, path: '/data/odd', imageCount: Math.floor(count / 2) },
    ],
    'library.page': async ({ offset, limit }) => ({
      total: count,
      items: Array.from({ length: Math.max(0, Math.min(limit, count - offset)) }, (_, i) => summary(offset + i)),
    }),
    'library.facets': async ({ filters }) => fakeFacets(filters),
    'library.tree': async ({ filters }) => ({ patients: fakeTree(filters) }),
    'library.series': async ({ seriesId }) => {
      const answer = fakeSeriesAnswer(seriesId);
      if (!answer) throw new RpcCallError('not_found', `There is no series ${seriesId} in the library.`);
      return answer;
    },
    'library.image': async ({ id }) => {
      const index = (id - 1000) / 7;
      return { ...summary(index), hash: 'ab'.repeat(32), byteSize: 12_345, paths: [`/data/img_${index}.jpg`], addedAt: '2026-01-01', meta: {} };
    },
    'fs.roots': async () => [tree['h-root']!.folder],
    'fs.browse': async ({ handle }) => {
      const node = tree[handle];
      if (!node) throw new RpcCallError('not_found', 'That folder is no longer available.');
      return {
        folder: node.folder,
        parent: node.parent ? tree[node.parent]!.folder : null,
        entries: node.children.map((c) => tree[c]!.folder),
      };
    },
    'import.chooseFolder': async () => tree['h-dogs']!.folder,
    'import.start': async () => ({ jobId: 7 }),
    'import.addArchive': async () => ({ jobId: 8 }),
    // The desktop app keeps credentials (saved only for what was set here); browser mode takes them from the environment.
    'import.archiveCredentials': async ({ url }) =>
      (options.mode ?? 'browser') === 'browser'
        ? { supported: false, message: 'Credentials come from the environment (SIMILA_DICOMWEB_TOKEN, or SIMILA_DICOMWEB_USER and SIMILA_DICOMWEB_PASSWORD).', saved: false }
        : { supported: true, message: null, saved: url !== undefined && savedCredentials.has(url) },
    'import.setArchiveCredentials': async ({ url }) => {
      savedCredentials.add(url);
      return { supported: true, message: null, saved: true };
    },
    'import.forgetArchiveCredentials': async ({ url }) => {
      savedCredentials.delete(url);
      return { supported: true, message: null, saved: false };
    },
    'import.failures': async () => [{ path: '/data/dogs/broken.jpg', code: 'decode_error', message: 'The file is truncated.' }],
    // Export: every image is DICOM except 2 of "everything"; a recorded list counts 10; nothing flagged.
    'export.preview': async ({ selection }) => {
      if ('all' in selection) return { images: count, dicom: Math.max(0, count - 2), notDicom: Math.min(2, count), flaggedBurnedIn: 0 };
      if ('listId' in selection) return { images: 10, dicom: 10, notDicom: 0, flaggedBurnedIn: 0 };
      return { images: selection.imageIds.length, dicom: selection.imageIds.length, notDicom: 0, flaggedBurnedIn: 0 };
    },
    'export.start': async () => ({ jobId: 31 }),
    'jobs.list': async () => [],
    'jobs.cancel': async () => ({ ok: true }),
    'jobs.pause': async () => ({ ok: true }),
    'jobs.resume': async () => ({ ok: true }),
    'dicom.info': async ({ id }) => dicomInfo(id),
    // Echoes the request in the 'PNG' so tests can see which window/frame/invert a render used.
    'dicom.render': async ({ id, frame, window, invert }) => {
      const applied = window ? { center: window.center, width: window.width, fn: window.fn ?? 'LINEAR' } : { center: 40, width: 400, fn: 'LINEAR' as const };
      return {
        frame,
        width: 512,
        height: 512,
        png: `data:image/png;base64,${id}-${frame}-${applied.width}-${applied.center}-${invert ? 'inv' : 'pos'}`,
        window: applied,
        valueRange: { min: -1024, max: 2976 },
      };
    },
    'models.list': async () => [fakeModel],
    'models.activate': async () => fakeModel,
    'embeddings.status': async () => ({ model: fakeModel, embedded: embedded(), total: count, jobId: null, backend: 'wasm' }),
    'embeddings.start': async () => ({ jobId: 21 }),
    'search.byImage': async ({ id, k, filters, group, exclude }) => {
      const index = (id - 1000) / 7;
      if (!Number.isInteger(index) || index < 0 || index >= count) throw new RpcCallError('not_found', 'That image is not in the catalogue.');
      const ranked = fakeSearch(index, { imageId: id, name: summary(index).name }, k, filters, count, embedded());
      return feedback.record(group || exclude ? groupHits(ranked, group, exclude, seriesOfImage(id)) : ranked, `image:${id}`, k);
    },
    'search.bySeries': async ({ seriesId, k, filters, group, exclude }) => {
      const answer = fakeSeriesAnswer(seriesId);
      if (!answer) throw new RpcCallError('not_found', `There is no series ${seriesId} in the library.`);
      const first = (answer.instances[0]!.imageId - 1000) / 7;
      const ranked = fakeSearch(first, { imageId: null, name: answer.series.label, seriesId }, k, filters, count, embedded());
      return feedback.record(groupHits(ranked, group, exclude, seriesId), `series:${seriesId}`, k);
    },
    'search.byUpload': async ({ name, k, filters }) =>
      feedback.record(fakeSearch(0, { imageId: null, name }, k, filters, count, embedded()), `upload:${'0'.repeat(64)}`, k),
    'feedback.judge': (request) => feedback.judge(request),
    'feedback.clear': (request) => feedback.clear(request),
    'feedback.state': async ({ listId }) => feedback.state(listId),
    'feedback.rerank': (request) => feedback.rerank(request),
    'feedback.refineModel': (request) => feedback.refineModel(request),
    'feedback.export': (request) => feedback.exportText(request),
    ...adaptation.handlers,
  };

  const client: FakeClient = {
    mode: options.mode ?? 'browser',
    calls,
    feedback,
    adaptation,
    callsTo: (channel) => calls.filter((c) => c.channel === channel).map((c) => c.request),
    async call(channel, request) {
      calls.push({ channel, request });
      const handler = handlers[channel] as ((r: typeof request) => Promise<ResponseOf<typeof channel>>) | undefined;
      if (!handler) throw new RpcCallError('unknown_channel', `No fake for ${channel}`);
      return handler(request);
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    imageUrl: (id, variant) => `fake-img://${variant}/${id}`,
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
    setCount(next) {
      count = next;
    },
    override(channel, handler) {
      (handlers as Record<string, unknown>)[channel] = handler;
    },
  };
  return client;
}

/** happy-dom does no layout: give elements a fixed client size. */
export function stubLayout(width: number, height: number): () => void {
  const proto = HTMLElement.prototype;
  const original = {
    clientWidth: Object.getOwnPropertyDescriptor(proto, 'clientWidth'),
    clientHeight: Object.getOwnPropertyDescriptor(proto, 'clientHeight'),
  };
  Object.defineProperty(proto, 'clientWidth', { configurable: true, get: () => width });
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get: () => height });
  return () => {
    if (original.clientWidth) Object.defineProperty(proto, 'clientWidth', original.clientWidth);
    if (original.clientHeight) Object.defineProperty(proto, 'clientHeight', original.clientHeight);
  };
}

export async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** A job's progress event: a running import job that has done nothing yet, but for what `update` says. */
export function jobProgress(update: Partial<JobProgress> = {}): JobProgress {
  return {
    jobId: 1,
    kind: 'import',
    state: 'running',
    label: '/data',
    total: 35,
    done: 0,
    imported: 0,
    skipped: 0,
    failed: 0,
    rate: 0,
    etaSeconds: null,
    message: null,
    ...update,
  };
}
