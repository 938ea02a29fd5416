/** Persistent jobs: what was asked (kind, params), where it stands (state, progress) and why it failed. */
import type Database from 'better-sqlite3';

export type JobStateName = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface JobRecord {
  id: number;
  kind: string;
  state: JobStateName;
  label: string;
  params: unknown;
  progress: unknown;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

interface JobRow {
  id: number;
  kind: string;
  state: string;
  label: string;
  params: string;
  progress: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

function parseJson(text: string | null): unknown {
  if (text == null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state as JobStateName,
    label: row.label,
    params: parseJson(row.params),
    progress: parseJson(row.progress),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

const FINAL_STATES: readonly JobStateName[] = ['done', 'failed', 'cancelled'];

export function createJobsRepository(db: Database.Database) {
  const insert = db.prepare(
    `INSERT INTO jobs (kind, state, label, params, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?, ?)`,
  );
  const byId = db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?');
  const recent = db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?');
  const interrupted = db.prepare<[], JobRow>(`SELECT * FROM jobs WHERE state IN ('running', 'queued') ORDER BY id`);
  const setState = db.prepare(
    `UPDATE jobs SET state = ?, error = ?, updated_at = ?,
       started_at = CASE WHEN ? = 'running' AND started_at IS NULL THEN ? ELSE started_at END,
       finished_at = CASE WHEN ? THEN ? ELSE finished_at END
     WHERE id = ?`,
  );
  const setProgress = db.prepare('UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?');

  return {
    create(kind: string, label: string, params: unknown): number {
      const now = new Date().toISOString();
      return Number(insert.run(kind, label, JSON.stringify(params ?? {}), now, now).lastInsertRowid);
    },
    get(id: number): JobRecord | undefined {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    listRecent(limit: number): JobRecord[] {
      return recent.all(limit).map(toRecord);
    },
    /** Jobs a crash left queued or running, oldest first. */
    listInterrupted(): JobRecord[] {
      return interrupted.all().map(toRecord);
    },
    setState(id: number, state: JobStateName, error: string | null = null): void {
      const now = new Date().toISOString();
      const final = FINAL_STATES.includes(state) ? 1 : 0;
      setState.run(state, error, now, state, now, final, now, id);
    },
    saveProgress(id: number, progress: unknown): void {
      setProgress.run(JSON.stringify(progress), new Date().toISOString(), id);
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;
