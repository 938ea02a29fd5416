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
  // Deep pages: the same rows as pageAll / pageInFolder, found by an id range instead of OFFSET.
  const rangeAll = db.prepare<[number, number], { id: number; width: number; height: number; format: string; path: string; folder_id: number }>(
    `SELECT i.id, i.width, i.height, i.format, p.path, p.folder_id
       FROM images i JOIN image_paths p ON p.id = (SELECT MIN(id) FROM image_paths WHERE image_id = i.id)
      WHERE i.id BETWEEN ? AND ? ORDER BY i.id`,
  );
  const rangeInFolder = db.prepare<[number, number, number], { id: number; width: number; height: number; format: string; path: string; folder_id: number }>(
    `SELECT i.id, i.width, i.height, i.format, p.path, p.folder_id
       FROM images i JOIN image_paths p ON p.id = (SELECT MIN(id) FROM image_paths WHERE image_id = i.id AND folder_id = ?)
      WHERE i.id BETWEEN ? AND ? ORDER BY i.id`,
  );
  const updateMeta = db.prepare('UPDATE images SET meta = ? WHERE id = ?');
  const visibleIds = new VisibleIdCache(db);
  const visibleCounts = new Map<number | null, { version: number; n: number }>();

  return {
    findByHash(hash: string): ImageRecord | undefined {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    get(id: number): ImageRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    /** Library rows of the given ids, in the given order (ids without a path are left out). */
    byIds(ids: readonly number[], folderId: number | null): ImageListItem[] {
      const out: ImageListItem[] = [];
      for (const id of ids) {
        const r = (folderId == null ? rangeAll.all(id, id) : rangeInFolder.all(folderId, id, id))[0];
        if (r) out.push({ id: r.id, width: r.width, height: r.height, format: r.format, path: r.path, folderId: r.folder_id });
      }
      return out;
    },
    /** Merges keys into an image's meta (a header re-read adds facts that older imports did not keep). */
    mergeMeta(id: number, extra: ImageMeta): void {
      const row = byId.get(id);
      if (row) updateMeta.run(JSON.stringify({ ...parseMeta(row.meta), ...extra }), id);
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
    /**
     * A test of whether an image has at least one path (is listed), over the sorted ids cached now: a
     * binary search instead of two queries per id (a re-rank screens thousands of candidates). Take one
     * per request; it does not see later changes.
     */
    visibility(): (id: number) => boolean {
      const ids = visibleIds.get(null);
      return (id) => containsSorted(ids, id);
    },
    /** Moves whenever a path is added or removed (what visibility() answers may have changed). */
    visibilityVersion(): number {
      return visibleIds.currentVersion();
    },
    /** Number of images that have at least one path (optionally in one folder). */
    countVisible(folderId?: number | null): number {
      // The cached list when it is current or an import's inserts bring it up to date cheaply.
      const cached = visibleIds.ifCheap(folderId);
      if (cached) return cached.length;
      // Every search answer carries the archive's size: remember it until a path changes.
      const version = visibleIds.currentVersion();
      const known = visibleCounts.get(folderId ?? null);
      if (known && known.version === version) return known.n;
      const n = (folderId == null ? countAll.get() : countInFolder.get(folderId))?.n ?? 0;
      if (visibleCounts.size > 16) visibleCounts.clear();
      visibleCounts.set(folderId ?? null, { version, n });
      return n;
    },
    /**
     * Images with at least one path, by id, from `offset`. Shallow pages use OFFSET; deep ones (a
     * scrollbar dragged far into a million-image archive, where OFFSET walks every skipped row) read
     * the id range from the cached sorted ids and fetch just that range.
     */
    page(offset: number, limit: number, folderId?: number | null): ImageListItem[] {
      let rows;
      if (offset < DIRECT_OFFSET_LIMIT || limit <= 0) {
        rows = folderId == null ? pageAll.all(limit, offset) : pageInFolder.all(folderId, limit, offset);
      } else {
        const ids = visibleIds.get(folderId);
        const last = Math.min(ids.length, offset + limit) - 1;
        if (offset > last) return [];
        const [from, to] = [ids[offset] as number, ids[last] as number];
        rows = folderId == null ? rangeAll.all(from, to) : rangeInFolder.all(folderId, from, to);
      }
      return rows.map((r) => ({ id: r.id, width: r.width, height: r.height, format: r.format, path: r.path, folderId: r.folder_id }));
    },
  };
}

export type ImagesRepository = ReturnType<typeof createImagesRepository>;

/** Below this offset OFFSET is cheap (~0.3 ms per 1,000 skipped rows here); from it on, the id cache pays. */
const DIRECT_OFFSET_LIMIT = 5000;

/**
 * Sorted ids of the visible images (all, or one folder's), kept current from the image-paths change
 * counters (migrations 006 and 013, bumped by triggers, so writes from any connection count). When only
 * inserts happened since (the removed counter did not move), the images of the paths added since are
 * merged in: an import into a million-image archive costs a small query and a copy, not a re-read of every
 * id (~0.5 s). A delete or re-homing rebuilds the list. Every deep page is then an id-range query.
 */
class VisibleIdCache {
  private readonly counters;
  private readonly maxPathId;
  private readonly all;
  private readonly inFolder;
  private readonly addedAll;
  private readonly addedInFolder;
  private readonly snapshot;
  private readonly entries = new Map<number | null, CacheEntry>();

  constructor(db: Database.Database) {
    this.counters = db.prepare<[], { name: string; value: number }>(
      "SELECT name, value FROM change_counters WHERE name IN ('image_paths', 'image_paths_removed')",
    );
    this.maxPathId = db.prepare<[], number>('SELECT COALESCE(MAX(id), 0) FROM image_paths').pluck();
    this.all = db.prepare<[], number>('SELECT DISTINCT image_id FROM image_paths ORDER BY image_id').pluck();
    this.inFolder = db.prepare<[number], number>('SELECT DISTINCT image_id FROM image_paths WHERE folder_id = ? ORDER BY image_id').pluck();
    this.addedAll = db.prepare<[number], number>('SELECT DISTINCT image_id FROM image_paths WHERE id > ? ORDER BY image_id').pluck();
    this.addedInFolder = db.prepare<[number, number], number>(
      'SELECT DISTINCT image_id FROM image_paths WHERE id > ? AND folder_id = ? ORDER BY image_id',
    ).pluck();
    // One read transaction: counters, the highest path id and the ids come from the same snapshot, so a
    // write from another process between them cannot be counted without its rows (or the other way round).
    this.snapshot = db.transaction((read: () => Float64Array): Float64Array => read());
  }

  private readCounters(): { version: number; removed: number } {
    let version = 0;
    let removed = 0;
    for (const row of this.counters.all()) {
      if (row.name === 'image_paths') version = row.value;
      else removed = row.value;
    }
    return { version, removed };
  }

  currentVersion(): number {
    return this.readCounters().version;
  }

  /** The ids if an earlier list can be brought up to date by inserts alone (or is current), else undefined. */
  ifCheap(folderId: number | null | undefined): Float64Array | undefined {
    const key = folderId ?? null;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const counters = this.readCounters();
    if (entry.version === counters.version) return entry.ids;
    return entry.removed === counters.removed ? this.get(key) : undefined;
  }

  get(folderId: number | null | undefined): Float64Array {
    const key = folderId ?? null;
    return this.snapshot(() => {
      const { version, removed } = this.readCounters();
      const entry = this.entries.get(key);
      if (entry && entry.version === version) return entry.ids;
      const maxPathId = this.maxPathId.get() ?? 0;
      let ids: Float64Array;
      if (entry && entry.removed === removed) {
        const added = key == null ? this.addedAll.all(entry.maxPathId) : this.addedInFolder.all(entry.maxPathId, key);
        ids = mergeSortedIds(entry.ids, added);
      } else {
        ids = Float64Array.from(key == null ? this.all.all() : this.inFolder.all(key));
      }
      // One folder's list besides the whole archive's is plenty: a library view shows one at a time.
      for (const other of [...this.entries.keys()]) if (other !== null && other !== key) this.entries.delete(other);
      this.entries.set(key, { version, removed, maxPathId, ids });
      return ids;
    });
  }
}

interface CacheEntry {
  /** The change counters the list was current at. */
  version: number;
  removed: number;
  /** The highest image-path id then: paths inserted later have higher ids. */
  maxPathId: number;
  ids: Float64Array;
}

/** `sorted` with the ids of `added` (sorted, maybe already present) merged in, as a new sorted array. */
export function mergeSortedIds(sorted: Float64Array, added: readonly number[]): Float64Array {
  const fresh = added.filter((id) => !containsSorted(sorted, id));
  if (fresh.length === 0) return sorted;
  const out = new Float64Array(sorted.length + fresh.length);
  const last = sorted.length > 0 ? sorted[sorted.length - 1]! : -Infinity;
  if (fresh[0]! > last) {
    // The usual import: every new image has a higher id than any listed one.
    out.set(sorted);
    out.set(fresh, sorted.length);
    return out;
  }
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < sorted.length && j < fresh.length) out[o++] = sorted[i]! < fresh[j]! ? sorted[i++]! : fresh[j++]!;
  while (i < sorted.length) out[o++] = sorted[i++]!;
  while (j < fresh.length) out[o++] = fresh[j++]!;
  return out;
}

/** Position of `id` in ascending `ids` (binary search), -1 when it is not there. */
export function indexOfSorted(ids: ArrayLike<number>, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ids[mid]!;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const containsSorted = (ids: ArrayLike<number>, id: number): boolean => indexOfSorted(ids, id) >= 0;
