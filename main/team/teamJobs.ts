/**
 * Team indexing jobs on the PostgreSQL queue. The queue is pg-boss 10 (the last line that runs on
 * Node 20): a shard is one pg-boss job with a visibility timeout (`expireInSeconds`): a worker that dies
 * holding a shard (killed, machine off) leaves it active until the timeout, then pg-boss's maintenance
 * puts it back for another worker (retryLimit). Nothing is lost, and the worker writes records with
 * idempotent upserts keyed by content hash, so a retried shard records every image once.
 * The plan and the progress of each team job live in simila.jobs / simila.shards, readable by any app.
 */
import PgBoss from 'pg-boss';
import { localModelKey, pushModel } from './teamModels';
import { SOURCE_SPLITTERS, type ShardSpec } from './shards';
import { TEAM_SCHEMA as S, type TeamStore } from './teamStore';
import type { Catalogue } from '../catalogue/catalogue';

export const SHARD_QUEUE = 'simila-team-shard';

export interface QueueTiming {
  /** A shard held longer than this by a worker is given to another (default 600 s). */
  expireInSeconds?: number;
  /** How often expired shards are looked for (default 30 s). */
  maintenanceIntervalSeconds?: number;
}

export interface ShardJobData {
  jobId: number;
  shardNo: number;
}

/** Starts pg-boss on the team store's database (its own schema `pgboss`) with the shard queue. */
export async function openQueue(url: string, timing: QueueTiming = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: 'pgboss',
    max: 3,
    supervise: true,
    schedule: false,
    maintenanceIntervalSeconds: timing.maintenanceIntervalSeconds ?? 30,
    application_name: 'simila-queue',
  });
  boss.on('error', () => undefined); // transient connection errors: pg-boss retries on its next poll
  await boss.start();
  if (!(await boss.getQueue(SHARD_QUEUE))) {
    await boss
      .createQueue(SHARD_QUEUE, { name: SHARD_QUEUE, retryLimit: 100, retryDelay: 1, expireInSeconds: timing.expireInSeconds ?? 600 })
      .catch(async (error: unknown) => {
        if (!(await boss.getQueue(SHARD_QUEUE))) throw error; // another process created it meanwhile
      });
  }
  return boss;
}

export interface PlannedJob {
  jobId: number;
  shards: number;
  files: number;
  modelKey: string;
}

/**
 * Plans a team job: splits the source into shards, records them, and queues one pg-boss job per shard.
 * The model (the team's: by default this home's active model) is put into the store with its package, so
 * every worker embeds with the same weights.
 */
export async function planTeamJob(options: {
  store: TeamStore;
  boss: PgBoss;
  catalogue: Catalogue;
  modelsDir: string;
  modelId: number;
  source: string;
  shardSize?: number;
  createdBy?: string;
}): Promise<PlannedJob> {
  const splitter = SOURCE_SPLITTERS.find((s) => s.accepts(options.source));
  if (!splitter) throw new Error(`No shard source understands ${options.source}.`);
  const shards: ShardSpec[] = await splitter.split(options.source, options.shardSize ?? 64);
  const files = shards.reduce((n, s) => n + (Array.isArray(s.files) ? s.files.length : 0), 0);
  const modelKey = await options.store.write((client) => pushModel(client, options.catalogue, options.modelsDir, options.modelId));
  if (!modelKey) throw new Error(`Model ${options.modelId} is not in the catalogue.`);
  const jobId = await options.store.read(async (client) => {
    await client.query('BEGIN');
    try {
      const job = await client.query<{ id: string }>(
        `INSERT INTO ${S}.jobs (source, model_key, shard_count, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
        [options.source, modelKey, shards.length, options.createdBy ?? null],
      );
      const id = Number(job.rows[0]!.id);
      await client.query(
        `INSERT INTO ${S}.shards (job_id, shard_no, spec, files) SELECT $1, n, spec, files FROM unnest($2::int[], $3::jsonb[], $4::int[]) AS u(n, spec, files)`,
        [id, shards.map((_, i) => i), shards.map((s) => JSON.stringify(s)), shards.map((s) => (Array.isArray(s.files) ? s.files.length : 0))],
      );
      await client.query('COMMIT');
      return id;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
  await options.boss.insert(shards.map((_, shardNo) => ({ name: SHARD_QUEUE, data: { jobId, shardNo } satisfies ShardJobData })));
  return { jobId, shards: shards.length, files, modelKey };
}

export interface TeamJobStatus {
  jobId: number;
  source: string;
  modelKey: string;
  createdAt: string;
  shards: { total: number; queued: number; running: number; done: number; failed: number };
  files: number;
  recorded: number;
  failed: number;
  /** Shard runs that were started more than once (a worker died or timed out). */
  retried: number;
  workers: string[];
}

/** Progress of the team's jobs (newest first), for `simila team status` and the app. */
export async function teamJobStatus(store: TeamStore, limit = 5): Promise<TeamJobStatus[]> {
  return store.read(async (client) => {
    const jobs = await client.query<{ id: string; source: string; model_key: string; created_at: Date }>(
      `SELECT id, source, model_key, created_at FROM ${S}.jobs ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    const out: TeamJobStatus[] = [];
    for (const job of jobs.rows) {
      const rows = await client.query<{ state: string; n: string; files: string; recorded: string; failed: string; retried: string; workers: string[] }>(
        `SELECT state, count(*) AS n, sum(files) AS files, sum(recorded) AS recorded, sum(failed) AS failed,
                sum(GREATEST(attempts - 1, 0)) AS retried, array_remove(array_agg(DISTINCT worker), NULL) AS workers
           FROM ${S}.shards WHERE job_id = $1 GROUP BY state`,
        [job.id],
      );
      const shards = { total: 0, queued: 0, running: 0, done: 0, failed: 0 };
      let files = 0;
      let recorded = 0;
      let failed = 0;
      let retried = 0;
      const workers = new Set<string>();
      for (const r of rows.rows) {
        const n = Number(r.n);
        shards.total += n;
        if (r.state in shards) shards[r.state as keyof typeof shards] += n;
        files += Number(r.files);
        recorded += Number(r.recorded);
        failed += Number(r.failed);
        retried += Number(r.retried);
        for (const w of r.workers) workers.add(w);
      }
      out.push({ jobId: Number(job.id), source: job.source, modelKey: job.model_key, createdAt: job.created_at.toISOString(), shards, files, recorded, failed, retried, workers: [...workers] });
    }
    return out;
  });
}

export { localModelKey };
