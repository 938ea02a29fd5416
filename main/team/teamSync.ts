/**
 * `simila sync --team URL`: brings this data home up to date with the team store and pushes what was
 * made here. Push first: the local outbox (filled by triggers, migration 010) is sent in order; labels and
 * marks carry the time the analyst made them and the store keeps the later one (a conflicting edit is
 * resolved by that rule, never silently dropped: the losing side receives the winner on its next pull).
 * Then pull: per table, only rows whose team seq is above this home's cursor, in pages, each page applied
 * in one SQLite transaction together with the cursor (a killed sync goes on where it stopped; memory is
 * bounded by the page size). Images travel with their thumbnail (team schema 2): an image from the team
 * that has no file here is listed in the library under a remote path (`team://WORKSTATION/PATH`, see
 * shared/teamPaths.ts) with its thumbnail written here; its vectors feed search, and the full view says
 * the file is on another workstation.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Catalogue } from '../catalogue/catalogue';
import { placeImage } from '../catalogue/hierarchyPlacement';
import { decodeVector } from '../catalogue/repositories/vectorBlob';
import { thumbnailPath } from '../ingest/thumbnails';
import { isRemotePath, parseRemotePath, remotePath } from '../../shared/teamPaths';
import { localModelKey, localModelOf, pushModel, unpackFolder } from './teamModels';
import { TEAM_SCHEMA as S, type TeamStore } from './teamStore';

export interface SyncCounts {
  images: number;
  vectors: number;
  classes: number;
  labels: number;
  marks: number;
  models: number;
}

export interface SyncSummary {
  pushed: SyncCounts;
  pulled: SyncCounts;
  seconds: number;
  at: string;
}

export interface SyncOptions {
  store: TeamStore;
  catalogue: Catalogue;
  modelsDir: string;
  /** The home's thumbnails folder: thumbnails are pushed from and pulled into it. */
  thumbnailsDir: string;
  /** Rows per page (default 5,000). */
  pageSize?: number;
  /** Who recorded what was pushed (default: host name). */
  workstation?: string;
  onProgress?: (phase: 'push' | 'pull', table: string, rows: number) => void;
}

const zero = (): SyncCounts => ({ images: 0, vectors: 0, classes: 0, labels: 0, marks: 0, models: 0 });

function state(catalogue: Catalogue) {
  const get = catalogue.db.prepare<[string], string>('SELECT value FROM team_sync_state WHERE key = ?').pluck();
  const put = catalogue.db.prepare('INSERT INTO team_sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  return { get: (key: string) => get.get(key) ?? null, put: (key: string, value: string) => put.run(key, value) };
}

/** When this home last synced and what it moved (null: never). */
export function lastSync(catalogue: Catalogue): { at: string; summary: SyncSummary | null; store: string | null } | null {
  const s = state(catalogue);
  const at = s.get('last_sync_at');
  if (!at) return null;
  let summary: SyncSummary | null = null;
  try {
    summary = JSON.parse(s.get('last_sync_summary') ?? 'null') as SyncSummary | null;
  } catch {
    summary = null;
  }
  return { at, summary, store: s.get('last_sync_store') };
}

/**
 * Turns change capture on (first sync with a team store): everything already catalogued goes into the
 * outbox once, in dependency order, so the first push sends it.
 */
export function enableCapture(catalogue: Catalogue): boolean {
  const s = state(catalogue);
  if (s.get('capture') === '1') return false;
  catalogue.transaction(() => {
    s.put('capture', '1');
    catalogue.db.exec(`
      INSERT INTO team_outbox (kind, a) SELECT 'model', id FROM models ORDER BY id;
      INSERT INTO team_outbox (kind, a) SELECT 'image', id FROM images ORDER BY id;
      INSERT INTO team_outbox (kind, a, b) SELECT 'vector', model_id, image_id FROM embeddings ORDER BY model_id, image_id;
      INSERT INTO team_outbox (kind, a, c) SELECT 'class', id, name FROM target_classes ORDER BY id;
      INSERT INTO team_outbox (kind, a, b, c) SELECT 'label', l.class_id, l.image_id, c.name FROM image_labels l JOIN target_classes c ON c.id = l.class_id;
      INSERT INTO team_outbox (kind, a, b, c) SELECT 'mark', model_id, image_id, query_key FROM feedback_judgements;
    `);
  });
  return true;
}

interface OutboxRow {
  seq: number;
  kind: string;
  a: number | null;
  b: number | null;
  c: string | null;
  at: string;
}

/** A local query key in team form: image and series ids become their content hash / series key. */
function toTeamQueryKey(catalogue: Catalogue, key: string): string {
  const image = /^image:(\d+)$/.exec(key);
  if (image) {
    const hash = catalogue.images.get(Number(image[1]))?.hash;
    return hash ? `image-hash:${hash}` : key;
  }
  const series = /^series:(\d+)$/.exec(key);
  if (series) {
    const s = catalogue.hierarchy.series(Number(series[1]));
    return s ? `series-key:${s.seriesKey}` : key;
  }
  return key;
}

function fromTeamQueryKey(catalogue: Catalogue, key: string): string {
  const image = /^image-hash:([0-9a-f]+)$/.exec(key);
  if (image) {
    const id = catalogue.images.findByHash(image[1]!)?.id;
    return id !== undefined ? `image:${id}` : key;
  }
  const series = /^series-key:(.+)$/.exec(key);
  if (series) {
    const id = catalogue.hierarchy.seriesByKey(series[1]!)?.id;
    return id !== undefined ? `series:${id}` : key;
  }
  return key;
}

const classKey = (name: string) => name.trim().toLowerCase();

async function pushOutbox(options: SyncOptions): Promise<SyncCounts> {
  const { store, catalogue } = options;
  const counts = zero();
  const pageSize = options.pageSize ?? 5000;
  const me = options.workstation ?? os.hostname();
  const page = catalogue.db.prepare<[number, number], OutboxRow>('SELECT * FROM team_outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const removeUpTo = catalogue.db.prepare('DELETE FROM team_outbox WHERE seq <= ?');
  const imageRow = catalogue.db.prepare<[number], { hash: string; width: number; height: number; format: string; byte_size: number; meta: string; path: string | null; series_key: string | null; study_key: string | null; kind: string | null; modality: string | null; body_part: string | null; study_date: string | null; series_description: string | null; sop_uid: string | null; instance_number: number | null }>(
    `SELECT i.hash, i.width, i.height, i.format, i.byte_size, i.meta,
            (SELECT path FROM image_paths WHERE image_id = i.id ORDER BY id LIMIT 1) AS path,
            s.series_key, s.study_key, s.kind, s.modality, s.body_part, s.study_date, s.series_description, h.sop_uid, h.instance_number
       FROM images i LEFT JOIN image_hierarchy h ON h.image_id = i.id LEFT JOIN series s ON s.id = h.series_id
      WHERE i.id = ?`,
  );
  const hashOf = catalogue.db.prepare<[number], string>('SELECT hash FROM images WHERE id = ?').pluck();
  const vectorOf = catalogue.db.prepare<[number, number], Buffer>('SELECT vector FROM embeddings WHERE model_id = ? AND image_id = ?').pluck();
  const classOf = catalogue.db.prepare<[number], { name: string; created_at: string }>('SELECT name, created_at FROM target_classes WHERE id = ?');
  const classByName = catalogue.db.prepare<[string], { id: number; name: string; created_at: string }>('SELECT id, name, created_at FROM target_classes WHERE name = ? COLLATE NOCASE');
  const labelOf = catalogue.db.prepare<[number, number], string>('SELECT role FROM image_labels WHERE class_id = ? AND image_id = ?').pluck();
  const markOf = catalogue.db.prepare<[string, number, number], { judgement: string; updated_at: string }>(
    'SELECT judgement, updated_at FROM feedback_judgements WHERE query_key = ? AND model_id = ? AND image_id = ?',
  );

  let after = 0;
  for (;;) {
    const rows = page.all(after, pageSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.seq;
    await store.write(async (client) => {
      const models = new Map<number, string | null>();
      const modelKey = async (id: number) => {
        if (!models.has(id)) {
          const key = await pushModel(client, catalogue, options.modelsDir, id);
          if (key && !models.has(id)) counts.models++;
          models.set(id, key);
        }
        return models.get(id) ?? null;
      };
      const images: unknown[][] = Array.from({ length: 18 }, () => []);
      const vectors: [string[], string[], Buffer[]] = [[], [], []];
      const flushImages = async () => {
        if (images[0]!.length === 0) return;
        await client.query(
          `INSERT INTO ${S}.images (hash, width, height, format, byte_size, meta, source, series_key, study_key, series_kind, modality, body_part, study_date, series_description, sop_uid, instance_number, recorded_by, thumbnail)
           SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::bigint[], $6::jsonb[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::int[], $17::text[], $18::bytea[])
           ON CONFLICT (hash) DO UPDATE SET thumbnail = excluded.thumbnail
           WHERE ${S}.images.thumbnail IS NULL AND excluded.thumbnail IS NOT NULL`,
          images,
        );
        counts.images += images[0]!.length;
        for (const column of images) column.length = 0;
      };
      const flushVectors = async () => {
        if (vectors[0].length === 0) return;
        await client.query(
          `INSERT INTO ${S}.vectors (model_key, hash, vector) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
           ON CONFLICT (model_key, hash) DO UPDATE SET vector = excluded.vector, writes = ${S}.vectors.writes + 1
           WHERE ${S}.vectors.vector IS DISTINCT FROM excluded.vector`,
          vectors,
        );
        counts.vectors += vectors[0].length;
        for (const column of vectors) column.length = 0;
      };
      for (const row of rows) {
        if (row.kind !== 'image') await flushImages();
        if (row.kind !== 'vector') await flushVectors();
        if (row.kind === 'model' && row.a !== null) await modelKey(row.a);
        else if (row.kind === 'image' && row.a !== null) {
          const r = imageRow.get(row.a);
          if (!r) continue;
          const source = r.path && isRemotePath(r.path) ? (parseRemotePath(r.path)?.source ?? null) : r.path;
          const values = [r.hash, r.width, r.height, r.format, r.byte_size, r.meta, source, r.series_key, r.study_key, r.kind, r.modality, r.body_part, r.study_date, r.series_description, r.sop_uid, r.instance_number, me, readThumbnail(options.thumbnailsDir, r.hash)];
          values.forEach((v, i) => images[i]!.push(v));
        } else if (row.kind === 'vector' && row.a !== null && row.b !== null) {
          const key = await modelKey(row.a);
          const hash = hashOf.get(row.b);
          const vector = vectorOf.get(row.a, row.b);
          if (!key || !hash || !vector) continue;
          vectors[0].push(key);
          vectors[1].push(hash);
          vectors[2].push(vector);
        } else if (row.kind === 'class' && row.c) {
          const c = row.a !== null ? classOf.get(row.a) : undefined;
          if (!c) continue;
          await client.query(
            `INSERT INTO ${S}.classes (name_key, name, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name_key) DO UPDATE SET deleted = false, name = excluded.name, updated_at = excluded.updated_at
             WHERE ${S}.classes.updated_at < excluded.updated_at`,
            [classKey(c.name), c.name, c.created_at, row.at],
          );
          counts.classes++;
        } else if (row.kind === 'class_deleted' && row.c) {
          if (classByName.get(row.c)) continue; // renamed back or re-created: not a deletion any more
          await client.query(
            `UPDATE ${S}.classes SET deleted = true, updated_at = $2 WHERE name_key = $1 AND updated_at < $2`,
            [classKey(row.c), row.at],
          );
          await client.query(`UPDATE ${S}.labels SET role = NULL, updated_at = $2 WHERE class_key = $1 AND role IS NOT NULL AND updated_at < $2`, [classKey(row.c), row.at]);
          counts.classes++;
        } else if (row.kind === 'label' && row.c && row.a !== null && row.b !== null) {
          const hash = hashOf.get(row.b);
          const c = classByName.get(row.c);
          if (!hash) continue;
          const role = c ? (labelOf.get(c.id, row.b) ?? null) : null;
          if (c) {
            await client.query(
              `INSERT INTO ${S}.classes (name_key, name, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (name_key) DO NOTHING`,
              [classKey(c.name), c.name, c.created_at],
            );
          }
          await client.query(
            `INSERT INTO ${S}.labels (class_key, hash, role, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (class_key, hash) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at
             WHERE ${S}.labels.updated_at < excluded.updated_at`,
            [classKey(row.c), hash, role, row.at],
          );
          counts.labels++;
        } else if (row.kind === 'mark' && row.c && row.a !== null && row.b !== null) {
          const key = await modelKey(row.a);
          const hash = hashOf.get(row.b);
          if (!key || !hash) continue;
          const mark = markOf.get(row.c, row.a, row.b);
          // A mark carries the time the analyst made it; a cleared one, the time it was cleared.
          await client.query(
            `INSERT INTO ${S}.marks (query_key, model_key, hash, judgement, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (query_key, model_key, hash) DO UPDATE SET judgement = excluded.judgement, updated_at = excluded.updated_at
             WHERE ${S}.marks.updated_at < excluded.updated_at`,
            [toTeamQueryKey(catalogue, row.c), key, hash, mark?.judgement ?? null, mark?.updated_at ?? row.at],
          );
          counts.marks++;
        }
      }
      await flushImages();
      await flushVectors();
    });
    removeUpTo.run(after);
    options.onProgress?.('push', 'outbox', rows.length);
  }
  return counts;
}

async function storeId(client: pg.PoolClient): Promise<string> {
  const row = await client.query<{ id: string }>('SELECT system_identifier::text || \':\' || current_database() AS id FROM pg_control_system()');
  return row.rows[0]!.id;
}

/** Pulls one table's changed rows, page by page; `apply` runs inside the page's SQLite transaction. */
async function pullTable<R extends { seq: string }>(
  options: SyncOptions,
  id: string,
  table: string,
  select: string,
  apply: (rows: R[]) => number,
): Promise<number> {
  const { store, catalogue } = options;
  const s = state(catalogue);
  const pageSize = options.pageSize ?? 5000;
  const cursorKey = `cursor:${id}:${table}`;
  let total = 0;
  for (;;) {
    const cursor = s.get(cursorKey) ?? '0';
    const rows = await store.read(async (client) => (await client.query<R>(`${select} WHERE seq > $1 ORDER BY seq LIMIT $2`, [cursor, pageSize])).rows);
    if (rows.length === 0) break;
    catalogue.transaction(() => {
      s.put('capture', '0');
      total += apply(rows);
      s.put(cursorKey, rows[rows.length - 1]!.seq);
      s.put('capture', '1');
    });
    options.onProgress?.('pull', table, rows.length);
    if (rows.length < pageSize) break;
  }
  return total;
}

async function pullAll(options: SyncOptions): Promise<SyncCounts> {
  const { catalogue } = options;
  const db = catalogue.db;
  const counts = zero();
  const id = await options.store.read(storeId);
  const pending = db.prepare<[string, number, number], number>('SELECT 1 FROM team_outbox WHERE kind = ? AND a = ? AND b = ? LIMIT 1').pluck();

  // Models first: a model this home lacks is installed from its package.
  type ModelRow = { seq: string; key: string; name: string; version: number; stage: string; embedding_dim: number; manifest: unknown; package: Buffer | null; parent_key: string | null };
  const packages: ModelRow[] = [];
  counts.models = await pullTable<ModelRow>(options, id, 'models', `SELECT seq, key, name, version, stage, embedding_dim, manifest, package, parent_key FROM ${S}.models`, (rows) => {
    let n = 0;
    for (const row of rows) {
      if (localModelOf(catalogue, row.key) !== null) continue;
      packages.push(row);
      n++;
    }
    return n;
  });
  for (const row of packages) {
    if (localModelOf(catalogue, row.key) !== null) continue;
    const dir = `team-${row.key.replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
    if (row.package) unpackFolder(row.package, path.join(options.modelsDir, dir));
    catalogue.transaction(() => {
      state(catalogue).put('capture', '0');
      const parentId = row.parent_key ? localModelOf(catalogue, row.parent_key) : null;
      let version = row.version;
      const taken = db.prepare<[string, number], number>('SELECT 1 FROM models WHERE name = ? AND version = ?').pluck();
      while (taken.get(row.name, version)) version += 1000; // a local model already has this name and version
      const model = catalogue.models.register({ name: row.name, version, parentId, stage: row.stage, dir, embeddingDim: row.embedding_dim, manifest: row.manifest });
      db.prepare('INSERT OR REPLACE INTO team_model_keys (model_id, team_key) VALUES (?, ?)').run(model.id, row.key);
      state(catalogue).put('capture', '1');
    });
  }

  const insertImage = db.prepare(
    'INSERT OR IGNORE INTO images (hash, width, height, format, byte_size, added_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const imageIdOf = db.prepare<[string], number>('SELECT id FROM images WHERE hash = ?').pluck();
  const hasPath = db.prepare<[number], number>('SELECT 1 FROM image_paths WHERE image_id = ? LIMIT 1').pluck();
  const pathTaken = db.prepare<[string], number>('SELECT 1 FROM image_paths WHERE path = ?').pluck();
  const isFiled = db.prepare<[number], number>('SELECT 1 FROM image_hierarchy WHERE image_id = ?').pluck();
  const folderIds = new Map<string, number>();
  const folderOf = (dir: string) => {
    let folderId = folderIds.get(dir);
    if (folderId === undefined) {
      folderId = catalogue.folders.ensure(dir);
      if (folderIds.size > 10_000) folderIds.clear();
      folderIds.set(dir, folderId);
    }
    return folderId;
  };
  type ImageRow = { seq: string; hash: string; width: number; height: number; format: string; byte_size: string; meta: Record<string, unknown>; source: string | null; series_key: string | null; recorded_at: Date; recorded_by: string | null; thumbnail: Buffer | null };
  counts.images = await pullTable<ImageRow>(
    options,
    id,
    'images',
    `SELECT seq, hash, width, height, format, byte_size, meta, source, series_key, recorded_at, recorded_by, thumbnail FROM ${S}.images`,
    (rows) => {
      let n = 0;
      for (const r of rows) {
        const meta = { ...r.meta, team_source: r.source, ...(r.series_key ? { team_series: r.series_key } : {}) };
        n += insertImage.run(r.hash, r.width, r.height, r.format, Number(r.byte_size), r.recorded_at.toISOString(), JSON.stringify(meta)).changes;
        const imageId = imageIdOf.get(r.hash);
        if (imageId === undefined) continue;
        if (r.thumbnail) writeThumbnail(options.thumbnailsDir, r.hash, r.thumbnail);
        if (hasPath.get(imageId)) continue; // a file here: the library lists it by its local path
        // No file here: listed under its remote path (unique per workstation and path; a clash gets the hash).
        let where = remotePath(r.recorded_by, r.source, r.hash, r.format);
        if (pathTaken.get(where)) where = `${where}#${r.hash.slice(0, 12)}`;
        const folderId = folderOf(path.posix.dirname(where));
        catalogue.paths.upsert({ path: where, imageId, folderId, size: Number(r.byte_size), mtimeMs: 0, seenByJob: null });
        if (!isFiled.get(imageId)) catalogue.hierarchy.file(imageId, placeImage(meta as Parameters<typeof placeImage>[0], r.format, { id: folderId, path: path.posix.dirname(where) }));
      }
      return n;
    },
  );

  const idOf = db.prepare<[string], number>('SELECT id FROM images WHERE hash = ?').pluck();
  const putVector = db.prepare('INSERT OR REPLACE INTO embeddings (model_id, image_id, vector) VALUES (?, ?, ?)');
  const modelIds = new Map<string, number | null>();
  const modelIdOf = (key: string) => {
    if (!modelIds.has(key)) modelIds.set(key, localModelOf(catalogue, key));
    return modelIds.get(key) ?? null;
  };
  type VectorRow = { seq: string; model_key: string; hash: string; vector: Buffer };
  counts.vectors = await pullTable<VectorRow>(options, id, 'vectors', `SELECT seq, model_key, hash, vector FROM ${S}.vectors`, (rows) => {
    let n = 0;
    for (const r of rows) {
      const model = modelIdOf(r.model_key);
      const image = idOf.get(r.hash);
      if (model === null || image === undefined) continue;
      putVector.run(model, image, r.vector);
      n++;
    }
    return n;
  });

  const classByName = db.prepare<[string], { id: number }>('SELECT id FROM target_classes WHERE name = ? COLLATE NOCASE');
  const insertClass = db.prepare('INSERT INTO target_classes (name, created_at) VALUES (?, ?)');
  const deleteClass = db.prepare('DELETE FROM target_classes WHERE id = ?');
  type ClassRow = { seq: string; name_key: string; name: string; created_at: Date; deleted: boolean };
  counts.classes = await pullTable<ClassRow>(options, id, 'classes', `SELECT seq, name_key, name, created_at, deleted FROM ${S}.classes`, (rows) => {
    let n = 0;
    for (const r of rows) {
      const local = classByName.get(r.name);
      if (r.deleted && local) n += deleteClass.run(local.id).changes;
      else if (!r.deleted && !local) n += insertClass.run(r.name, r.created_at.toISOString()).changes;
    }
    return n;
  });

  const upsertLabel = db.prepare(
    `INSERT INTO image_labels (class_id, image_id, role, added_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (class_id, image_id) DO UPDATE SET role = excluded.role`,
  );
  const removeLabel = db.prepare('DELETE FROM image_labels WHERE class_id = ? AND image_id = ?');
  type LabelRow = { seq: string; name: string; hash: string; role: string | null; updated_at: Date };
  counts.labels = await pullTable<LabelRow>(
    options,
    id,
    'labels',
    `SELECT * FROM (SELECT l.seq, c.name, l.hash, l.role, l.updated_at FROM ${S}.labels l JOIN ${S}.classes c ON c.name_key = l.class_key) q`,
    (rows) => {
      let n = 0;
      for (const r of rows) {
        const cls = classByName.get(r.name);
        const image = idOf.get(r.hash);
        if (!cls || image === undefined || pending.get('label', cls.id, image)) continue; // a local edit not yet pushed wins until it is
        n += (r.role ? upsertLabel.run(cls.id, image, r.role, r.updated_at.toISOString()) : removeLabel.run(cls.id, image)).changes;
      }
      return n;
    },
  );

  const upsertMark = db.prepare(
    `INSERT INTO feedback_judgements (query_key, model_id, image_id, judgement, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(query_key, model_id, image_id) DO UPDATE SET judgement = excluded.judgement, updated_at = excluded.updated_at`,
  );
  const removeMark = db.prepare('DELETE FROM feedback_judgements WHERE query_key = ? AND model_id = ? AND image_id = ?');
  type MarkRow = { seq: string; query_key: string; model_key: string; hash: string; judgement: string | null; updated_at: Date };
  counts.marks = await pullTable<MarkRow>(options, id, 'marks', `SELECT seq, query_key, model_key, hash, judgement, updated_at FROM ${S}.marks`, (rows) => {
    let n = 0;
    for (const r of rows) {
      const model = modelIdOf(r.model_key);
      const image = idOf.get(r.hash);
      if (model === null || image === undefined || pending.get('mark', model, image)) continue;
      const key = fromTeamQueryKey(catalogue, r.query_key);
      n += (r.judgement ? upsertMark.run(key, model, image, r.judgement, r.updated_at.toISOString()) : removeMark.run(key, model, image)).changes;
    }
    return n;
  });
  return counts;
}

/** One sync: push this home's outbox, then pull what changed in the team store since the last sync. */
export async function syncWithTeam(options: SyncOptions): Promise<SyncSummary> {
  const started = performance.now();
  enableCapture(options.catalogue);
  const pushed = await pushOutbox(options);
  const pulled = await pullAll(options);
  const at = new Date().toISOString();
  const summary: SyncSummary = { pushed, pulled, seconds: Math.round(performance.now() - started) / 1000, at };
  const s = state(options.catalogue);
  s.put('last_sync_at', at);
  s.put('last_sync_summary', JSON.stringify(summary));
  return summary;
}

/** The thumbnail file of an image, or null when this home has none. */
function readThumbnail(thumbnailsDir: string, hash: string): Buffer | null {
  try {
    return readFileSync(thumbnailPath(thumbnailsDir, hash));
  } catch {
    return null;
  }
}

/** Writes a pulled thumbnail unless this home has one (temp file + rename: never half a file). */
function writeThumbnail(thumbnailsDir: string, hash: string, bytes: Buffer): void {
  const file = thumbnailPath(thumbnailsDir, hash);
  try {
    if (statSync(file).size > 0) return;
  } catch {
    // not there yet
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.team.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, file);
}

/** Vectors of a team model, as stored (for checks and benches). */
export function decodeTeamVector(bytes: Buffer): Float32Array {
  return decodeVector(bytes);
}

export { localModelKey };
