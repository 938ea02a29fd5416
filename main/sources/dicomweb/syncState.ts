/**
 * Per-source sync state in the catalogue (migrations 009, 011): which instances are settled, which of them
 * the archive no longer lists ("gone": noted, never deleted), and when the source was last synced.
 */
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
  /** Settled instances the archive no longer lists (their images stay in the catalogue). */
  gone: number;
}

export function createSyncState(db: Database.Database) {
  const ensureSource = db.prepare('INSERT INTO dicomweb_sources (url, created_at) VALUES (?, ?) ON CONFLICT(url) DO NOTHING');
  const sourceId = db.prepare<[string], { id: number }>('SELECT id FROM dicomweb_sources WHERE url = ?');
  const started = db.prepare('UPDATE dicomweb_sources SET last_sync_started_at = ?, last_sync_job = ? WHERE id = ?');
  const finished = db.prepare('UPDATE dicomweb_sources SET last_sync_finished_at = ? WHERE id = ?');
  // Present instances only: a study or series the archive lost instances of is listed again (and the loss noted).
  const countStudy = db.prepare<[number, string], { n: number }>('SELECT COUNT(*) AS n FROM dicomweb_instances WHERE source_id = ? AND study_uid = ? AND gone_at IS NULL');
  const countSeries = db.prepare<[number, string], { n: number }>('SELECT COUNT(*) AS n FROM dicomweb_instances WHERE source_id = ? AND series_uid = ? AND gone_at IS NULL');
  const settledInSeries = db.prepare<[number, string], { sop_uid: string; gone_at: number | null }>('SELECT sop_uid, gone_at FROM dicomweb_instances WHERE source_id = ? AND series_uid = ?');
  const seriesOfStudy = db.prepare<[number, string], { series_uid: string }>(
    'SELECT DISTINCT series_uid FROM dicomweb_instances WHERE source_id = ? AND study_uid = ? AND gone_at IS NULL',
  );
  const studiesOfSource = db.prepare<[number], { study_uid: string }>('SELECT DISTINCT study_uid FROM dicomweb_instances WHERE source_id = ? AND gone_at IS NULL');
  const goneOne = db.prepare('UPDATE dicomweb_instances SET gone_at = ?, gone_job = ? WHERE source_id = ? AND sop_uid = ? AND gone_at IS NULL');
  const backOne = db.prepare('UPDATE dicomweb_instances SET gone_at = NULL, gone_job = NULL WHERE source_id = ? AND sop_uid = ? AND gone_at IS NOT NULL');
  const goneSeries = db.prepare('UPDATE dicomweb_instances SET gone_at = ?, gone_job = ? WHERE source_id = ? AND series_uid = ? AND gone_at IS NULL');
  const goneStudy = db.prepare('UPDATE dicomweb_instances SET gone_at = ?, gone_job = ? WHERE source_id = ? AND study_uid = ? AND gone_at IS NULL');
  const countGone = db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM dicomweb_instances WHERE source_id = ? AND gone_at IS NOT NULL');
  const isSettled = db.prepare<[number, string], { n: number }>('SELECT 1 AS n FROM dicomweb_instances WHERE source_id = ? AND sop_uid = ?');
  const settle = db.prepare(
    `INSERT INTO dicomweb_instances (source_id, sop_uid, study_uid, series_uid, image_id, path, failure_code, synced_at, job_id)
     VALUES (@sourceId, @sopUid, @studyUid, @seriesUid, @imageId, @path, @failureCode, @at, @jobId)
     ON CONFLICT(source_id, sop_uid) DO UPDATE SET image_id = excluded.image_id, path = excluded.path,
       failure_code = excluded.failure_code, synced_at = excluded.synced_at, job_id = excluded.job_id,
       gone_at = NULL, gone_job = NULL`,
  );
  const list = db.prepare<[], { id: number; url: string; last_sync_started_at: number | null; last_sync_finished_at: number | null; n: number; gone: number }>(
    `SELECT s.id, s.url, s.last_sync_started_at, s.last_sync_finished_at,
            (SELECT COUNT(*) FROM dicomweb_instances i WHERE i.source_id = s.id) AS n,
            (SELECT COUNT(*) FROM dicomweb_instances i WHERE i.source_id = s.id AND i.gone_at IS NOT NULL) AS gone
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
    /** Every settled instance of the series (present or gone). */
    settledInSeries(id: number, seriesUid: string): Set<string> {
      return new Set(settledInSeries.all(id, seriesUid).map((r) => r.sop_uid));
    },
    /**
     * The archive listed this series completely as `listed`: settled instances missing from it are noted
     * as gone, gone ones listed again are present again. Returns how many were newly noted gone.
     */
    reconcileSeries(id: number, seriesUid: string, listed: ReadonlySet<string>, jobId: number): number {
      const rows = settledInSeries.all(id, seriesUid);
      const at = Date.now();
      return db.transaction(() => {
        let gone = 0;
        for (const r of rows) {
          if (r.gone_at === null && !listed.has(r.sop_uid)) gone += goneOne.run(at, jobId, id, r.sop_uid).changes;
          else if (r.gone_at !== null && listed.has(r.sop_uid)) backOne.run(id, r.sop_uid);
        }
        return gone;
      })();
    },
    /** The archive listed this study's series completely: series settled here and not listed are gone. */
    reconcileStudy(id: number, studyUid: string, listedSeries: ReadonlySet<string>, jobId: number): number {
      const at = Date.now();
      return db.transaction(() => {
        let gone = 0;
        for (const { series_uid } of seriesOfStudy.all(id, studyUid)) {
          if (!listedSeries.has(series_uid)) gone += goneSeries.run(at, jobId, id, series_uid).changes;
        }
        return gone;
      })();
    },
    /** The archive listed all its studies (no filter): studies settled here and not listed are gone. */
    reconcileArchive(id: number, listedStudies: ReadonlySet<string>, jobId: number): number {
      const at = Date.now();
      return db.transaction(() => {
        let gone = 0;
        for (const { study_uid } of studiesOfSource.all(id)) {
          if (!listedStudies.has(study_uid)) gone += goneStudy.run(at, jobId, id, study_uid).changes;
        }
        return gone;
      })();
    },
    /** A study asked for by UID that the archive no longer lists. */
    markStudyGone(id: number, studyUid: string, jobId: number): number {
      return goneStudy.run(Date.now(), jobId, id, studyUid).changes;
    },
    countGone(id: number): number {
      return countGone.get(id)?.n ?? 0;
    },
    isSettled(id: number, sopUid: string): boolean {
      return isSettled.get(id, sopUid) !== undefined;
    },
    /** Records an instance as settled (imported, known content, or failed to decode): it is not fetched again. */
    settle(s: SettledInstance): void {
      settle.run({ ...s, at: Date.now() });
    },
    list(): DicomwebSourceRecord[] {
      return list.all().map((r) => ({ id: r.id, url: r.url, lastSyncStartedAt: r.last_sync_started_at, lastSyncFinishedAt: r.last_sync_finished_at, instances: r.n, gone: r.gone }));
    },
  };
}

export type SyncState = ReturnType<typeof createSyncState>;
