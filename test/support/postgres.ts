/**
 * A real PostgreSQL server for a test, as the test's own process: initdb + pg_ctl in a temporary folder,
 * listening on localhost at a random free port, its unix socket in the same folder. initdb refuses to
 * run as root, so as root the server runs as `nobody` (via runuser) in a folder that user owns.
 * `startPostgres()` resolves to null with a sentence when PostgreSQL is not installed (the suites skip
 * with that sentence); `.ci/run` installs postgresql-15 where it is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_BIN = process.env.SIMILA_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  port: number;
  /** postgres://simila@localhost:PORT/<database> */
  url(database?: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

export function postgresUnavailable(): string | null {
  if (!existsSync(path.join(POSTGRES_BIN, 'initdb'))) {
    return `PostgreSQL is not installed (no ${POSTGRES_BIN}/initdb): install postgresql-15 (apt-get install -y postgresql-15) to run the team-store tests.`;
  }
  if (process.getuid?.() === 0 && spawnSync('runuser', ['--help']).error) return 'running as root without runuser: initdb cannot be run as an unprivileged user.';
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres | null> {
  if (postgresUnavailable()) return null;
  const root = mkdtempSync(path.join(os.tmpdir(), 'simila-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(root, 65534, 65534);
  const run = (bin: string, args: string[]) => {
    const file = path.join(POSTGRES_BIN, bin);
    if (asRoot) execFileSync('runuser', ['-u', 'nobody', '--', file, ...args], { cwd: root, stdio: 'pipe' });
    else execFileSync(file, args, { cwd: root, stdio: 'pipe' });
  };
  const data = path.join(root, 'data');
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'simila', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const options = `-p ${port} -k ${root} -c listen_addresses=localhost -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(root, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (error) {
    const log = existsSync(path.join(root, 'server.log')) ? readFileSync(path.join(root, 'server.log'), 'utf8') : '';
    rmSync(root, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
  }
  const url = (database = 'postgres') => `postgres://simila@localhost:${port}/${database}`;
  let stopped = false;
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
