/** Per-source sync state in the catalogue (migration 009): which instances are settled, and when the source was last synced. */
import type Database from 'better-sqlite3';

export interface SettledInstance {
  sourceId: number;
  sopUid: string;
  studyUid: string;
  seriesUid: string;
  imageId: number | null;
  path: string | null;
  failureCode: string | null;
  jobId: number;
}

export interface DicomwebSourceRecord {
  id: number;
  url: string;
  lastSyncStartedAt: number | null;
  lastSyncFinishedAt: number | null;
  instances: number;
}

export function createSyncState(db: Database.Database) {
  const ensureSource = db.prepare('INSERT INTO dicomweb_sources (url, created_at) VALUES (?, ?) ON CONFLICT(url) DO NOTHING');
  const sourceId = db.prepare<[string], { id: number }>('SELECT id FROM dicomweb_sources WHERE url = ?');
  const started = db.prepare('UPDATE dicomweb_sources SET last_sync_started_at = ?, last_sync_job = ? WHERE id = ?');
  const finished = db.prepare('UPDATE dicomweb_sources SET last_sync_finished_at = ? WHERE id = ?');
  const countStudy = db.prepare<[number, string], { n: number }>('SELECT COUNT(*) AS n FROM dicomweb_instances WHERE source_id = ? AND study_uid = ?');
  const countSeries = db.prepare<[number, string], { n: number }>('SELECT COUNT(*) AS n FROM dicomweb_instances WHERE source_id = ? AND series_uid = ?');
  const settledInSeries = db.prepare<[number, string], { sop_uid: string }>('SELECT sop_uid FROM dicomweb_instances WHERE source_id = ? AND series_uid = ?');
  const isSettled = db.prepare<[number, string], { n: number }>('SELECT 1 AS n FROM dicomweb_instances WHERE source_id = ? AND sop_uid = ?');
  const settle = db.prepare(
    `INSERT INTO dicomweb_instances (source_id, sop_uid, study_uid, series_uid, image_id, path, failure_code, synced_at, job_id)
     VALUES (@sourceId, @sopUid, @studyUid, @seriesUid, @imageId, @path, @failureCode, @at, @jobId)
     ON CONFLICT(source_id, sop_uid) DO UPDATE SET image_id = excluded.image_id, path = excluded.path,
       failure_code = excluded.failure_code, synced_at = excluded.synced_at, job_id = excluded.job_id`,
  );
  const list = db.prepare<[], { id: number; url: string; last_sync_started_at: number | null; last_sync_finished_at: number | null; n: number }>(
    `SELECT s.id, s.url, s.last_sync_started_at, s.last_sync_finished_at,
            (SELECT COUNT(*) FROM dicomweb_instances i WHERE i.source_id = s.id) AS n
       FROM dicomweb_sources s ORDER BY s.id`,
  );

  return {
    ensureSource(url: string): number {
      ensureSource.run(url, Date.now());
      return sourceId.get(url)!.id;
    },
    markStarted(id: number, jobId: number): void {
      started.run(Date.now(), jobId, id);
    },
    markFinished(id: number): void {
      finished.run(Date.now(), id);
    },
    countInStudy(id: number, studyUid: string): number {
      return countStudy.get(id, studyUid)?.n ?? 0;
    },
    countInSeries(id: number, seriesUid: string): number {
      return countSeries.get(id, seriesUid)?.n ?? 0;
    },
    settledInSeries(id: number, seriesUid: string): Set<string> {
      return new Set(settledInSeries.all(id, seriesUid).map((r) => r.sop_uid));
    },
    isSettled(id: number, sopUid: string): boolean {
      return isSettled.get(id, sopUid) !== undefined;
    },
    /** Records an instance as settled (imported, known content, or failed to decode): it is not fetched again. */
    settle(s: SettledInstance): void {
      settle.run({ ...s, at: Date.now() });
    },
    list(): DicomwebSourceRecord[] {
      return list.all().map((r) => ({ id: r.id, url: r.url, lastSyncStartedAt: r.last_sync_started_at, lastSyncFinishedAt: r.last_sync_finished_at, instances: r.n }));
    },
  };
}

export type SyncState = ReturnType<typeof createSyncState>;
