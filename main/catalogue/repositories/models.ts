/**
 * Registered models: name + version, lineage (parent), training stage, the package folder (relative to
 * the data home's models/ folder), embedding size and manifest. At most one model is active.
 */
import type Database from 'better-sqlite3';

export interface ModelRecord {
  id: number;
  name: string;
  version: number;
  parentId: number | null;
  stage: string;
  /** Relative to <home>/models. */
  dir: string;
  embeddingDim: number;
  manifest: unknown;
  active: boolean;
  createdAt: string;
}

export interface NewModel {
  name: string;
  /** Defaults to one more than the highest version registered under `name`. */
  version?: number;
  parentId?: number | null;
  stage: string;
  dir: string;
  embeddingDim: number;
  manifest?: unknown;
}

interface ModelRow {
  id: number;
  name: string;
  version: number;
  parent_id: number | null;
  stage: string;
  dir: string;
  embedding_dim: number;
  manifest: string;
  is_active: number;
  created_at: string;
}

function toRecord(row: ModelRow): ModelRecord {
  let manifest: unknown = {};
  try {
    manifest = JSON.parse(row.manifest);
  } catch {
    manifest = {};
  }
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    parentId: row.parent_id,
    stage: row.stage,
    dir: row.dir,
    embeddingDim: row.embedding_dim,
    manifest,
    active: row.is_active === 1,
    createdAt: row.created_at,
  };
}

export function createModelsRepository(db: Database.Database) {
  const insert = db.prepare(
    `INSERT INTO models (name, version, parent_id, stage, dir, embedding_dim, manifest, created_at)
     VALUES (@name, @version, @parentId, @stage, @dir, @embeddingDim, @manifest, @createdAt)`,
  );
  const nextVersion = db.prepare<[string], { v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE name = ?');
  const byId = db.prepare<[number], ModelRow>('SELECT * FROM models WHERE id = ?');
  const byDir = db.prepare<[string], ModelRow>('SELECT * FROM models WHERE dir = ?');
  const all = db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY id');
  const activeRow = db.prepare<[], ModelRow>('SELECT * FROM models WHERE is_active = 1');
  const clearActive = db.prepare('UPDATE models SET is_active = 0 WHERE is_active = 1');
  const setActive = db.prepare('UPDATE models SET is_active = 1 WHERE id = ?');
  const updateManifest = db.prepare('UPDATE models SET manifest = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM models WHERE id = ?');
  const revision = db.prepare<[number], { r: number }>('SELECT embeddings_revision AS r FROM models WHERE id = ?');

  const activate = db.transaction((id: number) => {
    if (!byId.get(id)) return false;
    clearActive.run();
    setActive.run(id);
    return true;
  });
  const register = db.transaction((m: NewModel): ModelRecord => {
    const version = m.version ?? nextVersion.get(m.name)?.v ?? 1;
    const info = insert.run({
      name: m.name,
      version,
      parentId: m.parentId ?? null,
      stage: m.stage,
      dir: m.dir,
      embeddingDim: m.embeddingDim,
      manifest: JSON.stringify(m.manifest ?? {}),
      createdAt: new Date().toISOString(),
    });
    return toRecord(byId.get(Number(info.lastInsertRowid))!);
  });

  return {
    /** Throws on a duplicate (name, version) or dir, or an unknown parent. */
    register(m: NewModel): ModelRecord {
      return register(m);
    },
    get(id: number): ModelRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    findByDir(dir: string): ModelRecord | undefined {
      const row = byDir.get(dir);
      return row && toRecord(row);
    },
    list(): ModelRecord[] {
      return all.all().map(toRecord);
    },
    /** The model and its ancestors, newest first (stops on a cycle). */
    lineage(id: number): ModelRecord[] {
      const out: ModelRecord[] = [];
      const seen = new Set<number>();
      let row = byId.get(id);
      while (row && !seen.has(row.id)) {
        seen.add(row.id);
        out.push(toRecord(row));
        row = row.parent_id === null ? undefined : byId.get(row.parent_id);
      }
      return out;
    },
    active(): ModelRecord | undefined {
      const row = activeRow.get();
      return row && toRecord(row);
    },
    /** Makes `id` the only active model; false when it does not exist. */
    setActive(id: number): boolean {
      return activate(id);
    },
    setManifest(id: number, manifest: unknown): void {
      updateManifest.run(JSON.stringify(manifest), id);
    },
    /** Deletes the model and (by cascade) its embeddings; children keep existing with no parent. */
    remove(id: number): boolean {
      return remove.run(id).changes > 0;
    },
    /** Grows on every change to this model's embeddings; index files record it to detect staleness. */
    embeddingsRevision(id: number): number | undefined {
      return revision.get(id)?.r;
    },
  };
}
