/**
 * `simila backup` / `simila restore`: a data home into one checksummed file and back.
 *
 * The catalogue (images, paths, vectors, models' records, judgements and result lists: the analyst's
 * marks) is copied with SQLite's online backup API, so a running app may keep writing meanwhile; then
 * model packages, uploaded example images, thumbnails and (unless left out) HNSW index files. Renditions
 * are a cache made on demand and are never included; an index left out is rebuilt from the stored vectors
 * on first use.
 *
 * Restore verifies the whole archive into a staging folder beside the target, then moves it into place,
 * so a damaged backup never leaves a half-restored home. It refuses a non-empty home unless forced.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { appVersion } from '../app/version';
import { openCatalogue } from '../catalogue/catalogue';
import { homeLayout, prepareHome, resolveHome } from '../home/dataHome';
import { fsyncDir } from '../ml/package/durableFiles';
import { extractArchive, readArchiveManifest, writeArchive, type BackupManifest } from './archive';

export const CATALOGUE_ENTRY = 'catalogue.sqlite';

export class MaintenanceError extends Error {
  constructor(
    readonly code: 'no-catalogue' | 'out-exists' | 'home-not-empty' | 'bad-archive' | 'restore-failed',
    message: string,
  ) {
    super(message);
    this.name = 'MaintenanceError';
  }
}

export interface BackupOptions {
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  out: string;
  /** Include the HNSW index files (default true; they are rebuildable). */
  index?: boolean;
  /** Include thumbnails (default true; without them `simila check --repair` remakes those whose source is still on disk). */
  thumbnails?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface BackupResult {
  out: string;
  home: string;
  entries: number;
  bytes: number;
  includes: BackupManifest['includes'];
  seconds: number;
}

/** Temporary names our own atomic writers use; never backed up. */
const TEMPORARY = /\.(tmp|old|partial)([-.]|$)/;

async function listFiles(root: string, relativeTo: string, keep: (rel: string) => boolean = () => true): Promise<{ path: string; file: string }[]> {
  const out: { path: string; file: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (TEMPORARY.test(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const rel = path.relative(relativeTo, full).split(path.sep).join('/');
        if (keep(rel)) out.push({ path: rel, file: full });
      }
    }
  };
  await walk(root);
  return out;
}

export async function backupHome(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const root = resolveHome({ home: options.home, env: options.env });
  const layout = homeLayout(root);
  if (!existsSync(layout.catalogueFile)) throw new MaintenanceError('no-catalogue', `There is no catalogue in ${root} to back up.`);
  const out = path.resolve(options.out);
  if (existsSync(out)) throw new MaintenanceError('out-exists', `${out} already exists; choose another file (a backup never overwrites one).`);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = `${out}.partial-${tag}`;
  const snapshot = `${staging}.catalogue`;
  const includes = { models: true, uploads: true, thumbnails: options.thumbnails !== false, indexes: options.index !== false };
  try {
    // The online backup API copies a consistent snapshot page by page while others may write.
    const db = new Database(layout.catalogueFile, { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      await db.backup(snapshot);
    } finally {
      db.close();
    }
    const sources: { path: string; file: string }[] = [{ path: CATALOGUE_ENTRY, file: snapshot }];
    sources.push(...(await listFiles(layout.models, root)));
    sources.push(...(await listFiles(path.join(root, 'uploads'), root)));
    if (includes.thumbnails) sources.push(...(await listFiles(layout.thumbnails, root)));
    if (includes.indexes) sources.push(...(await listFiles(layout.indexes, root, (rel) => /\.hnsw(\.json)?$/.test(rel))));
    const manifest = await writeArchive(staging, { createdAt: new Date().toISOString(), appVersion: appVersion(), includes }, sources, options.onProgress);
    await fs.rename(staging, out);
    await fsyncDir(path.dirname(out));
    return {
      out,
      home: root,
      entries: manifest.entries.length,
      bytes: (await fs.stat(out)).size,
      includes,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    await fs.rm(snapshot, { force: true });
    await fs.rm(staging, { force: true });
  }
}

export interface RestoreOptions {
  file: string;
  home?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Replace a non-empty home (its previous contents are removed once the restored home opens). */
  force?: boolean;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface RestoreResult {
  home: string;
  file: string;
  entries: number;
  bytes: number;
  includes: BackupManifest['includes'];
  createdAt: string;
  images: number;
  replaced: boolean;
  seconds: number;
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

export async function restoreHome(options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const file = path.resolve(options.file);
  const root = resolveHome({ home: options.home, env: options.env });
  const occupied = !(await isEmptyDir(root));
  if (occupied && !options.force) {
    throw new MaintenanceError('home-not-empty', `${root} is not empty; restore into an empty or new folder, or pass --force to replace what it holds.`);
  }
  let manifest: BackupManifest;
  try {
    ({ manifest } = await readArchiveManifest(file));
  } catch (error) {
    throw new MaintenanceError('bad-archive', error instanceof Error ? error.message : String(error));
  }
  if (!manifest.entries.some((e) => e.path === CATALOGUE_ENTRY)) throw new MaintenanceError('bad-archive', `${file} holds no catalogue.`);

  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const parent = path.dirname(root);
  await fs.mkdir(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(root)}.restore-${tag}`);
  const aside = path.join(parent, `.${path.basename(root)}.replaced-${tag}`);
  await fs.mkdir(staging);
  let movedAside = false;
  try {
    try {
      await extractArchive(file, staging, options.onProgress);
    } catch (error) {
      throw new MaintenanceError('bad-archive', error instanceof Error ? error.message : String(error));
    }
    // The restored catalogue must open (migrated if the backup came from an older version) and check out.
    const probe = openCatalogue(path.join(staging, CATALOGUE_ENTRY));
    let images: number;
    try {
      const quick = probe.db.pragma('quick_check', { simple: true });
      if (quick !== 'ok') throw new MaintenanceError('restore-failed', `The restored catalogue fails SQLite's quick check: ${String(quick)}`);
      images = (probe.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
    } finally {
      probe.close();
    }
    await fsyncDir(staging);
    if (existsSync(root)) {
      await fs.rename(root, aside);
      movedAside = true;
    }
    await fs.rename(staging, root);
    await fsyncDir(parent);
    prepareHome({ home: root, env: {} }); // the folders a backup leaves out (renditions, indexes) exist again
    if (movedAside) await fs.rm(aside, { recursive: true, force: true });
    return {
      home: root,
      file,
      entries: manifest.entries.length,
      bytes: manifest.entries.reduce((sum, e) => sum + e.size, 0),
      includes: manifest.includes,
      createdAt: manifest.createdAt,
      images,
      replaced: occupied,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } catch (error) {
    // Put the previous home back if it was already moved aside and the new one is not in place.
    if (movedAside && !existsSync(root)) await fs.rename(aside, root).catch(() => undefined);
    throw error;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
