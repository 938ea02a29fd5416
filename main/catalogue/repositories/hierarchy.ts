/**
 * The patient > study > series tree (migration 008). `file` places one image (in the caller's
 * transaction when there is one); tags that contradict what is already filed send the instance to a
 * named conflict bucket with the reason, never drop it. Patient keys are an HMAC of the header's
 * one-way patient digest under a secret made once per catalogue, so the catalogue never holds a value
 * from which a short Patient ID could be recovered by trying every ID.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { FOLDERS_PATIENT, UNKNOWN_PATIENT, UNKNOWN_STUDY, type Placement, type SeriesFacts, type SeriesKind } from '../hierarchyPlacement';

/** A filed series: the placement's facts with the patient digest keyed again, and its row id. */
export interface SeriesRecord extends Omit<SeriesFacts, 'patientDigest'> {
  id: number;
  patientKey: string;
}

export interface InstanceRecord {
  imageId: number;
  seriesId: number;
  sopUid: string | null;
  instanceNumber: number | null;
  slicePosition: number | null;
  frames: number;
  note: string | null;
}

interface SeriesRow {
  id: number;
  series_key: string;
  study_key: string;
  patient_key: string;
  kind: SeriesKind;
  modality: string | null;
  body_part: string | null;
  study_date: string | null;
  study_description: string | null;
  series_description: string | null;
  series_number: number | null;
  folder_id: number | null;
  note: string | null;
}

interface InstanceRow {
  image_id: number;
  series_id: number;
  sop_uid: string | null;
  instance_number: number | null;
  slice_position: number | null;
  frames: number;
  note: string | null;
}

const toSeries = (r: SeriesRow): SeriesRecord => ({
  id: r.id,
  seriesKey: r.series_key,
  studyKey: r.study_key,
  patientKey: r.patient_key,
  kind: r.kind,
  modality: r.modality,
  bodyPart: r.body_part,
  studyDate: r.study_date,
  studyDescription: r.study_description,
  seriesDescription: r.series_description,
  seriesNumber: r.series_number,
  folderId: r.folder_id,
  note: r.note,
});

const toInstance = (r: InstanceRow): InstanceRecord => ({
  imageId: r.image_id,
  seriesId: r.series_id,
  sopUid: r.sop_uid,
  instanceNumber: r.instance_number,
  slicePosition: r.slice_position,
  frames: r.frames,
  note: r.note,
});

/** Slice order: instance number, then position, then import order. */
const INSTANCE_ORDER = 'h.instance_number IS NULL, h.instance_number, h.slice_position IS NULL, h.slice_position, h.image_id';

export function createHierarchyRepository(db: Database.Database) {
  const secretRow = db.prepare<[], { secret: Buffer }>('SELECT secret FROM hierarchy_secret WHERE id = 1');
  const insertSecret = db.prepare('INSERT OR IGNORE INTO hierarchy_secret (id, secret) VALUES (1, ?)');
  const seriesByKey = db.prepare<[string], SeriesRow>('SELECT * FROM series WHERE series_key = ?');
  const seriesById = db.prepare<[number], SeriesRow>('SELECT * FROM series WHERE id = ?');
  const patientOfStudy = db.prepare<[string], { patient_key: string }>(
    "SELECT patient_key FROM series WHERE study_key = ? AND kind = 'dicom' LIMIT 1",
  );
  const insertSeries = db.prepare(
    `INSERT INTO series (series_key, study_key, patient_key, kind, modality, body_part, study_date, study_description,
                         series_description, series_number, folder_id, note)
     VALUES (@seriesKey, @studyKey, @patientKey, @kind, @modality, @bodyPart, @studyDate, @studyDescription,
             @seriesDescription, @seriesNumber, @folderId, @note)`,
  );
  const upsertInstance = db.prepare(
    `INSERT INTO image_hierarchy (image_id, series_id, sop_uid, instance_number, slice_position, frames, note)
     VALUES (@imageId, @seriesId, @sopUid, @instanceNumber, @slicePosition, @frames, @note)
     ON CONFLICT(image_id) DO UPDATE SET series_id = excluded.series_id, sop_uid = excluded.sop_uid,
       instance_number = excluded.instance_number, slice_position = excluded.slice_position,
       frames = excluded.frames, note = excluded.note`,
  );
  const instanceOf = db.prepare<[number], InstanceRow>('SELECT * FROM image_hierarchy WHERE image_id = ?');
  const instancesOf = db.prepare<[number], InstanceRow>(
    `SELECT h.* FROM image_hierarchy h
      WHERE h.series_id = ? AND EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = h.image_id)
      ORDER BY ${INSTANCE_ORDER}`,
  );
  const allSeries = db.prepare<[], SeriesRow>('SELECT * FROM series ORDER BY id');
  const unfiled = db.prepare<[number, number], { id: number }>(
    `SELECT i.id FROM images i
      WHERE i.id > ? AND NOT EXISTS (SELECT 1 FROM image_hierarchy h WHERE h.image_id = i.id)
        AND EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)
      ORDER BY i.id LIMIT ?`,
  );
  const countUnfiled = db.prepare<[], { n: number }>(
    `SELECT COUNT(*) AS n FROM images i
      WHERE NOT EXISTS (SELECT 1 FROM image_hierarchy h WHERE h.image_id = i.id)
        AND EXISTS (SELECT 1 FROM image_paths p WHERE p.image_id = i.id)`,
  );
  const version = db.prepare<[], number>("SELECT value FROM change_counters WHERE name = 'hierarchy'").pluck();

  let secret: Buffer | null = null;
  const patientKey = (digest: string): string => {
    if (!secret) {
      insertSecret.run(randomBytes(32));
      secret = secretRow.get()?.secret ?? null;
      if (!secret) throw new Error('The catalogue has no hierarchy secret.');
    }
    return createHmac('sha256', secret).update(digest).digest('hex').slice(0, 16);
  };

  const ensureSeries = (facts: Omit<SeriesRecord, 'id'>): number => {
    const existing = seriesByKey.get(facts.seriesKey);
    if (existing) return existing.id;
    return Number(insertSeries.run(facts).lastInsertRowid);
  };

  return {
    /** Files one image; returns its series id. Conflicting tags go to a named conflict series. */
    file(imageId: number, placement: Placement): number {
      const s = placement.series;
      const patient = s.patientDigest ? patientKey(s.patientDigest) : s.kind === 'folder' ? FOLDERS_PATIENT : UNKNOWN_PATIENT;
      let facts: Omit<SeriesRecord, 'id'> = { ...s, patientKey: patient };
      let instanceNote = placement.instance.note;
      if (s.kind === 'dicom') {
        const existing = seriesByKey.get(s.seriesKey);
        const studyPatient = existing ? undefined : patientOfStudy.get(s.studyKey)?.patient_key;
        let conflict: string | null = null;
        if (existing && existing.study_key !== s.studyKey) {
          conflict = `SeriesInstanceUID ${s.seriesKey} is already filed under study ${existing.study_key}, but this instance names study ${s.studyKey}.`;
        } else if (existing && existing.kind === 'dicom' && existing.patient_key !== patient) {
          conflict = `Series ${s.seriesKey} is already filed under another patient than this instance's.`;
        } else if (studyPatient !== undefined && studyPatient !== patient) {
          conflict = `Study ${s.studyKey} is already filed under another patient than this instance's.`;
        }
        if (conflict) {
          facts = { ...facts, seriesKey: `conflict:${s.seriesKey}`, studyKey: UNKNOWN_STUDY, patientKey: UNKNOWN_PATIENT, kind: 'unknown', note: `Conflicting hierarchy tags: ${conflict}` };
          instanceNote = conflict;
        }
      }
      const seriesId = ensureSeries(facts);
      upsertInstance.run({ imageId, seriesId, ...placement.instance, note: instanceNote });
      return seriesId;
    },
    series(id: number): SeriesRecord | undefined {
      const row = seriesById.get(id);
      return row && toSeries(row);
    },
    seriesByKey(key: string): SeriesRecord | undefined {
      const row = seriesByKey.get(key);
      return row && toSeries(row);
    },
    allSeries(): SeriesRecord[] {
      return allSeries.all().map(toSeries);
    },
    instance(imageId: number): InstanceRecord | undefined {
      const row = instanceOf.get(imageId);
      return row && toInstance(row);
    },
    /** The visible instances of a series in slice order. */
    instances(seriesId: number): InstanceRecord[] {
      return instancesOf.all(seriesId).map(toInstance);
    },
    /** Visible images not yet filed (catalogued before migration 008), after `afterId`, by id. */
    unfiled(afterId: number, limit: number): number[] {
      return unfiled.all(afterId, limit).map((r) => r.id);
    },
    countUnfiled(): number {
      return countUnfiled.get()?.n ?? 0;
    },
    /** Bumped by trigger on every filing change (any connection). */
    version(): number {
      return version.get() ?? 0;
    },
  };
}

export type HierarchyRepository = ReturnType<typeof createHierarchyRepository>;
