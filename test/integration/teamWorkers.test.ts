/**
 * Distributed indexing on a real PostgreSQL queue (issue 13): two `simila worker` processes share a
 * folder job and record every image exactly once; a worker SIGKILLed in the middle of a shard loses
 * nothing: its shard goes back to the queue after the visibility timeout, another worker finishes it,
 * and every image is recorded once (none twice, none missing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import { sha256 } from '../../main/ingest/decodeBytes';
import { openQueue, planTeamJob, teamJobStatus } from '../../main/team/teamJobs';
import { TEAM_SCHEMA, openTeamStore, type TeamStore } from '../../main/team/teamStore';
import { installTinyModel, openTestServices, repoRoot, tempDir } from '../search/searchFixture';
import { makeImage } from '../ingest/support/fixtures';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres';
import { collectJsonLines } from '../../bench/support/jsonLines';

const skip = postgresUnavailable();
if (skip) console.warn(`[teamWorkers] skipped: ${skip}`);

async function makeFolder(dir: string, n: number, seed: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = await makeImage('png', 32 + (i % 5), 32, seed + i);
    writeFileSync(path.join(dir, `img${String(i).padStart(3, '0')}.png`), bytes);
    hashes.push(sha256(bytes));
  }
  return hashes;
}

interface Worker {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startWorker(url: string, home: string, name: string, extra: string[] = []): Worker {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin/simila.js'), 'worker', '--team', url, '--home', home, '--name', name, '--json', '--batch', '2', '--expire', '4', '--maintenance', '1', ...extra],
    { env: { ...process.env, SIMILA_EMBED_WORKERS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = collectJsonLines(child.stdout!);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code && code !== 0) console.error(`[worker ${name}] exit ${code}: ${stderr.slice(-2000)}`);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip)('team workers on a PostgreSQL queue', () => {
  let server: TestPostgres;
  let url: string;
  let store: TeamStore;
  let boss: PgBoss;
  let planner: Services;
  let modelId: number;
  const temp = tempDir('team-workers');

  beforeAll(async () => {
    server = (await startPostgres())!;
    url = await server.createDatabase('team_workers');
    store = await openTeamStore(url);
    boss = await openQueue(url, { expireInSeconds: 4, maintenanceIntervalSeconds: 1 });
    planner = openTestServices(path.join(temp.dir, 'planner'));
    modelId = await installTinyModel(planner);
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    await planner?.close();
    await store?.close();
    server?.stop();
    temp.cleanup();
  });

  const recordedCounts = async (hashes: string[]) =>
    store.read(async (client) => {
      const rows = await client.query<{ hash: string; writes: number; vectors: string }>(
        `SELECT i.hash, i.writes, (SELECT count(*) FROM ${TEAM_SCHEMA}.vectors v WHERE v.hash = i.hash) AS vectors FROM ${TEAM_SCHEMA}.images i WHERE i.hash = ANY($1)`,
        [hashes],
      );
      const once = rows.rows.filter((r) => r.writes === 1 && Number(r.vectors) === 1).length;
      const twice = rows.rows.filter((r) => r.writes > 1 || Number(r.vectors) > 1).length;
      return { once, twice, missing: hashes.length - rows.rowCount! };
    });

  it('two workers share a folder job and record every image exactly once', async () => {
    const hashes = await makeFolder(path.join(temp.dir, 'archive1'), 20, 100);
    const planned = await planTeamJob({ store, boss, catalogue: planner.catalogue, modelsDir: planner.layout.models, modelId, source: path.join(temp.dir, 'archive1'), shardSize: 2 });
    expect(planned.shards).toBe(10);
    const w1 = startWorker(url, path.join(temp.dir, 'w1'), 'w1', ['--exit-when-idle', '6']);
    const w2 = startWorker(url, path.join(temp.dir, 'w2'), 'w2', ['--exit-when-idle', '6']);
    expect(await w1.exited).toBe(0);
    expect(await w2.exited).toBe(0);
    expect(await recordedCounts(hashes)).toEqual({ once: 20, twice: 0, missing: 0 });
    const [status] = await teamJobStatus(store, 1);
    expect(status!.shards.done).toBe(10);
    expect(status!.recorded).toBe(20);
    // With a 4 s visibility timeout a cold worker's first shard (decoder and model start-up) can overrun and
    // be run again by the other: extra shard runs are allowed, extra records are not (checked above).
    const byWorker = [w1, w2].map((w) => w.lines.filter((l) => 'shard' in l).length);
    expect(byWorker[0]! + byWorker[1]!).toBeGreaterThanOrEqual(10);
  });

  it('a worker SIGKILLed mid-shard loses nothing: its shard is retried and every image is recorded once', async () => {
    const hashes = await makeFolder(path.join(temp.dir, 'archive2'), 16, 500);
    await planTeamJob({ store, boss, catalogue: planner.catalogue, modelsDir: planner.layout.models, modelId, source: path.join(temp.dir, 'archive2'), shardSize: 8 });
    const victim = startWorker(url, path.join(temp.dir, 'victim'), 'victim');
    // Kill it after its first committed batch, before its first shard is done: the moment the batch line
    // arrives (polling for it every 100 ms let a warm worker finish all four batches of the shard first).
    victim.child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"batch"')) victim.child.kill('SIGKILL');
    });
    await waitFor(() => victim.lines.some((l) => 'batch' in l), 120_000);
    await victim.exited;
    expect(victim.lines.some((l) => 'shard' in l)).toBe(false);
    const rescuer = startWorker(url, path.join(temp.dir, 'rescuer'), 'rescuer', ['--exit-when-idle', '10']);
    expect(await rescuer.exited).toBe(0);
    expect(await recordedCounts(hashes)).toEqual({ once: 16, twice: 0, missing: 0 });
    const [status] = await teamJobStatus(store, 1);
    expect(status!.shards.done).toBe(2);
    expect(status!.retried).toBeGreaterThanOrEqual(1);
  });
});
