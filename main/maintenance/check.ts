/**
 * `simila check`: what a data home holds against what it should hold.
 *
 * - catalogue: `PRAGMA integrity_check` and `PRAGMA foreign_key_check`;
 * - per model: the index file (present, checksum, readable) and its vector count against the catalogue's;
 * - per model: the package (manifest valid, weights.bin against the SHA-256 in the manifest);
 * - per catalogued path: the file is still on disk with the catalogued size (a full scan, or a sample);
 * - thumbnails missing for catalogued images, and thumbnails/renditions whose image is gone (orphans).
 *
 * With `repair` it rebuilds what can be rebuilt from what the home keeps: indexes from the stored vectors,
 * missing thumbnails from source files still on disk, orphan thumbnails/renditions removed. It never
 * deletes or edits catalogue rows and never touches image files: missing images are listed only, and a
 * damaged model package can only be re-installed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openCatalogue, type Catalogue } from '../catalogue/catalogue';
import { homeLayout, resolveHome, type HomeLayout } from '../home/dataHome';
import { buildIndex } from '../index/buildIndex';
import { DEFAULT_HNSW_PARAMS, HnswIndex } from '../index/hnswIndex';
import { checkIndexFiles, indexPaths } from '../index/indexFiles';
import { catalogueVectorSource, saveModelIndex } from '../index/modelIndex';
import { createDefaultRegistry } from '../ingest/decoders/defaultRegistry';
import { DEFAULT_LIMITS } from '../ingest/decoders/types';
import { thumbnailPath } from '../ingest/thumbnails';
import { decodeToThumbnail, sha256 } from '../ingest/decodeBytes';
import { sha256OfFile } from '../ml/package/durableFiles';
import { readModelManifest } from '../ml/package/modelPackage';
import { isRemotePath } from '../../shared/teamPaths';

export type ProblemKind =
  | 'catalogue-unreadable'
  | 'catalogue-integrity'
  | 'catalogue-foreign-key'
  | 'index-missing'
  | 'index-corrupt'
  | 'index-unreadable'
  | 'index-count'
  | 'model-package-missing'
  | 'model-manifest-invalid'
  | 'model-weights-missing'
  | 'model-weights-checksum'
  | 'image-file-missing'
  | 'image-file-changed'
  | 'thumbnail-missing'
  | 'orphan-thumbnail'
  | 'orphan-rendition';

export interface CheckProblem {
  kind: ProblemKind;
  detail: string;
  /** Whether `--repair` can fix it from what the home keeps. */
  repairable: boolean;
  /** Set by a repair run: fixed, or why not. */
  repaired?: boolean;
  repairError?: string;
  /** What it is about: a file, a model, an image. */
  path?: string;
  modelId?: number;
  imageId?: number;
}

export interface CheckProgress {
  phase: 'catalogue' | 'indexes' | 'models' | 'files' | 'orphans' | 'repair';
  done: number;
  total: number;
}

export interface CheckOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  repair?: boolean;
  /** Check this many catalogued paths chosen at random instead of all of them (large archives). */
  sample?: number;
  /** Files stat'ed at once during the file scan (default 32). */
  concurrency?: number;
  onProgress?: (progress: CheckProgress) => void;
  /** Where repairs are reported as they happen (default: nowhere). */
  log?: (message: string) => void;
}

export interface CheckReport {
  ok: boolean;
  home: string;
  repair: boolean;
  problems: CheckProblem[];
  checked: {
    catalogue: boolean;
    models: { id: number; name: string; vectors: number; indexVectors: number | null; weightsVerified: boolean }[];
    paths: number;
    pathsTotal: number;
    sampled: boolean;
    /** Images whose thumbnail was looked for. */
    thumbnails: number;
    /** Thumbnail and rendition files looked at for orphans. */
    cacheFiles: number;
  };
  /** Problems fixed by this run (repair only). */
  repaired: number;
  /** Problems left: not repairable, or a repair that failed. */
  unrepaired: number;
  seconds: number;
}

const HASH_FILE = /^([0-9a-f]{64})\.[a-z0-9]+$/;

/** Checks (and with `repair`, repairs) a data home. Never throws for what it finds: it is all in the report. */
export async function checkHome(options: CheckOptions = {}): Promise<CheckReport> {
  const started = performance.now();
  const root = resolveHome({ home: options.home, env: options.env });
  const layout = homeLayout(root);
  const problems: CheckProblem[] = [];
  const progress = options.onProgress ?? (() => undefined);
  const checked: CheckReport['checked'] = { catalogue: false, models: [], paths: 0, pathsTotal: 0, sampled: false, thumbnails: 0, cacheFiles: 0 };

  let catalogue: Catalogue | undefined;
  if (!existsSync(layout.catalogueFile)) {
    problems.push({ kind: 'catalogue-unreadable', detail: `There is no catalogue at ${layout.catalogueFile}.`, repairable: false, path: layout.catalogueFile });
  } else {
    try {
      catalogue = openCatalogue(layout.catalogueFile);
    } catch (error) {
      problems.push({ kind: 'catalogue-unreadable', detail: `The catalogue ${layout.catalogueFile} cannot be opened: ${message(error)}. Restore it from a backup (simila restore).`, repairable: false, path: layout.catalogueFile });
    }
  }

  if (catalogue) {
    try {
      progress({ phase: 'catalogue', done: 0, total: 1 });
      problems.push(...checkCatalogue(catalogue.db, layout));
      checked.catalogue = true;
      progress({ phase: 'catalogue', done: 1, total: 1 });
      problems.push(...(await checkModels(catalogue, layout, checked, progress)));
      problems.push(...(await checkImageFiles(catalogue.db, layout, checked, options, progress)));
      problems.push(...(await checkOrphans(catalogue.db, layout, checked, progress)));
      if (options.repair) await repair(problems, catalogue, layout, options, progress);
    } finally {
      catalogue.close();
    }
  }

  const repaired = problems.filter((p) => p.repaired === true).length;
  const unrepaired = problems.length - repaired;
  return {
    ok: unrepaired === 0,
    home: root,
    repair: options.repair === true,
    problems,
    checked,
    repaired,
    unrepaired,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

function checkCatalogue(db: Database.Database, layout: HomeLayout): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
  const messages = integrity.map((row) => row.integrity_check).filter((m) => m !== 'ok');
  for (const m of messages.slice(0, 20)) {
    problems.push({ kind: 'catalogue-integrity', detail: `SQLite integrity check: ${m}. Restore the catalogue from a backup.`, repairable: false, path: layout.catalogueFile });
  }
  const fk = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string; fkid: number }[];
  for (const row of fk.slice(0, 20)) {
    problems.push({ kind: 'catalogue-foreign-key', detail: `Row ${String(row.rowid)} of ${row.table} refers to a missing row of ${row.parent}.`, repairable: false, path: layout.catalogueFile });
  }
  if (fk.length > 20) problems.push({ kind: 'catalogue-foreign-key', detail: `... and ${fk.length - 20} more rows with missing references.`, repairable: false });
  return problems;
}

async function checkModels(catalogue: Catalogue, layout: HomeLayout, checked: CheckReport['checked'], progress: (p: CheckProgress) => void): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const models = catalogue.models.list();
  let done = 0;
  for (const model of models) {
    progress({ phase: 'indexes', done: done++, total: models.length });
    const vectors = catalogue.embeddings.count(model.id);
    const entry = { id: model.id, name: model.name, vectors, indexVectors: null as number | null, weightsVerified: false };
    checked.models.push(entry);

    // The index: absent is fine while the model has no vectors; otherwise it must check out and hold them all.
    const files = indexPaths(layout.indexes, model.id);
    const sidecar = await checkIndexFiles(layout.indexes, model.id, model.embeddingDim);
    if (!sidecar.ok) {
      if (sidecar.code !== 'missing' || vectors > 0) {
        const kind: ProblemKind = sidecar.code === 'missing' ? 'index-missing' : 'index-corrupt';
        problems.push({ kind, detail: `Model ${model.name} (${model.id}): ${sidecar.message}`, repairable: true, path: files.index, modelId: model.id });
      }
    } else {
      try {
        const index = await HnswIndex.read(files.index, model.embeddingDim, DEFAULT_HNSW_PARAMS, sidecar.sidecar.deleted);
        entry.indexVectors = index.size;
        if (index.size !== vectors) {
          problems.push({
            kind: 'index-count',
            detail: `Model ${model.name} (${model.id}): the index holds ${index.size} vectors, the catalogue ${vectors}.`,
            repairable: true,
            path: files.index,
            modelId: model.id,
          });
        }
      } catch (error) {
        problems.push({ kind: 'index-unreadable', detail: `Model ${model.name} (${model.id}): index ${files.index} cannot be read: ${message(error)}`, repairable: true, path: files.index, modelId: model.id });
      }
    }

    // The package: manifest valid, weights file whole and as written (SHA-256 in the manifest).
    const dir = path.resolve(layout.models, model.dir);
    const read = await readModelManifest(dir);
    if (!read.ok) {
      const kind: ProblemKind = read.code === 'package-missing' ? 'model-package-missing' : 'model-manifest-invalid';
      problems.push({ kind, detail: `Model ${model.name} (${model.id}): ${read.message}. Re-install the model package.`, repairable: false, path: dir, modelId: model.id });
      continue;
    }
    const weights = path.join(dir, read.manifest.weights.file);
    let size: number;
    try {
      size = (await fs.stat(weights)).size;
    } catch {
      problems.push({ kind: 'model-weights-missing', detail: `Model ${model.name} (${model.id}): ${weights} is missing. Re-install the model package.`, repairable: false, path: weights, modelId: model.id });
      continue;
    }
    const registered = registeredSha256(model.manifest);
    const expected = read.manifest.weights.sha256 ?? registered;
    if (size !== read.manifest.weights.byteLength) {
      problems.push({
        kind: 'model-weights-checksum',
        detail: `Model ${model.name} (${model.id}): ${weights} has ${size} bytes, its manifest says ${read.manifest.weights.byteLength}. It cannot be repaired here: re-install the model package.`,
        repairable: false,
        path: weights,
        modelId: model.id,
      });
    } else if (expected) {
      const actual = await sha256OfFile(weights);
      // The catalogue keeps the manifest it registered: a package whose manifest was rewritten with its weights is caught too.
      if (actual !== expected || (registered !== undefined && registered !== expected)) {
        problems.push({
          kind: 'model-weights-checksum',
          detail: `Model ${model.name} (${model.id}): ${weights} does not match the SHA-256 recorded for it (the file was changed or damaged). It cannot be repaired here: re-install the model package.`,
          repairable: false,
          path: weights,
          modelId: model.id,
        });
      } else {
        entry.weightsVerified = true;
      }
    }
  }
  progress({ phase: 'indexes', done: models.length, total: models.length });
  return problems;
}

function registeredSha256(manifest: unknown): string | undefined {
  const sha = (manifest as { weights?: { sha256?: unknown } } | null)?.weights?.sha256;
  return typeof sha === 'string' ? sha : undefined;
}

interface PathRow {
  path: string;
  image_id: number;
  size: number;
  hash: string;
}

async function checkImageFiles(
  db: Database.Database,
  layout: HomeLayout,
  checked: CheckReport['checked'],
  options: CheckOptions,
  progress: (p: CheckProgress) => void,
): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const total = (db.prepare('SELECT COUNT(*) AS n FROM image_paths').get() as { n: number }).n;
  checked.pathsTotal = total;
  const sampled = options.sample !== undefined && options.sample < total;
  checked.sampled = sampled;
  const rows = sampled
    ? (db.prepare('SELECT p.path, p.image_id, p.size, i.hash FROM image_paths p JOIN images i ON i.id = p.image_id ORDER BY random() LIMIT ?').all(options.sample) as PathRow[])
    : (db.prepare('SELECT p.path, p.image_id, p.size, i.hash FROM image_paths p JOIN images i ON i.id = p.image_id ORDER BY p.id').iterate() as IterableIterator<PathRow>);
  const count = sampled ? (options.sample as number) : total;
  const thumbsSeen = new Set<number>();
  let done = 0;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  let batch: PathRow[] = [];
  const flush = async () => {
    await Promise.all(
      batch.map(async (row) => {
        // A team image whose file is on another workstation: nothing here to check but its thumbnail.
        if (!isRemotePath(row.path)) {
          try {
            const stat = await fs.stat(row.path);
            if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
            if (stat.size !== row.size) {
              problems.push({
                kind: 'image-file-changed',
                detail: `Image ${row.image_id}: ${row.path} now has ${stat.size} bytes, ${row.size} when imported (re-import the folder to take in the new content).`,
                repairable: false,
                path: row.path,
                imageId: row.image_id,
              });
            }
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            problems.push({
              kind: 'image-file-missing',
              detail: `Image ${row.image_id}: ${row.path} ${code === 'ENOENT' ? 'is no longer on disk' : `cannot be read (${code ?? message(error)})`}. Listed only: nothing is deleted from the catalogue.`,
              repairable: false,
              path: row.path,
              imageId: row.image_id,
            });
          }
        }
        if (!thumbsSeen.has(row.image_id)) {
          thumbsSeen.add(row.image_id);
          const thumb = thumbnailPath(layout.thumbnails, row.hash);
          if (!existsSync(thumb)) {
            problems.push({ kind: 'thumbnail-missing', detail: `Image ${row.image_id}: its thumbnail ${thumb} is missing.`, repairable: true, path: thumb, imageId: row.image_id });
          }
        }
      }),
    );
    done += batch.length;
    batch = [];
    progress({ phase: 'files', done, total: count });
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= concurrency) await flush();
  }
  if (batch.length > 0) await flush();
  checked.paths = done;
  checked.thumbnails = thumbsSeen.size;
  return problems;
}

/** Files under thumbnails/ and renditions/ named by a content hash the catalogue no longer holds. */
async function checkOrphans(db: Database.Database, layout: HomeLayout, checked: CheckReport['checked'], progress: (p: CheckProgress) => void): Promise<CheckProblem[]> {
  const problems: CheckProblem[] = [];
  const inRange = db.prepare<[string, string], { hash: string }>('SELECT hash FROM images WHERE hash >= ? AND hash < ?');
  const roots: [string, ProblemKind][] = [
    [layout.thumbnails, 'orphan-thumbnail'],
    [layout.renditions, 'orphan-rendition'],
  ];
  let files = 0;
  for (const [dir, kind] of roots) {
    const shards = await readdirOrEmpty(dir);
    let done = 0;
    for (const shard of shards) {
      progress({ phase: 'orphans', done: done++, total: shards.length });
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      // One shard at a time: a million hashes never sit in memory together.
      const known = new Set(inRange.all(shard, `${shard}\uffff`).map((r) => r.hash));
      for (const name of await readdirOrEmpty(path.join(dir, shard))) {
        const match = HASH_FILE.exec(name);
        if (!match) continue; // temporary files of a write in progress, or foreign files: left alone
        files++;
        if (!known.has(match[1] as string)) {
          const file = path.join(dir, shard, name);
          problems.push({ kind, detail: `${file} belongs to no catalogued image.`, repairable: true, path: file });
        }
      }
    }
  }
  checked.cacheFiles = files;
  return problems;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function repair(problems: CheckProblem[], catalogue: Catalogue, layout: HomeLayout, options: CheckOptions, progress: (p: CheckProgress) => void): Promise<void> {
  const log = options.log ?? (() => undefined);
  const repairable = problems.filter((p) => p.repairable);
  let done = 0;
  const rebuilt = new Map<number, Promise<void>>();
  const registry = createDefaultRegistry();
  for (const problem of repairable) {
    progress({ phase: 'repair', done: done++, total: repairable.length });
    try {
      switch (problem.kind) {
        case 'index-missing':
        case 'index-corrupt':
        case 'index-unreadable':
        case 'index-count': {
          const modelId = problem.modelId as number;
          let pending = rebuilt.get(modelId);
          if (!pending) {
            pending = rebuildIndex(catalogue, layout, modelId, log);
            rebuilt.set(modelId, pending);
          }
          await pending;
          break;
        }
        case 'orphan-thumbnail':
        case 'orphan-rendition':
          await fs.rm(problem.path as string, { force: true });
          log(`Removed ${problem.path as string} (no catalogued image).`);
          break;
        case 'thumbnail-missing': {
          const made = await regenerateThumbnail(catalogue, layout, problem.imageId as number, registry);
          if (!made.ok) throw new Error(made.message);
          log(`Thumbnail of image ${String(problem.imageId)} made again from ${made.source}.`);
          break;
        }
        default:
          continue;
      }
      problem.repaired = true;
    } catch (error) {
      problem.repaired = false;
      problem.repairError = message(error);
    }
  }
  for (const problem of problems) if (!problem.repairable) problem.repaired = false;
  progress({ phase: 'repair', done: repairable.length, total: repairable.length });
}

async function rebuildIndex(catalogue: Catalogue, layout: HomeLayout, modelId: number, log: (m: string) => void): Promise<void> {
  const source = catalogueVectorSource(catalogue, modelId);
  if (!source) throw new Error(`model ${modelId} is not in the catalogue`);
  const revision = source.revision();
  const index = await buildIndex(source, DEFAULT_HNSW_PARAMS);
  try {
    await saveModelIndex({ dir: layout.indexes, modelId }, index, revision);
    log(`Index of model ${modelId} rebuilt from its ${index.size} stored vectors.`);
  } finally {
    index.release(); // only the file was wanted: the graph (and its index thread) go now
  }
}

async function regenerateThumbnail(
  catalogue: Catalogue,
  layout: HomeLayout,
  imageId: number,
  registry: ReturnType<typeof createDefaultRegistry>,
): Promise<{ ok: true; source: string } | { ok: false; message: string }> {
  const image = catalogue.images.get(imageId);
  if (!image) return { ok: false, message: `image ${imageId} is not in the catalogue` };
  for (const p of catalogue.paths.listForImage(imageId)) {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(p.path);
    } catch {
      continue;
    }
    if (sha256(bytes) !== image.hash) continue; // the path now holds other content: not this image's source
    const result = await decodeToThumbnail(registry, p.path, bytes, DEFAULT_LIMITS, thumbnailPath(layout.thumbnails, image.hash));
    if (result.ok) return { ok: true, source: p.path };
  }
  return { ok: false, message: 'no source file with the image\'s content is left on disk to make it from' };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
