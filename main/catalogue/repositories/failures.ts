/** Files an import job could not catalogue, with a reason code and a human sentence. */
import type Database from 'better-sqlite3';

export interface FailureRecord {
  path: string;
  code: string;
  message: string;
}

export function createFailuresRepository(db: Database.Database) {
  // One row per (job, path): a resumed job that fails a file again replaces the earlier row.
  const record = db.prepare(
    `INSERT INTO import_failures (job_id, path, code, message, created_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(job_id, path) DO UPDATE SET code = excluded.code, message = excluded.message, created_at = excluded.created_at`,
  );
  const forJob = db.prepare<[number, number], FailureRecord>(
    'SELECT path, code, message FROM import_failures WHERE job_id = ? ORDER BY id LIMIT ?',
  );
  const countsByCode = db.prepare<[number], { code: string; n: number }>(
    'SELECT code, COUNT(*) AS n FROM import_failures WHERE job_id = ? GROUP BY code ORDER BY code',
  );
  const clearPath = db.prepare('DELETE FROM import_failures WHERE job_id = ? AND path = ?');

  return {
    record(jobId: number, path: string, code: string, message: string): void {
      record.run(jobId, path, code, message, new Date().toISOString());
    },
    /** Forget an earlier failure of this job for a file that now imported (resumed job). */
    clear(jobId: number, path: string): void {
      clearPath.run(jobId, path);
    },
    listForJob(jobId: number, limit: number): FailureRecord[] {
      return forJob.all(jobId, limit);
    },
    countByCode(jobId: number): Record<string, number> {
      const out: Record<string, number> = {};
      for (const row of countsByCode.all(jobId)) out[row.code] = row.n;
      return out;
    },
  };
}

export type FailuresRepository = ReturnType<typeof createFailuresRepository>;
