/**
 * The one RPC contract between the renderer (untrusted) and main.
 *
 * Every request/response channel and every event is declared here once, as a zod schema, so that
 * - main validates every incoming payload at runtime (the renderer is untrusted),
 * - the renderer gets the same types (via z.infer) without knowing which transport carries them.
 *
 * Rules: no Node or DOM imports in shared/. The renderer never sends file-system paths: folders are
 * named by opaque handles that main issued (see `fs.*` and `import.*`), images by catalogue id.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Domain shapes (outbound: main -> renderer)
// ---------------------------------------------------------------------------------------------

export const ImageId = z.number().int().positive();

export const ImageSummary = z.object({
  id: ImageId,
  /** File name of the first known path, for display only. */
  name: z.string(),
  folderId: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  format: z.string(),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

export const ImageDetail = ImageSummary.extend({
  hash: z.string(),
  byteSize: z.number().int(),
  /** Display copies of every path that holds this content (shown, never sent back). */
  paths: z.array(z.string()),
  addedAt: z.string(),
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});
export type ImageDetail = z.infer<typeof ImageDetail>;

export const FolderSummary = z.object({
  id: z.number().int(),
  /** Display path of the folder (outbound only). */
  path: z.string(),
  imageCount: z.number().int(),
});
export type FolderSummary = z.infer<typeof FolderSummary>;

/** An entry of the server-side folder browser. `handle` is opaque and only valid for this run. */
export const FolderEntry = z.object({
  handle: z.string(),
  name: z.string(),
  display: z.string(),
});
export type FolderEntry = z.infer<typeof FolderEntry>;

export const JobState = z.enum(['queued', 'running', 'paused', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

export const JobProgress = z.object({
  jobId: z.number().int(),
  kind: z.string(),
  state: JobState,
  /** Display label, e.g. the folder being imported. */
  label: z.string(),
  total: z.number().int().nullable(),
  done: z.number().int(),
  imported: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  /** Import jobs: byte-identical copies of catalogued content and moved/renamed files (not decoded again). */
  duplicates: z.number().int().optional(),
  moved: z.number().int().optional(),
  /** Files per second over the recent window. */
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  message: z.string().nullable(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** What the renderer may know about an archive's saved credentials: whether there are any, never what they are. */
export const ArchiveCredentialStatus = z.object({
  /** Credentials can be saved here (desktop app with an OS secret store). */
  supported: z.boolean(),
  /** Why not, and where credentials come from instead; null when supported. */
  message: z.string().nullable(),
  /** Credentials are saved for the archive asked about. */
  saved: z.boolean(),
});
export type ArchiveCredentialStatus = z.infer<typeof ArchiveCredentialStatus>;

export const ImportFailure = z.object({
  path: z.string(),
  code: z.string(),
  message: z.string(),
});
export type ImportFailure = z.infer<typeof ImportFailure>;

/** A display window in modality units (e.g. Hounsfield units for CT). */
export const DicomWindow = z.object({
  center: z.number().finite(),
  width: z.number().finite().positive(),
  fn: z.enum(['LINEAR', 'LINEAR_EXACT', 'SIGMOID']).default('LINEAR'),
});
export type DicomWindow = z.infer<typeof DicomWindow>;

/** What the DICOM viewer needs about one catalogued DICOM image (never patient identifiers). */
export const DicomInfo = z.object({
  id: ImageId,
  frames: z.number().int(),
  rows: z.number().int(),
  columns: z.number().int(),
  /** True for monochrome images (windowing applies); false for colour (rendered as stored). */
  monochrome: z.boolean(),
  /** MONOCHROME1: low values display bright (the renderer applies the inversion). */
  invert: z.boolean(),
  photometric: z.string(),
  transferSyntaxUid: z.string(),
  transferSyntaxName: z.string(),
  bitsAllocated: z.number().int(),
  bitsStored: z.number().int(),
  rescaleSlope: z.number(),
  rescaleIntercept: z.number(),
  /** Modality value range of the middle frame (e.g. HU for CT); null for colour images. */
  valueRange: z.object({ min: z.number(), max: z.number() }).nullable(),
  /** Window presets from the header, in header order (the first is the default). */
  presets: z.array(DicomWindow.extend({ explanation: z.string().nullable() })),
  /** The header also carries a VOI LUT (used when no window is given). */
  hasVoiLut: z.boolean(),
  /** Non-identifying header facts for the tag overlay (modality, body part, UIDs, ...). */
  tags: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type DicomInfo = z.infer<typeof DicomInfo>;

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'browser']),
  home: z.string(),
  imageCount: z.number().int(),
  /** Active ML backend once the ML engine runs (null until then). */
  backend: z.string().nullable(),
});
export type AppInfo = z.infer<typeof AppInfo>;

// ---------------------------------------------------------------------------------------------
// Models and search (issue 4)
// ---------------------------------------------------------------------------------------------

export const ModelSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  /** 'random' | 'pretrain' | 'meta' | 'adapted' ... (provenance stage of the package). */
  stage: z.string(),
  embeddingDim: z.number().int(),
  inputSize: z.number().int(),
  active: z.boolean(),
  parentId: z.number().int().nullable(),
  createdAt: z.string(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

const facetValues = z.array(z.string().max(200)).max(100).optional();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/**
 * Filters that the library grid, search and feedback all honour (issue 11). Values within a field are
 * alternatives; fields combine. `folderId`, `modality` and `label` are the older single-value forms.
 */
export const SearchFilters = z
  .object({
    folderId: z.number().int().nullable().optional(),
    modality: z.string().max(64).nullable().optional(),
    label: z.string().max(200).nullable().optional(),
    modalities: facetValues,
    bodyParts: facetValues,
    seriesDescriptions: facetValues,
    formats: facetValues,
    folders: z.array(z.number().int()).max(500).optional(),
    studyDateFrom: isoDate.optional(),
    studyDateTo: isoDate.optional(),
    /** Only the instances of one series. */
    seriesId: z.number().int().positive().optional(),
  })
  .strict();
export type SearchFilters = z.infer<typeof SearchFilters>;

export const FacetValue = z.object({ value: z.string(), label: z.string(), count: z.number().int() });
export type FacetValue = z.infer<typeof FacetValue>;

/** Counted values per field for the facet sidebar: each field's counts apply every other active filter. */
export const FacetCounts = z.object({
  total: z.number().int(),
  matching: z.number().int(),
  fields: z.object({
    modality: z.array(FacetValue),
    bodyPart: z.array(FacetValue),
    seriesDescription: z.array(FacetValue),
    folder: z.array(FacetValue),
    format: z.array(FacetValue),
  }),
  studyDates: z.object({ min: z.string(), max: z.string() }).nullable(),
});
export type FacetCounts = z.infer<typeof FacetCounts>;

export const SeriesNode = z.object({
  id: z.number().int(),
  seriesUid: z.string().nullable(),
  studyKey: z.string(),
  kind: z.enum(['dicom', 'folder', 'unknown']),
  label: z.string(),
  modality: z.string().nullable(),
  bodyPart: z.string().nullable(),
  description: z.string().nullable(),
  number: z.number().nullable(),
  /** Matching instances (images) of the series. */
  instances: z.number().int(),
  /** The series' tile: its middle matching instance. */
  middleImageId: ImageId,
  note: z.string().nullable(),
});
export type SeriesNode = z.infer<typeof SeriesNode>;

export const StudyNode = z.object({
  key: z.string(),
  studyUid: z.string().nullable(),
  label: z.string(),
  date: z.string().nullable(),
  description: z.string().nullable(),
  instances: z.number().int(),
  series: z.array(SeriesNode),
});
export type StudyNode = z.infer<typeof StudyNode>;

/** Patients are named by a keyed digest of Patient ID, never the ID. */
export const PatientNode = z.object({ key: z.string(), label: z.string(), instances: z.number().int(), studies: z.array(StudyNode) });
export type PatientNode = z.infer<typeof PatientNode>;

export const SeriesInstance = z.object({
  imageId: ImageId,
  instanceNumber: z.number().nullable(),
  slicePosition: z.number().nullable(),
  frames: z.number().int(),
});
export type SeriesInstance = z.infer<typeof SeriesInstance>;

/** Search grouping: at most one hit per series; leave out the query's own series or study. */
export const SearchGrouping = z.enum(['none', 'series']);
export const SearchExclusion = z.enum(['none', 'series', 'study']);

export const SearchHit = z.object({
  image: ImageSummary,
  distance: z.number(),
  /** The hit's series (null: not filed). */
  seriesId: z.number().int().nullable().optional(),
  /** Grouped search: how many of the series' instances were among the candidates ranked. */
  seriesHits: z.number().int().optional(),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchResponse = z.object({
  /** The model (profile) that ranked these results: search always says which. */
  model: ModelSummary,
  /** The query: a catalogue image, or an uploaded file's name. */
  query: z.object({ imageId: ImageId.nullable(), name: z.string(), seriesId: z.number().int().nullable().optional() }),
  /** How the hits were grouped (absent: one hit per image). */
  grouping: z.object({ group: SearchGrouping, exclude: SearchExclusion }).optional(),
  hits: z.array(SearchHit),
  /** Images of the archive the model has embedded, out of all images (a partial index ranks part of the archive). */
  embedded: z.number().int(),
  total: z.number().int(),
  tookMs: z.number(),
  /** The recorded result list (audit trail, issue 6): feedback channels name the list by this id. */
  listId: z.number().int().optional(),
  /** Key the judgements of this query are stored under: 'image:<id>' or 'upload:<sha256 of the bytes>'. */
  queryKey: z.string().optional(),
});
export type SearchResponse = z.infer<typeof SearchResponse>;

export const EmbeddingStatus = z.object({
  model: ModelSummary.nullable(),
  embedded: z.number().int(),
  total: z.number().int(),
  /** The running/queued embedding job for the active model, if any. */
  jobId: z.number().int().nullable(),
  backend: z.string().nullable(),
});
export type EmbeddingStatus = z.infer<typeof EmbeddingStatus>;

// ---------------------------------------------------------------------------------------------
// Relevance feedback (issue 6): judgements per (query key, model/profile), precision, rounds
// ---------------------------------------------------------------------------------------------

export const Judgement = z.enum(['relevant', 'not_relevant', 'unsure']);
export type Judgement = z.infer<typeof Judgement>;

/** 'image:<catalogue id>', 'series:<series id>' or 'upload:<sha256 hex of the uploaded bytes>'. */
export const QueryKey = z.string().regex(/^(image:[1-9][0-9]{0,15}|series:[1-9][0-9]{0,15}|upload:[0-9a-f]{64})$/);
export type QueryKey = z.infer<typeof QueryKey>;

export const JudgedImage = z.object({ imageId: ImageId, judgement: Judgement, updatedAt: z.string() });
export type JudgedImage = z.infer<typeof JudgedImage>;

/**
 * Precision at one cut-off from the analyst's marks, with what it rests on. Unjudged and 'unsure' results
 * never count as relevant: `precision` counts every unjudged one as not relevant (the low end of what the
 * truth can be), `upper` counts every unjudged one as relevant (the high end), `judgedOnly` is the share
 * of the judged ones (shown only labelled as such). All three are null when none of the top k is judged.
 */
export const PrecisionAtCutoff = z.object({
  k: z.number().int(),
  /** Ranks that exist within the top k (a list shorter than k has fewer). */
  positions: z.number().int(),
  /** Of those, marked relevant or not relevant. */
  judged: z.number().int(),
  relevant: z.number().int(),
  precision: z.number().nullable(),
  upper: z.number().nullable(),
  judgedOnly: z.number().nullable(),
});
export type PrecisionAtCutoff = z.infer<typeof PrecisionAtCutoff>;

/**
 * Precision of a ranked list from the marks. precisionAt5/10/20 equal the `precision` of their cut-off
 * (unjudged counted as not relevant; null when none of the top k is judged); `cutoffs` carries each
 * one's coverage and range. averagePrecision: over the judged-relevant items of the list, the precision at
 * their rank with unjudged counted as not relevant (0 when none is relevant, null when nothing is judged);
 * its coverage is judged of listed.
 */
export const FeedbackPrecision = z.object({
  precisionAt5: z.number().nullable(),
  precisionAt10: z.number().nullable(),
  precisionAt20: z.number().nullable(),
  averagePrecision: z.number().nullable(),
  judged: z.number().int(),
  relevant: z.number().int(),
  /** Length of the list. */
  listed: z.number().int(),
  cutoffs: z.array(PrecisionAtCutoff),
});
export type FeedbackPrecision = z.infer<typeof FeedbackPrecision>;

/** One recorded result list of a query under a model (round 0 = the search, then re-ranks/refines). */
export const FeedbackRound = z.object({
  listId: z.number().int(),
  round: z.number().int(),
  kind: z.enum(['search', 'rerank', 'refine']),
  modelId: z.number().int(),
  k: z.number().int(),
  createdAt: z.string(),
  /** Precision of that list under the judgements as they stand now. */
  precision: FeedbackPrecision,
});
export type FeedbackRound = z.infer<typeof FeedbackRound>;

export const FeedbackState = z.object({
  listId: z.number().int(),
  queryKey: z.string(),
  modelId: z.number().int(),
  judgements: z.array(JudgedImage),
  /** Precision of the list `listId`. */
  precision: FeedbackPrecision,
  /** Every list of this query and model, oldest first. */
  rounds: z.array(FeedbackRound),
});
export type FeedbackState = z.infer<typeof FeedbackState>;

export const FeedbackExport = z.object({ format: z.enum(['csv', 'json']), fileName: z.string(), text: z.string() });
export type FeedbackExport = z.infer<typeof FeedbackExport>;

// ---------------------------------------------------------------------------------------------
// Target classes, few-shot adaptation and search profiles (issue 5)
// ---------------------------------------------------------------------------------------------

/** How a labelled image serves its class: adaptation shot, held-out shot (before/after check), hard negative. */
export const LabelRole = z.enum(['support', 'holdout', 'negative']);
export type LabelRole = z.infer<typeof LabelRole>;

export const TargetClass = z.object({
  id: z.number().int(),
  name: z.string(),
  createdAt: z.string(),
  /** Labelled images per role. */
  counts: z.object({ support: z.number().int(), holdout: z.number().int(), negative: z.number().int() }),
});
export type TargetClass = z.infer<typeof TargetClass>;

export const LabelledImage = z.object({ image: ImageSummary, classId: z.number().int(), role: LabelRole });
export type LabelledImage = z.infer<typeof LabelledImage>;

const className = z.string().trim().min(1).max(200);

/** Settings of one adaptation run; every field has a good default (the model's recorded configuration). */
export const AdaptSettings = z
  .object({
    /**
     * Adaptable part: 'last-stage-head' re-embeds from cached trunk features; 'last-two-stages-head' and
     * 'rectifiers' adapt deeper and re-embed from an earlier stage; 'auto' tries those three on the held-out shots.
     */
    group: z.enum(['all', 'last-stage-head', 'last-two-stages-head', 'rectifiers', 'auto']).optional(),
    steps: z.number().int().min(1).max(200).optional(),
    learningRate: z.number().positive().max(1).optional(),
    /** Early stop on a held-out shot per class (with at least 3 shots per class). */
    earlyStop: z.boolean().optional(),
  })
  .strict();
export type AdaptSettings = z.infer<typeof AdaptSettings>;

export const AdaptEstimate = z.object({
  supportImages: z.number().int(),
  holdoutImages: z.number().int(),
  steps: z.number().int(),
  /**
   * The settings a run would use: the parent model's own (a meta-learnt model records the inner loop it was
   * trained for), with the ones sent laid over them. The wizard shows these and sends only what was changed.
   */
  settings: z.object({
    group: z.enum(['all', 'last-stage-head', 'last-two-stages-head', 'rectifiers', 'auto']),
    steps: z.number().int(),
    learningRate: z.number(),
    earlyStop: z.boolean(),
  }),
  /** Estimated wall time of the adaptation (trunk features + steps + before/after check; under 'auto', every depth). */
  seconds: z.number(),
  /** Human sentences, e.g. a class with fewer than 3 shots. */
  warnings: z.array(z.string()),
  /** Images in the archive (what activating the adapted profile re-embeds). */
  archiveImages: z.number().int().optional(),
  /**
   * Cost per adaptable depth (issue 10 item 6): the candidates 'auto' tries, or the one group chosen. Re-embedding
   * runs the adapted stages on cached trunk rows where the archive has them, and decodes + runs the network for the rest.
   */
  depths: z
    .array(
      z.object({
        group: z.enum(['all', 'last-stage-head', 'last-two-stages-head', 'rectifiers']),
        /** First adapted stage: re-embedding needs rows of the stage before it. */
        fromStage: z.number().int(),
        adaptSeconds: z.number(),
        reembedSeconds: z.number(),
        /** Archive images with a cached trunk row for this depth (head-only pass) and without (decoded from their files). */
        cachedImages: z.number().int(),
        uncachedImages: z.number().int(),
        /** Whether the rates come from runs on this machine (else built-in defaults). */
        measured: z.boolean(),
      }),
    )
    .optional(),
});
export type AdaptEstimate = z.infer<typeof AdaptEstimate>;

/** Retrieval quality of held-out shots ranked against their support shots and a sample of the archive. */
export const HeldOutScore = z.object({ mapAtR: z.number(), precisionAt5: z.number(), recallAt1: z.number(), queries: z.number().int() });
export type HeldOutScore = z.infer<typeof HeldOutScore>;

export const AdaptCurvePoint = z.object({ step: z.number().int(), loss: z.number(), validation: z.number().nullable() });
export type AdaptCurvePoint = z.infer<typeof AdaptCurvePoint>;

export const AdaptResult = z.object({
  jobId: z.number().int(),
  state: JobState,
  /** The adapted model version (null until the job is done, or when it failed). */
  model: ModelSummary.nullable(),
  classIds: z.array(z.number().int()),
  /** Before = the parent profile, after = the adapted one; null when there were no held-out shots. */
  before: HeldOutScore.nullable(),
  after: HeldOutScore.nullable(),
  curve: z.array(AdaptCurvePoint),
  steps: z.number().int(),
  stoppedEarly: z.boolean(),
  seconds: z.number(),
  message: z.string().nullable(),
});
export type AdaptResult = z.infer<typeof AdaptResult>;

/** A search profile: a registered model with its lineage, target classes and metrics. */
export const Profile = ModelSummary.extend({
  version: z.number().int(),
  parentName: z.string().nullable(),
  /** Names of the target classes it was adapted to (empty for a base model). */
  classes: z.array(z.string()),
  supportImages: z.number().int(),
  /** Held-out check of the adaptation, when it had one. */
  before: HeldOutScore.nullable(),
  after: HeldOutScore.nullable(),
});
export type Profile = z.infer<typeof Profile>;

/** Largest file a renderer may upload for search by example (base64 in the payload). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Channels: name -> { request schema, response schema }
// ---------------------------------------------------------------------------------------------

const Empty = z.object({}).strict();
const handle = z.string().min(1).max(128);

/** What to export: everything, a recorded result list, or chosen images (e.g. all instances of a series). */
export const ExportSelection = z.union([
  z.object({ all: z.literal(true) }).strict(),
  z.object({ listId: z.number().int().positive() }).strict(),
  z.object({ imageIds: z.array(ImageId).min(1).max(100_000) }).strict(),
]);
export type ExportSelection = z.infer<typeof ExportSelection>;

/** Background sync with the team store (issue 13): when it last synced, what it moved, why it could not. */
export const TeamStatus = z.object({
  /** A team store URL is set ($SIMILA_TEAM_URL or the home's setting). */
  configured: z.boolean(),
  lastSyncAt: z.string().nullable(),
  /** A sentence (never a password) while the store cannot be reached; null after a successful sync. */
  lastError: z.string().nullable(),
  /** Rows pulled / pushed by the last successful sync. */
  pulled: z.number().int().nullable(),
  pushed: z.number().int().nullable(),
  running: z.boolean(),
});
export type TeamStatus = z.infer<typeof TeamStatus>;

export const channels = {
  'app.info': { request: Empty, response: AppInfo },

  'library.folders': { request: Empty, response: z.array(FolderSummary) },
  'library.page': {
    request: z
      .object({
        offset: z.number().int().min(0),
        limit: z.number().int().min(1).max(2000),
        folderId: z.number().int().nullable().optional(),
        filters: SearchFilters.optional(),
      })
      .strict(),
    response: z.object({ total: z.number().int(), items: z.array(ImageSummary) }),
  },
  /** Facet sidebar: counted values per field under the active filters. */
  'library.facets': { request: z.object({ filters: SearchFilters.optional() }).strict(), response: FacetCounts },
  /** Patient > study > series tree of the matching images. */
  'library.tree': { request: z.object({ filters: SearchFilters.optional() }).strict(), response: z.object({ patients: z.array(PatientNode) }) },
  /** One series for the stack viewer: its instances in slice order. */
  'library.series': {
    request: z.object({ seriesId: z.number().int().positive() }).strict(),
    response: z.object({ series: SeriesNode, studyLabel: z.string(), patientLabel: z.string(), instances: z.array(SeriesInstance) }),
  },
  'library.image': { request: z.object({ id: ImageId }).strict(), response: ImageDetail },

  /** Server-side folder browser: the renderer navigates handles, never paths. */
  'fs.roots': { request: Empty, response: z.array(FolderEntry) },
  'fs.browse': {
    request: z.object({ handle }).strict(),
    response: z.object({ folder: FolderEntry, parent: FolderEntry.nullable(), entries: z.array(FolderEntry) }),
  },
  /** Native folder dialog (Electron only); browser mode answers `unsupported`. */
  'import.chooseFolder': { request: Empty, response: FolderEntry.nullable() },
  'import.start': { request: z.object({ handle }).strict(), response: z.object({ jobId: z.number().int() }) },
  /**
   * Syncs a DICOMweb archive (issue 13): a dicomweb+http(s)://HOST:PORT/PATH URL string, validated in main
   * (refused with credentials in it: those come from the environment or the OS secret store), optionally
   * one study or studies on or after a date (YYYY-MM-DD). Starts an 'import-dicomweb' job.
   */
  'import.addArchive': {
    request: z.object({ url: z.string().min(1).max(2048), study: z.string().max(64).optional(), since: z.string().max(10).optional() }).strict(),
    response: z.object({ jobId: z.number().int() }),
  },
  /**
   * Whether this app can keep archive credentials (the desktop app: encrypted with the OS secret store;
   * browser mode: no, they come from the environment, and `message` says so) and, for a URL, whether
   * credentials are saved for that archive. Never the credentials themselves.
   */
  'import.archiveCredentials': {
    request: z.object({ url: z.string().max(2048).optional() }).strict(),
    response: ArchiveCredentialStatus,
  },
  /**
   * Saves an archive's credentials (HTTP basic: user + secret; bearer: secret is the token), sent once from
   * the Add archive form; main keeps them encrypted and answers only the status. `unsupported` in browser mode.
   */
  'import.setArchiveCredentials': {
    request: z
      .object({
        url: z.string().min(1).max(2048),
        kind: z.enum(['basic', 'bearer']),
        user: z.string().max(256).optional(),
        secret: z.string().min(1).max(8192),
      })
      .strict(),
    response: ArchiveCredentialStatus,
  },
  'import.forgetArchiveCredentials': { request: z.object({ url: z.string().min(1).max(2048) }).strict(), response: ArchiveCredentialStatus },
  'import.failures': {
    request: z.object({ jobId: z.number().int(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
    response: z.array(ImportFailure),
  },

  /** Export (issue 11): a selection, a result list or everything, verbatim or de-identified (DICOM PS3.15 Basic Profile). */
  'export.preview': {
    request: z.object({ selection: ExportSelection }).strict(),
    response: z.object({ images: z.number().int(), dicom: z.number().int(), notDicom: z.number().int(), flaggedBurnedIn: z.number().int() }),
  },
  /** Writes into a new sub-folder of the chosen folder (a handle from the folder browser); never overwrites. */
  'export.start': {
    request: z
      .object({
        handle,
        selection: ExportSelection,
        deidentify: z.boolean(),
        dateShiftDays: z.number().int().min(1).max(3650).optional(),
        includeBurnedIn: z.boolean().optional(),
      })
      .strict(),
    response: z.object({ jobId: z.number().int() }),
  },

  'jobs.list': { request: Empty, response: z.array(JobProgress) },
  'jobs.cancel': { request: z.object({ jobId: z.number().int() }).strict(), response: z.object({ ok: z.boolean() }) },
  /** Stops a queued or running job where it is; it stays 'paused' (also across restarts) until resumed. */
  'jobs.pause': { request: z.object({ jobId: z.number().int() }).strict(), response: z.object({ ok: z.boolean() }) },
  /** Queues a paused job again; it goes on where it stopped (done files are not read again). */
  'jobs.resume': { request: z.object({ jobId: z.number().int() }).strict(), response: z.object({ ok: z.boolean() }) },

  /** DICOM viewer: frames, header presets, value range and overlay tags of a DICOM image. */
  'dicom.info': { request: z.object({ id: ImageId }).strict(), response: DicomInfo },
  /**
   * Renders one frame with a window as PNG (a data: URL). No window: the header's first preset (or an
   * automatic one). `invert` flips the display on top of MONOCHROME1's own inversion.
   */
  'dicom.render': {
    request: z
      .object({
        id: ImageId,
        frame: z.number().int().min(0).max(100_000),
        window: DicomWindow.strict().optional(),
        invert: z.boolean().optional(),
      })
      .strict(),
    response: z.object({
      frame: z.number().int(),
      width: z.number().int(),
      height: z.number().int(),
      /** `data:image/png;base64,...` */
      png: z.string(),
      /** The window that was applied (null for colour images or a VOI LUT). */
      window: DicomWindow.nullable(),
      /** Modality value range of this frame; null for colour images. */
      valueRange: z.object({ min: z.number(), max: z.number() }).nullable(),
    }),
  },
  /** Models known to the catalogue, the active one marked. */
  'models.list': { request: Empty, response: z.array(ModelSummary) },
  'models.activate': { request: z.object({ id: z.number().int() }).strict(), response: ModelSummary },

  /** Embedding of the archive under the active model (a resumable job). */
  'embeddings.status': { request: Empty, response: EmbeddingStatus },
  'embeddings.start': { request: Empty, response: z.object({ jobId: z.number().int() }) },

  /** Search by example: an archive image, or a file the user dropped/opened (its bytes, never its path). */
  'search.byImage': {
    request: z
      .object({
        id: ImageId,
        k: z.number().int().min(1).max(1000),
        filters: SearchFilters.optional(),
        group: SearchGrouping.optional(),
        exclude: SearchExclusion.optional(),
      })
      .strict(),
    response: SearchResponse,
  },
  /** A whole series as the query: the mean of its instances' L2-normalised embeddings, re-normalised. */
  'search.bySeries': {
    request: z
      .object({
        seriesId: z.number().int().positive(),
        k: z.number().int().min(1).max(1000),
        filters: SearchFilters.optional(),
        group: SearchGrouping.optional(),
        exclude: SearchExclusion.optional(),
      })
      .strict(),
    response: SearchResponse,
  },
  'search.byUpload': {
    request: z
      .object({
        name: z.string().min(1).max(255),
        /** File content, base64. */
        data: z.string().min(1).max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4),
        k: z.number().int().min(1).max(1000),
        filters: SearchFilters.optional(),
        group: SearchGrouping.optional(),
      })
      .strict(),
    response: SearchResponse,
  },

  /** Relevance feedback (issue 6). Lists are named by the `listId` a search or re-rank returned. */
  'feedback.judge': {
    request: z
      .object({ listId: z.number().int().positive(), imageIds: z.array(ImageId).min(1).max(1000), judgement: Judgement })
      .strict(),
    response: FeedbackState,
  },
  /** Forgets judgements of the list's query and model (the given images, or all of them). */
  'feedback.clear': {
    request: z.object({ listId: z.number().int().positive(), imageIds: z.array(ImageId).min(1).max(1000).optional() }).strict(),
    response: FeedbackState,
  },
  'feedback.state': { request: z.object({ listId: z.number().int().positive() }).strict(), response: FeedbackState },
  /** A new round: the query moved toward the relevant and away from the rejected (Rocchio), rejected left out. */
  'feedback.rerank': {
    request: z.object({ listId: z.number().int().positive(), k: z.number().int().min(1).max(1000).optional() }).strict(),
    response: SearchResponse,
  },
  /** Re-adapts the list's profile with relevant images as support and rejected ones as hard negatives (a job). */
  'feedback.refineModel': {
    request: z.object({ listId: z.number().int().positive() }).strict(),
    response: z.object({ jobId: z.number().int() }),
  },
  /** A query's judgements and rounds (or every query's, without queryKey) as CSV or JSON text. */
  'feedback.export': {
    request: z.object({ queryKey: QueryKey.optional(), format: z.enum(['csv', 'json']) }).strict(),
    response: FeedbackExport,
  },
  /** Target classes and their labelled images (issue 5). Images by catalogue id or uploaded bytes (never a path). */
  'classes.list': { request: Empty, response: z.array(TargetClass) },
  'classes.create': { request: z.object({ name: className }).strict(), response: TargetClass },
  'classes.rename': { request: z.object({ id: z.number().int(), name: className }).strict(), response: TargetClass },
  'classes.delete': { request: z.object({ id: z.number().int() }).strict(), response: z.object({ ok: z.boolean() }) },
  'classes.images': {
    request: z.object({ id: z.number().int(), role: LabelRole.optional() }).strict(),
    response: z.array(LabelledImage),
  },
  /** Labels catalogue images (an image has one role per class; adding again changes its role). */
  'classes.addImages': {
    request: z.object({ id: z.number().int(), imageIds: z.array(ImageId).min(1).max(1000), role: LabelRole.default('support') }).strict(),
    response: TargetClass,
  },
  'classes.removeImages': {
    request: z.object({ id: z.number().int(), imageIds: z.array(ImageId).min(1).max(1000) }).strict(),
    response: TargetClass,
  },
  /** A dropped file: decoded, stored in the data home's uploads/ folder, catalogued, then labelled. */
  'classes.addUpload': {
    request: z
      .object({
        id: z.number().int(),
        name: z.string().min(1).max(255),
        data: z.string().min(1).max(Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + 4),
        role: LabelRole.default('support'),
      })
      .strict(),
    response: z.object({ image: ImageSummary, class: TargetClass }),
  },

  /** Few-shot adaptation of the active profile to target classes (a job 'adapt'; 'adapt.progress' events). */
  /** No classes: just the active model's own adaptation settings (the wizard shows them from the start). */
  'adapt.estimate': {
    request: z.object({ classIds: z.array(z.number().int()).max(50), settings: AdaptSettings.optional() }).strict(),
    response: AdaptEstimate,
  },
  'adapt.start': {
    request: z
      .object({ classIds: z.array(z.number().int()).min(1).max(50), name: z.string().trim().min(1).max(200).optional(), settings: AdaptSettings.optional() })
      .strict(),
    response: z.object({ jobId: z.number().int() }),
  },
  /** The run's curve, before/after comparison and the adapted model (as far as the job got). */
  'adapt.result': { request: z.object({ jobId: z.number().int() }).strict(), response: AdaptResult },

  /** Search profiles: models with lineage; activating queues re-embedding (from cached trunk features when possible). */
  'profiles.list': { request: Empty, response: z.array(Profile) },
  'profiles.activate': {
    request: z.object({ id: z.number().int() }).strict(),
    response: z.object({ profile: Profile, jobId: z.number().int().nullable() }),
  },
  /** Activates the parent of the profile (default: the active one). */
  'profiles.revert': {
    request: z.object({ id: z.number().int().optional() }).strict(),
    response: z.object({ profile: Profile, jobId: z.number().int().nullable() }),
  },

  /** Background team sync: configured or not, last sync, last error (the 'team.status' event on change). */
  'team.status': { request: Empty, response: TeamStatus },
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type RequestOf<C extends ChannelName> = z.input<Channels[C]['request']>;
export type ResponseOf<C extends ChannelName> = z.infer<Channels[C]['response']>;

// ---------------------------------------------------------------------------------------------
// Events: main -> renderer, fire and forget
// ---------------------------------------------------------------------------------------------

export const events = {
  'job.progress': JobProgress,
  'library.changed': z.object({ added: z.number().int(), folderIds: z.array(z.number().int()) }),
  /** One adaptation step: support loss and, where measured, the held-out validation score. */
  'adapt.progress': z.object({
    jobId: z.number().int(),
    step: z.number().int(),
    steps: z.number().int(),
    phase: z.enum(['features', 'early-stop', 'adapt', 'compare', 'save']),
    loss: z.number().nullable(),
    validation: z.number().nullable(),
  }),
  'team.status': TeamStatus,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.infer<Events[E]>;

// ---------------------------------------------------------------------------------------------
// Results and errors: errors cross as values, never as stack traces
// ---------------------------------------------------------------------------------------------

export const ErrorCode = z.enum([
  'bad_request', // payload failed validation
  'unknown_channel',
  'not_found',
  'unsupported', // e.g. a native dialog in browser mode
  'forbidden',
  'busy',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export type RpcError = { ok: false; code: ErrorCode; message: string };
export type RpcResult<T> = { ok: true; value: T } | RpcError;

/** Wire frames of the WebSocket transport (Electron IPC carries the same request/result shapes). */
export type RequestFrame = { kind: 'request'; id: number; channel: string; payload: unknown };
export type ResultFrame = { kind: 'result'; id: number; result: RpcResult<unknown> };
export type EventFrame = { kind: 'event'; event: string; payload: unknown };

/** Image renditions the renderer may ask for by id. */
export const ImageVariant = z.enum(['thumb', 'full']);
export type ImageVariant = z.infer<typeof ImageVariant>;

export function isChannelName(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name);
}
export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}

/**
 * What the Electron preload exposes to the renderer as `window.simila` (through contextBridge): the
 * whole surface, nothing more. Results and events are the same values the WebSocket frames carry.
 */
export interface PreloadFacade {
  call(channel: string, payload: unknown): Promise<RpcResult<unknown>>;
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}
