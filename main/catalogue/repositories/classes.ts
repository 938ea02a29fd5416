/**
 * Target classes of few-shot adaptation and their labelled images. An image has one role per class
 * (labelling it again changes the role); deleting a class or an image removes its labels.
 */
import type Database from 'better-sqlite3';

export type LabelRole = 'support' | 'holdout' | 'negative';
export const LABEL_ROLES: readonly LabelRole[] = ['support', 'holdout', 'negative'];

export interface ClassRecord {
  id: number;
  name: string;
  createdAt: string;
  counts: Record<LabelRole, number>;
}

export interface LabelRecord {
  classId: number;
  imageId: number;
  role: LabelRole;
  addedAt: string;
}

export type ClassResult = { ok: true; value: ClassRecord } | { ok: false; code: 'not_found' | 'duplicate_name' | 'unknown_image'; message: string };

interface ClassRow {
  id: number;
  name: string;
  created_at: string;
}

interface LabelRow {
  class_id: number;
  image_id: number;
  role: LabelRole;
  added_at: string;
}

const toLabel = (row: LabelRow): LabelRecord => ({ classId: row.class_id, imageId: row.image_id, role: row.role, addedAt: row.added_at });

export function createClassesRepository(db: Database.Database) {
  const insert = db.prepare('INSERT INTO target_classes (name, created_at) VALUES (?, ?)');
  const byId = db.prepare<[number], ClassRow>('SELECT * FROM target_classes WHERE id = ?');
  const byName = db.prepare<[string], ClassRow>('SELECT * FROM target_classes WHERE name = ? COLLATE NOCASE');
  const all = db.prepare<[], ClassRow>('SELECT * FROM target_classes ORDER BY name COLLATE NOCASE, id');
  const rename = db.prepare('UPDATE target_classes SET name = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM target_classes WHERE id = ?');
  const counts = db.prepare<[number], { role: LabelRole; n: number }>('SELECT role, COUNT(*) AS n FROM image_labels WHERE class_id = ? GROUP BY role');
  const upsertLabel = db.prepare(
    `INSERT INTO image_labels (class_id, image_id, role, added_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (class_id, image_id) DO UPDATE SET role = excluded.role`,
  );
  const removeLabel = db.prepare('DELETE FROM image_labels WHERE class_id = ? AND image_id = ?');
  const labelsOf = db.prepare<[number], LabelRow>('SELECT * FROM image_labels WHERE class_id = ? ORDER BY added_at, image_id');
  const imageExists = db.prepare<[number], { id: number }>('SELECT id FROM images WHERE id = ?');

  const record = (row: ClassRow): ClassRecord => {
    const byRole: Record<LabelRole, number> = { support: 0, holdout: 0, negative: 0 };
    for (const { role, n } of counts.all(row.id)) byRole[role] = n;
    return { id: row.id, name: row.name, createdAt: row.created_at, counts: byRole };
  };
  const notFound = (id: number): ClassResult => ({ ok: false, code: 'not_found', message: `There is no class ${id}.` });
  const taken = (name: string): ClassResult => ({ ok: false, code: 'duplicate_name', message: `A class named "${name}" exists already.` });

  const label = db.transaction((classId: number, imageIds: readonly number[], role: LabelRole): ClassResult => {
    const row = byId.get(classId);
    if (!row) return notFound(classId);
    const unknown = imageIds.filter((id) => !imageExists.get(id));
    if (unknown.length > 0) return { ok: false, code: 'unknown_image', message: `There is no image ${unknown.slice(0, 5).join(', ')} in the library.` };
    const now = new Date().toISOString();
    for (const imageId of imageIds) upsertLabel.run(classId, imageId, role, now);
    return { ok: true, value: record(row) };
  });
  const unlabel = db.transaction((classId: number, imageIds: readonly number[]): ClassResult => {
    const row = byId.get(classId);
    if (!row) return notFound(classId);
    for (const imageId of imageIds) removeLabel.run(classId, imageId);
    return { ok: true, value: record(row) };
  });

  return {
    create(name: string): ClassResult {
      const trimmed = name.trim();
      if (byName.get(trimmed)) return taken(trimmed);
      const info = insert.run(trimmed, new Date().toISOString());
      return { ok: true, value: record(byId.get(Number(info.lastInsertRowid))!) };
    },
    get(id: number): ClassRecord | undefined {
      const row = byId.get(id);
      return row && record(row);
    },
    list(): ClassRecord[] {
      return all.all().map(record);
    },
    rename(id: number, name: string): ClassResult {
      const trimmed = name.trim();
      const row = byId.get(id);
      if (!row) return notFound(id);
      const other = byName.get(trimmed);
      if (other && other.id !== id) return taken(trimmed);
      rename.run(trimmed, id);
      return { ok: true, value: record(byId.get(id)!) };
    },
    /** Deletes the class and its labels; false when it does not exist. */
    remove(id: number): boolean {
      return remove.run(id).changes > 0;
    },
    /** Labels the images (all must exist) with `role`; an image labelled already changes role. */
    label(classId: number, imageIds: readonly number[], role: LabelRole): ClassResult {
      return label(classId, [...new Set(imageIds)], role);
    },
    unlabel(classId: number, imageIds: readonly number[]): ClassResult {
      return unlabel(classId, imageIds);
    },
    /** The class's labels, oldest first (optionally one role). */
    labels(classId: number, role?: LabelRole): LabelRecord[] {
      const rows = labelsOf.all(classId).map(toLabel);
      return role ? rows.filter((l) => l.role === role) : rows;
    },
  };
}

export type ClassesRepository = ReturnType<typeof createClassesRepository>;
