/**
 * The team store: PostgreSQL as the shared record of the archive (issue 13). Tables live in the
 * `simila` schema (the job queue, pg-boss, keeps its own `pgboss` schema), created and migrated by
 * numbered steps recorded in simila.schema_version.
 *
 * Change tracking: every row carries `seq`, taken from one sequence on insert and on every update (by
 * trigger). Every write transaction first takes one advisory transaction lock, so seqs commit in order:
 * a reader that has seen seq N has seen every committed row with a lower seq, and a sync asks only for
 * rows with seq above the last one it applied (no full re-reads). The lock is held for one batch
 * (milliseconds), so writers queue briefly instead of racing.
 *
 * Deletions are tombstones (classes and labels `deleted`, a mark with judgement NULL), so they sync too.
 * Conflicts (two workstations edit the same label or mark): the change with the later timestamp wins
 * (the time the analyst made it, not the time it reached the store); on a tie the store keeps what it has.
 */
import pg from 'pg';
import { describeTeamError } from './teamUrl';

export const TEAM_SCHEMA = 'simila';
const WRITE_LOCK_KEY = 0x51_4d_11a; // one advisory lock for all team writes

export interface TeamStore {
  readonly url: string;
  readonly pool: pg.Pool;
  /** Runs fn in one transaction holding the team write lock (seqs then commit in order). */
  write<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Runs fn on one connection (reads). */
  read<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface TeamMigration {
  version: number;
  sql: string;
}

const S = TEAM_SCHEMA;
const MIGRATIONS: TeamMigration[] = [
  {
    version: 1,
    sql: `
      CREATE SEQUENCE ${S}.change_seq;
      CREATE FUNCTION ${S}.bump_seq() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.seq := nextval('${S}.change_seq'); RETURN NEW; END $$;
      CREATE TABLE ${S}.images (
        hash text PRIMARY KEY,
        width int NOT NULL, height int NOT NULL, format text NOT NULL, byte_size bigint NOT NULL,
        meta jsonb NOT NULL DEFAULT '{}',
        source text,
        series_key text, study_key text, series_kind text, modality text, body_part text,
        study_date text, series_description text, sop_uid text, instance_number int,
        recorded_by text,
        writes int NOT NULL DEFAULT 1,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq')
      );
      CREATE INDEX images_seq ON ${S}.images (seq);
      CREATE INDEX images_series ON ${S}.images (series_key);
      CREATE TABLE ${S}.models (
        key text PRIMARY KEY,
        name text NOT NULL, version int NOT NULL, stage text NOT NULL, embedding_dim int NOT NULL,
        parent_key text, manifest jsonb NOT NULL DEFAULT '{}',
        package bytea,
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq')
      );
      CREATE INDEX models_seq ON ${S}.models (seq);
      CREATE TABLE ${S}.vectors (
        model_key text NOT NULL REFERENCES ${S}.models(key),
        hash text NOT NULL REFERENCES ${S}.images(hash),
        vector bytea NOT NULL,
        writes int NOT NULL DEFAULT 1,
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq'),
        PRIMARY KEY (model_key, hash)
      );
      CREATE INDEX vectors_seq ON ${S}.vectors (seq);
      CREATE TABLE ${S}.classes (
        name_key text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq')
      );
      CREATE INDEX classes_seq ON ${S}.classes (seq);
      CREATE TABLE ${S}.labels (
        class_key text NOT NULL REFERENCES ${S}.classes(name_key),
        hash text NOT NULL REFERENCES ${S}.images(hash),
        role text,
        updated_at timestamptz NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq'),
        PRIMARY KEY (class_key, hash)
      );
      CREATE INDEX labels_seq ON ${S}.labels (seq);
      CREATE TABLE ${S}.marks (
        query_key text NOT NULL,
        model_key text NOT NULL REFERENCES ${S}.models(key),
        hash text NOT NULL REFERENCES ${S}.images(hash),
        judgement text,
        updated_at timestamptz NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('${S}.change_seq'),
        PRIMARY KEY (query_key, model_key, hash)
      );
      CREATE INDEX marks_seq ON ${S}.marks (seq);
      CREATE TRIGGER images_seq BEFORE UPDATE ON ${S}.images FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TRIGGER models_seq BEFORE UPDATE ON ${S}.models FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TRIGGER vectors_seq BEFORE UPDATE ON ${S}.vectors FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TRIGGER classes_seq BEFORE UPDATE ON ${S}.classes FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TRIGGER labels_seq BEFORE UPDATE ON ${S}.labels FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TRIGGER marks_seq BEFORE UPDATE ON ${S}.marks FOR EACH ROW EXECUTE FUNCTION ${S}.bump_seq();
      CREATE TABLE ${S}.jobs (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        model_key text NOT NULL REFERENCES ${S}.models(key),
        shard_count int NOT NULL,
        created_by text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ${S}.shards (
        job_id bigint NOT NULL REFERENCES ${S}.jobs(id),
        shard_no int NOT NULL,
        spec jsonb NOT NULL,
        files int NOT NULL,
        state text NOT NULL DEFAULT 'queued',
        recorded int NOT NULL DEFAULT 0,
        failed int NOT NULL DEFAULT 0,
        attempts int NOT NULL DEFAULT 0,
        worker text,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, shard_no)
      );
    `,
  },
  {
    // Each image's thumbnail (the small WebP the importer writes), so a workstation that pulls an image
    // without its file can still list and show it in the library.
    version: 2,
    sql: `ALTER TABLE ${S}.images ADD COLUMN thumbnail bytea;`,
  },
];

export const TEAM_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Creates or upgrades the team schema (one migrating process at a time, by an advisory lock). */
export async function migrateTeamStore(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY + 1]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${S}.schema_version (version int NOT NULL)`);
    const row = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${S}.schema_version`);
    const current = row.rows[0]?.v ?? 0;
    if (current > TEAM_SCHEMA_VERSION) {
      throw new Error(`The team store has schema version ${current}; this Simila knows up to ${TEAM_SCHEMA_VERSION}: upgrade Simila on this workstation.`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${S}.schema_version (version) VALUES ($1)`, [m.version]);
    }
    await client.query('COMMIT');
    return TEAM_SCHEMA_VERSION;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface OpenTeamStoreOptions {
  /** Connections in the pool (default 4). */
  max?: number;
}

/** Connects, migrates, and returns the store; a failed connection throws a sentence without credentials. */
export async function openTeamStore(url: string, options: OpenTeamStoreOptions = {}): Promise<TeamStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, connectionTimeoutMillis: 15_000, application_name: 'simila' });
  pool.on('error', () => undefined); // an idle connection dropped by the server: the next query reconnects
  try {
    await migrateTeamStore(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(describeTeamError(error, url));
  }
  return {
    url,
    pool,
    async write(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async read(fn) {
      const client = await pool.connect();
      try {
        return await fn(client);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
