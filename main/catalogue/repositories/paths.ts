/** Where content lives on disk: one row per path; several paths may share one image (duplicates). */
import type Database from 'better-sqlite3';

export interface PathRecord {
  id: number;
  path: string;
  imageId: number;
  folderId: number;
  size: number;
  mtimeMs: number;
  lastSeenJob: number | null;
}

interface PathRow {
  id: number;
  path: string;
  image_id: number;
  folder_id: number;
  size: number;
  mtime_ms: number;
  last_seen_job: number | null;
}

function toRecord(row: PathRow): PathRecord {
  return {
    id: row.id,
    path: row.path,
    imageId: row.image_id,
    folderId: row.folder_id,
    size: row.size,
    mtimeMs: row.mtime_ms,
    lastSeenJob: row.last_seen_job,
  };
}

export interface PathUpsert {
  path: string;
  imageId: number;
  folderId: number;
  size: number;
  mtimeMs: number;
  seenByJob: number | null;
}

export function createPathsRepository(db: Database.Database) {
  const byPath = db.prepare<[string], PathRow>('SELECT * FROM image_paths WHERE path = ?');
  const forImage = db.prepare<[number], PathRow>('SELECT * FROM image_paths WHERE image_id = ? ORDER BY id');
  const upsert = db.prepare(
    `INSERT INTO image_paths (path, image_id, folder_id, size, mtime_ms, last_seen_job) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET image_id = excluded.image_id, folder_id = excluded.folder_id,
       size = excluded.size, mtime_ms = excluded.mtime_ms, last_seen_job = excluded.last_seen_job`,
  );
  const markSeen = db.prepare('UPDATE image_paths SET last_seen_job = ? WHERE path = ?');
  const remove = db.prepare('DELETE FROM image_paths WHERE path = ?');
  // substr() instead of LIKE: paths may contain % and _.
  const removeStale = db.prepare(
    `DELETE FROM image_paths
      WHERE substr(path, 1, length(@prefix)) = @prefix AND (last_seen_job IS NULL OR last_seen_job <> @job)`,
  );
  const staleImages = db.prepare<[{ prefix: string; job: number }], { image_id: number }>(
    `SELECT DISTINCT image_id FROM image_paths
      WHERE substr(path, 1, length(@prefix)) = @prefix AND (last_seen_job IS NULL OR last_seen_job <> @job)`,
  );
  const countForImage = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM image_paths WHERE image_id = ?');

  return {
    find(path: string): PathRecord | undefined {
      const row = byPath.get(path);
      return row && toRecord(row);
    },
    listForImage(imageId: number): PathRecord[] {
      return forImage.all(imageId).map(toRecord);
    },
    countForImage(imageId: number): number {
      return countForImage.get(imageId)?.n ?? 0;
    },
    /** Adds the path or points an existing one at (possibly new) content. */
    upsert(p: PathUpsert): void {
      upsert.run(p.path, p.imageId, p.folderId, p.size, p.mtimeMs, p.seenByJob);
    },
    markSeen(path: string, jobId: number): void {
      markSeen.run(jobId, path);
    },
    remove(path: string): boolean {
      return remove.run(path).changes > 0;
    },
    /** Images that have paths under `prefix` which job `jobId` did not see. */
    imageIdsNotSeenUnder(prefix: string, jobId: number): number[] {
      return staleImages.all({ prefix, job: jobId }).map((r) => r.image_id);
    },
    /** Drops paths under `prefix` (which must end with a separator) that job `jobId` did not see. */
    removeNotSeenUnder(prefix: string, jobId: number): number {
      return removeStale.run({ prefix, job: jobId }).changes;
    },
  };
}

export type PathsRepository = ReturnType<typeof createPathsRepository>;
