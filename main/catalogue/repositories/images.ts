/** Images, identified by content hash. Listing shows only images that still have at least one path. */
import type Database from 'better-sqlite3';

export type ImageMeta = Record<string, string | number | null>;

export interface ImageRecord {
  id: number;
  hash: string;
  width: number;
  height: number;
  format: string;
  byteSize: number;
  addedAt: string;
  meta: ImageMeta;
}

export interface NewImage {
  hash: string;
  width: number;
  height: number;
  format: string;
  byteSize: number;
  meta: ImageMeta;
}

/** One row of a library page: the image plus its first path (in the folder asked for, if any). */
export interface ImageListItem {
  id: number;
  width: number;
  height: number;
  format: string;
  path: string;
  folderId: number;
}

interface ImageRow {
  id: number;
  hash: string;
  width: number;
  height: number;
  format: string;
  byte_size: number;
  added_at: string;
  meta: string;
}

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    hash: row.hash,
    width: row.width,
    height: row.height,
    format: row.format,
    byteSize: row.byte_size,
    addedAt: row.added_at,
    meta: parseMeta(row.meta),
  };
}

function parseMeta(text: string): ImageMeta {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as ImageMeta) : {};
  } catch {
    return {};
  }
}

export function createImagesRepository(db: Database.Database) {
  const byHash = db.prepare<[string], ImageRow>('SELECT * FROM images WHERE hash = ?');
  const byId = db.prepare<[number], ImageRow>('SELECT * FROM images WHERE id = ?');
  const insert = db.prepare(
    'INSERT INTO images (hash, width, height, format, byte_size, added_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const pageAll = db.prepare<[number, number], { id: number; width: number; height: number; format: string; path: string; folder_id: number }>(
    `SELECT i.id, i.width, i.height, i.format, p.path, p.folder_id
       FROM images i JOIN image_paths p ON p.id = (SELECT MIN(id) FROM image_paths WHERE image_id = i.id)
      ORDER BY i.id LIMIT ? OFFSET ?`,
  );
  const pageInFolder = db.prepare<[number, number, number], { id: number; width: number; height: number; format: string; path: string; folder_id: number }>(
    `SELECT i.id, i.width, i.height, i.format, p.path, p.folder_id
       FROM images i JOIN image_paths p ON p.id = (SELECT MIN(id) FROM image_paths WHERE image_id = i.id AND folder_id = ?)
      ORDER BY i.id LIMIT ? OFFSET ?`,
  );
  const countAll = db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT image_id) AS n FROM image_paths');
  const countInFolder = db.prepare<[number], { n: number }>(
    'SELECT COUNT(DISTINCT image_id) AS n FROM image_paths WHERE folder_id = ?',
  );

  return {
    findByHash(hash: string): ImageRecord | undefined {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    get(id: number): ImageRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    insert(image: NewImage): number {
      const result = insert.run(
        image.hash,
        image.width,
        image.height,
        image.format,
        image.byteSize,
        new Date().toISOString(),
        JSON.stringify(image.meta),
      );
      return Number(result.lastInsertRowid);
    },
    /** Number of images that have at least one path (optionally in one folder). */
    countVisible(folderId?: number | null): number {
      return (folderId == null ? countAll.get() : countInFolder.get(folderId))?.n ?? 0;
    },
    page(offset: number, limit: number, folderId?: number | null): ImageListItem[] {
      const rows = folderId == null ? pageAll.all(limit, offset) : pageInFolder.all(folderId, limit, offset);
      return rows.map((r) => ({ id: r.id, width: r.width, height: r.height, format: r.format, path: r.path, folderId: r.folder_id }));
    },
  };
}

export type ImagesRepository = ReturnType<typeof createImagesRepository>;
