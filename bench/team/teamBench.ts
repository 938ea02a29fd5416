/**
 * `npm run -s bench -- team --json` (issue 13, team store half). Sections:
 * - sync: a team store holding N generated image records (default 1,000,000) with one 64-d vector each
 *   is synced into a fresh data home; reports seconds and the process's peak RSS.
 * - workers: the same folder (a few hundred MedNIST JPEGs copied from the shared data into a temp folder
 *   at run time) indexed by 1 and by 2 `simila worker` processes, each limited to one core (decode and
 *   embed pools of one, pinned to one CPU with taskset where it exists), each run on a fresh team
 *   database; reports the wall time from planning the job to its last shard done and the speed-up.
 * - kill: 2 workers on another such folder, one SIGKILLed in the middle of a shard; after the survivor
 *   has finished (the dead worker's shard comes back after the visibility timeout) every image of the
 *   folder is counted in the store: recorded once / twice / missing.
 * - dicomweb: ../shared/data/dicom and a generated multi-series set uploaded to a fresh Orthanc, imported
 *   over DICOMweb and from a folder of the same stored files (bench/team/dicomwebBench.ts): distinct images
 *   each way and the DICOMweb / folder speed ratio.
 * Starts its own PostgreSQL (test/support/postgres) in a temp folder; nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openServices, type Services } from '../../main/app/services';
import { packageRoot } from '../../main/app/packageRoot';
import { sha256 } from '../../main/ingest/decodeBytes';
import { openQueue, planTeamJob, teamJobStatus } from '../../main/team/teamJobs';
import { openTeamStore, TEAM_SCHEMA as S } from '../../main/team/teamStore';
import { syncWithTeam } from '../../main/team/teamSync';
import { startPostgres, type TestPostgres } from '../../test/support/postgres';
import { collectJsonLines } from '../support/jsonLines';
import { runDicomwebBench } from './dicomwebBench';

export type TeamBenchSection = 'dicomweb' | 'sync' | 'workers' | 'kill';
export const TEAM_BENCH_SECTIONS: readonly TeamBenchSection[] = ['dicomweb', 'workers', 'kill', 'sync'];

export interface TeamBenchOptions {
  records?: number;
  dim?: number;
  /** Sections to run (default all). */
  sections?: TeamBenchSection[];
  /** Folder of MedNIST class folders (default $SIMILA_DATA/mednist or ../shared/data/mednist). */
  mednist?: string;
  /** The DICOM corpus for the dicomweb section (default $SIMILA_DATA/dicom or ../shared/data/dicom). */
  dicomCorpus?: string;
  /** Images per worker folder (default 300). */
  workerImages?: number;
  onLog?: (line: string) => void;
}

export async function runTeamBench(options: TeamBenchOptions = {}): Promise<Record<string, unknown>> {
  const sections = new Set<TeamBenchSection>(options.sections ?? TEAM_BENCH_SECTIONS);
  const server = await startPostgres();
  if (!server) return { skipped: 'PostgreSQL is not installed (postgresql-15)' };
  const temp = mkdtempSync(path.join(os.tmpdir(), 'simila-team-bench-'));
  const loadBefore = os.loadavg()[0] ?? 0;
  try {
    const out: Record<string, unknown> = {
      dicomweb_images: null,
      folder_images: null,
      dicomweb_vs_folder_ratio: null,
      workers_speedup: null,
      kill_recorded_once: null,
      kill_duplicates: null,
      kill_missing: null,
    };
    if (sections.has('dicomweb')) Object.assign(out, await dicomwebSection(options));
    if (sections.has('workers') || sections.has('kill')) Object.assign(out, await workerSections(server, temp, sections, options));
    if (sections.has('sync')) Object.assign(out, await syncSection(server, temp, options));
    return { ...out, machine: { cpus: os.availableParallelism(), node: process.version, load_average_before: Math.round(loadBefore * 10) / 10, load_average_after: Math.round((os.loadavg()[0] ?? 0) * 10) / 10 } };
  } finally {
    server.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

/** The DICOMweb import against a folder import of the same files (its own Orthanc; skipped without one). */
async function dicomwebSection(options: TeamBenchOptions): Promise<Record<string, unknown>> {
  const corpus = options.dicomCorpus ?? path.join(process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data'), 'dicom');
  try {
    const { machine: _machine, ...result } = await runDicomwebBench({ dicomCorpus: corpus, onLog: options.onLog });
    return result;
  } catch (error) {
    return { dicomweb_skipped: error instanceof Error ? error.message : String(error) };
  }
}

async function syncSection(server: TestPostgres, temp: string, options: TeamBenchOptions): Promise<Record<string, unknown>> {
  const records = options.records ?? 1_000_000;
  const dim = options.dim ?? 64;
  {
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
    const services = openServices({ home: path.join(temp, 'sync-home'), env: {}, resumeJobs: false, shippedModelsRoot: null, decodeInProcess: true });
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
    };
  }
}

const MEDNIST_CLASSES = ['AbdomenCT', 'BreastMRI', 'CXR', 'ChestCT', 'Hand', 'HeadCT'];

/** Copies `perClass` images of each class into `dir`; returns the distinct content hashes. */
function copyMednist(mednist: string, classes: string[], perClass: number, dir: string, skip = 0): string[] {
  mkdirSync(dir, { recursive: true });
  const hashes = new Set<string>();
  for (const cls of classes) {
    const names = readdirSync(path.join(mednist, cls)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort().slice(skip, skip + perClass);
    for (const name of names) {
      const target = path.join(dir, `${cls}-${name}`);
      copyFileSync(path.join(mednist, cls, name), target);
      hashes.add(sha256(readFileSync(target)));
    }
  }
  return [...hashes];
}

interface BenchWorker {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startWorker(url: string, home: string, name: string, cpu: number | null, extra: string[]): BenchWorker {
  const simila = path.join(packageRoot(), 'bin/simila.js');
  const args = [simila, 'worker', '--team', url, '--home', home, '--name', name, '--json', '--decode-workers', '1', '--embed-workers', '1', ...extra];
  const pinned = cpu !== null && existsSync('/usr/bin/taskset');
  const child = spawn(pinned ? '/usr/bin/taskset' : process.execPath, pinned ? ['-c', String(cpu), process.execPath, ...args] : args, {
    env: { ...process.env, SIMILA_EMBED_WORKERS: '1', SIMILA_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = collectJsonLines(child.stdout!);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code && code !== 0) process.stderr.write(`[bench team] worker ${name} exited ${code}: ${stderr}\n`);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  return { child, lines, exited };
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`bench team: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function recordedCounts(store: Awaited<ReturnType<typeof openTeamStore>>, hashes: string[]) {
  return store.read(async (client) => {
    const rows = await client.query<{ hash: string; writes: number; vectors: string; vector_writes: string }>(
      `SELECT i.hash, i.writes, (SELECT count(*) FROM ${S}.vectors v WHERE v.hash = i.hash) AS vectors,
              (SELECT COALESCE(max(v.writes), 0) FROM ${S}.vectors v WHERE v.hash = i.hash) AS vector_writes
         FROM ${S}.images i WHERE i.hash = ANY($1)`,
      [hashes],
    );
    const twice = rows.rows.filter((r) => r.writes > 1 || Number(r.vectors) > 1 || Number(r.vector_writes) > 1).length;
    return { once: rows.rowCount! - twice, twice, missing: hashes.length - rows.rowCount! };
  });
}

async function workerSections(server: TestPostgres, temp: string, sections: Set<TeamBenchSection>, options: TeamBenchOptions): Promise<Record<string, unknown>> {
  const log = options.onLog ?? (() => undefined);
  const mednist = options.mednist ?? path.join(process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data'), 'mednist');
  if (!existsSync(mednist)) return { workers_skipped: `no MedNIST folder at ${mednist}` };
  const perClass = Math.max(1, Math.round((options.workerImages ?? 300) / 3));
  const shardSize = 16;
  const out: Record<string, unknown> = {};
  const planner: Services = openServices({ home: path.join(temp, 'planner'), env: {}, resumeJobs: false, decodeInProcess: true });
  try {
    await planner.engine.ready();
    const model = await planner.engine.activeModel();
    if (!model) return { workers_skipped: 'no shipped model could be installed (assets/models)' };

    /** Indexes `folder` with `n` one-core workers on a fresh database: seconds from plan to last shard done. */
    const timedRun = async (n: number, folder: string, warm: string, hashes: string[]) => {
      const url = await server.createDatabase(`team_workers_${n}`);
      const store = await openTeamStore(url);
      const boss = await openQueue(url, { expireInSeconds: 120, maintenanceIntervalSeconds: 5 });
      const workers = Array.from({ length: n }, (_, i) => startWorker(url, path.join(temp, `w${n}-${i}`), `w${n}-${i}`, i % os.availableParallelism(), ['--exit-when-idle', '4', '--expire', '120']));
      try {
        // Warm-up: one-file shards, so each worker starts its decoder and loads the model before the timing.
        const warmJob = await planTeamJob({ store, boss, catalogue: planner.catalogue, modelsDir: planner.layout.models, modelId: model.id, source: warm, shardSize: 1 });
        await waitFor(async () => (await teamJobStatus(store, 5)).find((j) => j.jobId === warmJob.jobId)!.shards.done === warmJob.shards, 300_000, 'the warm-up shards');
        const started = performance.now();
        const job = await planTeamJob({ store, boss, catalogue: planner.catalogue, modelsDir: planner.layout.models, modelId: model.id, source: folder, shardSize });
        await waitFor(async () => (await teamJobStatus(store, 5)).find((j) => j.jobId === job.jobId)!.shards.done === job.shards, 900_000, `${n} worker(s) to finish`);
        const seconds = (performance.now() - started) / 1000;
        const counts = await recordedCounts(store, hashes);
        const shardsBy = workers.map((w) => w.lines.filter((l) => 'shard' in l).length);
        log(`${n} worker(s): ${hashes.length} images in ${seconds.toFixed(1)} s (${counts.once}/${counts.twice}/${counts.missing} once/twice/missing; shard runs per worker ${shardsBy.join(', ')})`);
        return { seconds, counts, shardsBy, shards: job.shards };
      } finally {
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
        await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
        await store.close();
      }
    };

    if (sections.has('workers')) {
      const folder = path.join(temp, 'workers-src');
      const hashes = copyMednist(mednist, MEDNIST_CLASSES.slice(0, 3), perClass, folder);
      const one = await timedRun(1, folder, (copyMednist(mednist, ['Hand'], 2, path.join(temp, 'warm-1'), 400), path.join(temp, 'warm-1')), hashes);
      const two = await timedRun(2, folder, (copyMednist(mednist, ['Hand'], 4, path.join(temp, 'warm-2'), 410), path.join(temp, 'warm-2')), hashes);
      Object.assign(out, {
        workers_images: hashes.length,
        workers_shard_size: shardSize,
        workers_1_seconds: Math.round(one.seconds * 10) / 10,
        workers_2_seconds: Math.round(two.seconds * 10) / 10,
        workers_1_images_per_second: Math.round((hashes.length / one.seconds) * 10) / 10,
        workers_2_images_per_second: Math.round((hashes.length / two.seconds) * 10) / 10,
        workers_speedup: Math.round((one.seconds / two.seconds) * 100) / 100,
        workers_2_shard_runs: two.shardsBy,
        workers_recorded: { one: one.counts, two: two.counts },
        workers_pinned: existsSync('/usr/bin/taskset'),
      });
    }

    if (sections.has('kill')) {
      const folder = path.join(temp, 'kill-src');
      const hashes = copyMednist(mednist, MEDNIST_CLASSES.slice(3, 6), perClass, folder);
      const url = await server.createDatabase('team_kill');
      const store = await openTeamStore(url);
      const expire = 20;
      const boss = await openQueue(url, { expireInSeconds: expire, maintenanceIntervalSeconds: 1 });
      const timing = ['--expire', String(expire), '--maintenance', '1', '--batch', '4'];
      const victim = startWorker(url, path.join(temp, 'victim'), 'victim', 0, timing);
      const survivor = startWorker(url, path.join(temp, 'survivor'), 'survivor', 1 % os.availableParallelism(), [...timing, '--exit-when-idle', String(expire + 15)]);
      try {
        const job = await planTeamJob({ store, boss, catalogue: planner.catalogue, modelsDir: planner.layout.models, modelId: model.id, source: folder, shardSize });
        // Mid-run and mid-shard: at a committed batch of the victim that does not end its shard.
        const midShard = () => {
          const last = victim.lines[victim.lines.length - 1];
          return !!last && 'batch' in last && (last.batch as { recorded: number }).recorded % shardSize !== 0;
        };
        await waitFor(midShard, 600_000, 'the victim to be in the middle of a shard');
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAfter = victim.lines.filter((l) => 'batch' in l).length;
        log(`killed the victim after ${killedAfter} committed batches; waiting for the survivor (the dead shard returns after ${expire} s)`);
        await survivor.exited;
        const [status] = await teamJobStatus(store, 1);
        const counts = await recordedCounts(store, hashes);
        log(`after the kill: ${counts.once}/${counts.twice}/${counts.missing} once/twice/missing, ${status!.shards.done}/${status!.shards.total} shards done, ${status!.retried} retried`);
        Object.assign(out, {
          kill_images: hashes.length,
          kill_recorded_once: counts.once,
          kill_duplicates: counts.twice,
          kill_missing: counts.missing,
          kill_shards_done: status!.shards.done,
          kill_shards_total: job.shards,
          kill_shard_retries: status!.retried,
          kill_victim_batches_before_kill: killedAfter,
        });
      } finally {
        victim.child.kill('SIGKILL');
        survivor.child.kill('SIGTERM');
        await Promise.all([victim.exited, survivor.exited]);
        await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
        await store.close();
      }
    }
    return out;
  } finally {
    await planner.close();
  }
}
