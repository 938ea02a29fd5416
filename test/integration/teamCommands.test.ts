/**
 * The team commands as a user runs them (`simila team index`, `team status`, `sync`, `worker`) against a
 * real PostgreSQL, including failures after the store is open: each ends with a sentence and exit code 1,
 * and the process exits (nothing left holding a connection open).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTinyModel, openTestServices, repoRoot, tempDir } from '../search/searchFixture';
import { makeImage } from '../ingest/support/fixtures';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../support/postgres';

const skip = postgresUnavailable();
if (skip) console.warn(`[teamCommands] skipped: ${skip}`);

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs `simila ...args`; a process still running after `limitMs` is killed and reported as timed out. */
async function simila(args: string[], limitMs = 60_000): Promise<CliRun> {
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin/simila.js'), ...args], { env: { ...process.env, SIMILA_EMBED_WORKERS: '1' }, encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, timedOut: (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown>;

describe.skipIf(skip)('team commands on a real PostgreSQL', () => {
  let server: TestPostgres;
  let url: string;
  const temp = tempDir('team-commands');
  const planner = path.join(temp.dir, 'planner');
  const archive = path.join(temp.dir, 'archive');

  beforeAll(async () => {
    server = (await startPostgres())!;
    url = await server.createDatabase('team_commands');
    const services = openTestServices(planner);
    try {
      await installTinyModel(services);
    } finally {
      await services.close();
    }
    mkdirSync(archive, { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(path.join(archive, `img${i}.png`), await makeImage('png', 32, 32, 900 + i));
  }, 120_000);
  afterAll(() => {
    server?.stop();
    temp.cleanup();
  });

  it('team index queues a folder job, team status shows it, sync pushes the home', async () => {
    const indexed = await simila(['team', 'index', archive, '--team', url, '--home', planner, '--shard-size', '4', '--json']);
    expect(indexed).toMatchObject({ code: 0, timedOut: false });
    const planned = lastJson(indexed.stdout);
    expect(planned).toMatchObject({ files: 6, shards: 2 });

    const status = await simila(['team', 'status', '--team', url, '--json']);
    expect(status).toMatchObject({ code: 0, timedOut: false });
    const jobs = lastJson(status.stdout).jobs as { jobId: number; files: number; shards: { total: number } }[];
    expect(jobs.find((j) => j.jobId === planned.jobId)).toMatchObject({ files: 6, shards: { total: 2 } });

    const synced = await simila(['sync', '--team', url, '--home', planner, '--json']);
    expect(synced).toMatchObject({ code: 0, timedOut: false });
    expect(lastJson(synced.stdout)).toHaveProperty('pushed');
  }, 180_000);

  it('team index of a folder that does not exist: exit 1 with the reason, and the process ends', async () => {
    const run = await simila(['team', 'index', path.join(temp.dir, 'no-such-folder'), '--team', url, '--home', planner]);
    expect(run).toMatchObject({ code: 1, timedOut: false });
    expect(run.stderr).toMatch(/^simila: .*no-such-folder/m);
  }, 90_000);

  it('a worker whose data home cannot be opened (a file, not a folder): exit 1 with the reason, and the process ends', async () => {
    const notAFolder = path.join(temp.dir, 'not-a-folder');
    writeFileSync(notAFolder, 'x');
    // The queue and the store are open by then; before, they held the process open and it never exited.
    const run = await simila(['worker', '--team', url, '--home', notAFolder, '--json'], 45_000);
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(1);
    expect(lastJson(run.stdout)).toHaveProperty('error.message');
  }, 90_000);
});
