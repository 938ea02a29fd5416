/**
 * `npm run -s bench -- team --json` (issue 13, team store half). Sections:
 * - sync: a team store holding N generated image records (default 1,000,000) with one 64-d vector each
 *   is synced into a fresh data home; reports seconds and the process's peak RSS.
 * Starts its own PostgreSQL (test/support/postgres) in a temp folder; nothing is left behind.
 * Not yet here: the 1-vs-2-worker speed-up and the kill-mid-run counts (the integration test
 * test/integration/teamWorkers.test.ts covers the kill at small scale).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { openServices } from '../../main/app/services';
import { openTeamStore, TEAM_SCHEMA as S } from '../../main/team/teamStore';
import { syncWithTeam } from '../../main/team/teamSync';
import { startPostgres } from '../../test/support/postgres';

export interface TeamBenchOptions {
  records?: number;
  dim?: number;
}

export async function runTeamBench(options: TeamBenchOptions = {}): Promise<Record<string, unknown>> {
  const records = options.records ?? 1_000_000;
  const dim = options.dim ?? 64;
  const server = await startPostgres();
  if (!server) return { skipped: 'PostgreSQL is not installed (postgresql-15)' };
  const temp = mkdtempSync(path.join(os.tmpdir(), 'simila-team-bench-'));
  try {
    const url = await server.createDatabase('team_bench');
    const store = await openTeamStore(url);
    const genStarted = performance.now();
    await store.write(async (client) => {
      await client.query(
        `INSERT INTO ${S}.models (key, name, version, stage, embedding_dim, manifest) VALUES ('bench@1:0', 'bench', 1, 'random', $1, '{}')`,
        [dim],
      );
      // Hash = md5 of the index twice (64 hex), vector = the index's 4 bytes then a fixed tail: dim * 4 bytes.
      await client.query(
        `INSERT INTO ${S}.images (hash, width, height, format, byte_size, source, series_key, modality)
         SELECT md5(i::text) || md5((i + 1)::text), 512, 512, 'dicom', 524288, '/archive/' || i || '.dcm', 'series-' || (i / 100), 'CT'
           FROM generate_series(1, $1) AS i`,
        [records],
      );
      await client.query(
        `INSERT INTO ${S}.vectors (model_key, hash, vector)
         SELECT 'bench@1:0', md5(i::text) || md5((i + 1)::text), int4send(i) || decode(repeat('3f000000', $2), 'hex')
           FROM generate_series(1, $1) AS i`,
        [records, dim - 1],
      );
    });
    const generateSeconds = (performance.now() - genStarted) / 1000;
    const services = openServices({ home: path.join(temp, 'home'), env: {}, resumeJobs: false, shippedModelsRoot: null, decodeInProcess: true });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const started = performance.now();
    const summary = await syncWithTeam({ store, catalogue: services.catalogue, modelsDir: services.layout.models, thumbnailsDir: services.layout.thumbnails, pageSize: 10_000 });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const again = await syncWithTeam({ store, catalogue: services.catalogue, modelsDir: services.layout.models, thumbnailsDir: services.layout.thumbnails, pageSize: 10_000 });
    await services.close();
    await store.close();
    return {
      sync_records: records,
      sync_dim: dim,
      sync_1m_seconds: records === 1_000_000 ? Math.round(seconds * 10) / 10 : null,
      sync_seconds: Math.round(seconds * 10) / 10,
      sync_records_per_second: Math.round(records / seconds),
      sync_peak_rss_mb: Math.round(peak / 1048576),
      sync_rss_before_mb: Math.round(rssBefore / 1048576),
      sync_pulled: summary.pulled,
      resync_seconds: again.seconds,
      resync_pulled: again.pulled,
      generate_seconds: Math.round(generateSeconds * 10) / 10,
      workers_speedup: null,
      kill_recorded_once: null,
      kill_duplicates: null,
      kill_missing: null,
      not_measured: 'workers_speedup and kill_* are not in this bench yet (see test/integration/teamWorkers.test.ts)',
      machine: { cpus: os.availableParallelism(), node: process.version },
    };
  } finally {
    server.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}
