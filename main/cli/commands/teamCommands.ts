/**
 * Team store commands (issue 13): `simila sync`, `simila worker`, `simila team index|status`.
 * The store's address comes from --team, else $SIMILA_TEAM_URL; the password from the URL or $PGPASSWORD.
 * No message prints the password.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type PgBoss from 'pg-boss';
import { openServices, type Services, type ServicesOptions } from '../../app/services';
import { openQueue, planTeamJob, teamJobStatus, type QueueTiming } from '../../team/teamJobs';
import { openTeamStore, type TeamStore } from '../../team/teamStore';
import { lastSync, syncWithTeam } from '../../team/teamSync';
import { redactSecrets, redactUrl, resolveTeamUrl } from '../../team/teamUrl';
import { startTeamWorker } from '../../team/teamWorker';

const teamOption = ['--team <url>', 'team store: postgres://USER@HOST:PORT/DATABASE (default: $SIMILA_TEAM_URL; password from $PGPASSWORD)'] as const;
const homeOption = ['--home <dir>', 'data home folder (default: $SIMILA_HOME or the OS app-data folder)'] as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function teamUrl(option: string | undefined): string {
  const url = resolveTeamUrl(option);
  if (!url) throw new Error('No team store: pass --team postgres://... or set SIMILA_TEAM_URL.');
  return url;
}

async function guarded(json: boolean | undefined, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (error) {
    const message = redactSecrets(error instanceof Error ? error.message : String(error));
    if (json) process.stdout.write(`${JSON.stringify({ error: { message } })}\n`);
    else process.stderr.write(`simila: ${message}\n`);
    return 1;
  }
}

interface TeamSession<Q extends boolean, S extends boolean> {
  url: string;
  store: TeamStore;
  boss: Q extends true ? PgBoss : null;
  services: S extends true ? Services : null;
}

interface TeamSessionNeeds<Q extends boolean, S extends boolean> {
  /** Open the pg-boss queue too; `graceful` lets jobs in hand finish when it stops. */
  queue?: Q extends true ? { timing?: QueueTiming; graceful: boolean } : undefined;
  /** Open this data home too. */
  services?: S extends true ? ServicesOptions : undefined;
}

/**
 * Opens what a team command needs (the store; the queue and the data home when asked), runs `fn`, and
 * closes them in the reverse order whether `fn` succeeded or threw, so a failure never leaves a
 * connection holding the process open.
 */
async function withTeamSession<Q extends boolean = false, S extends boolean = false>(
  teamOption: string | undefined,
  needs: TeamSessionNeeds<Q, S>,
  fn: (session: TeamSession<Q, S>) => Promise<number>,
): Promise<number> {
  const url = teamUrl(teamOption);
  const store = await openTeamStore(url);
  let boss: PgBoss | null = null;
  let services: Services | null = null;
  try {
    if (needs.queue) boss = await openQueue(url, needs.queue.timing);
    if (needs.services) services = openServices(needs.services);
    return await fn({ url, store, boss, services } as TeamSession<Q, S>);
  } finally {
    await boss?.stop({ graceful: needs.queue?.graceful ?? false, wait: true, close: true }).catch(() => undefined);
    await services?.close();
    await store.close();
  }
}

export function addTeamCommands(program: Command): void {
  program
    .command('sync')
    .description('push this data home\'s changes to the team store and pull the team\'s (incremental)')
    .option(...teamOption)
    .option(...homeOption)
    .option('--json', 'print JSON')
    .action(async (opts: { team?: string; home?: string; json?: boolean }) => {
      const needs = { services: { home: opts.home, resumeJobs: false, shippedModelsRoot: null, decodeInProcess: true } };
      process.exitCode = await guarded(opts.json, () =>
        withTeamSession<false, true>(opts.team, needs, async ({ url, store, services }) => {
          const summary = await syncWithTeam({
            store,
            catalogue: services.catalogue,
            modelsDir: services.layout.models,
            thumbnailsDir: services.layout.thumbnails,
            onProgress: opts.json ? undefined : (phase, table, rows) => process.stderr.write(`\r${phase} ${table}: ${rows} rows   `),
          });
          if (opts.json) process.stdout.write(`${JSON.stringify({ team: redactUrl(url), ...summary })}\n`);
          else {
            const line = (c: Record<string, number>) => Object.entries(c).map(([k, n]) => `${n} ${k}`).join(', ');
            process.stderr.write('\n');
            process.stdout.write(`Synced with ${redactUrl(url)} in ${summary.seconds} s. Pushed: ${line({ ...summary.pushed })}. Pulled: ${line({ ...summary.pulled })}.\n`);
          }
          return 0;
        }),
      );
    });

  program
    .command('worker')
    .description('index shards of team jobs from the team queue until stopped (SIGINT/SIGTERM)')
    .option(...teamOption)
    .option(...homeOption)
    .option('--decode-workers <n>', 'decode processes (default 1)', positiveInt)
    .option('--embed-workers <n>', 'embedding threads (default 1)', positiveInt)
    .option('--batch <n>', 'images per batch (default 16)', positiveInt)
    .option('--expire <seconds>', 'a shard held longer than this by a dead worker goes to another (default 600)', positiveInt)
    .option('--maintenance <seconds>', 'how often expired shards are looked for (default 30)', positiveInt)
    .option('--exit-when-idle <seconds>', 'stop after this many seconds with no shard to do', positiveInt)
    .option('--name <name>', 'worker name recorded with its shards (default host:pid)')
    .option('--json', 'one JSON line per shard done')
    .action(async (opts: { team?: string; home?: string; decodeWorkers?: number; embedWorkers?: number; batch?: number; expire?: number; maintenance?: number; exitWhenIdle?: number; name?: string; json?: boolean }) => {
      const needs = {
        queue: { timing: { expireInSeconds: opts.expire, maintenanceIntervalSeconds: opts.maintenance }, graceful: true },
        services: { home: opts.home, resumeJobs: false, decodeWorkers: opts.decodeWorkers ?? 1, embedWorkers: opts.embedWorkers ?? 1 },
      };
      process.exitCode = await guarded(opts.json, () =>
        withTeamSession<true, true>(opts.team, needs, async ({ url, store, boss, services }) => {
          let lastWork = performance.now();
          const worker = await startTeamWorker({
            store,
            boss,
            services,
            name: opts.name,
            batchSize: opts.batch,
            onBatch: (recorded) => {
              lastWork = performance.now();
              if (opts.json) process.stdout.write(`${JSON.stringify({ batch: { recorded } })}\n`);
            },
            onShard: (event) => {
              lastWork = performance.now();
              if (opts.json) process.stdout.write(`${JSON.stringify({ shard: event })}\n`);
              else process.stderr.write(`job ${event.jobId} shard ${event.shardNo}: ${event.recorded} recorded, ${event.skipped} already there, ${event.failed} failed in ${event.seconds.toFixed(1)} s\n`);
            },
          });
          if (!opts.json) process.stderr.write(`simila: worker on ${redactUrl(url)}, waiting for shards (Ctrl-C stops).\n`);
          await new Promise<void>((resolve) => {
            const stop = () => resolve();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            if (opts.exitWhenIdle) {
              const timer = setInterval(() => {
                if (worker.busy()) lastWork = performance.now();
                else if (performance.now() - lastWork > opts.exitWhenIdle! * 1000) {
                  clearInterval(timer);
                  resolve();
                }
              }, 250);
            }
          });
          await worker.stop();
          return 0;
        }),
      );
    });

  const team = program.command('team').description('team jobs on the PostgreSQL queue');
  team
    .command('index')
    .description('split a source (a folder) into shards and queue them for `simila worker` processes')
    .argument('<source>', 'folder to index')
    .option(...teamOption)
    .option(...homeOption)
    .option('--shard-size <n>', 'files per shard (default 64)', positiveInt)
    .option('--json', 'print JSON')
    .action(async (source: string, opts: { team?: string; home?: string; shardSize?: number; json?: boolean }) => {
      const needs = { queue: { graceful: false }, services: { home: opts.home, resumeJobs: false, decodeInProcess: true } };
      process.exitCode = await guarded(opts.json, () =>
        withTeamSession<true, true>(opts.team, needs, async ({ store, boss, services }) => {
          const model = await services.engine.activeModel();
          if (!model) throw new Error('No trained model is installed here: the team job embeds with this home\'s active model.');
          const planned = await planTeamJob({ store, boss, catalogue: services.catalogue, modelsDir: services.layout.models, modelId: model.id, source, shardSize: opts.shardSize });
          if (opts.json) process.stdout.write(`${JSON.stringify(planned)}\n`);
          else process.stdout.write(`Team job ${planned.jobId}: ${planned.files} files in ${planned.shards} shards, model ${planned.modelKey}. Start workers with \`simila worker --team ...\`.\n`);
          return 0;
        }),
      );
    });
  team
    .command('status')
    .description('progress of the team\'s indexing jobs, and when this home last synced')
    .option(...teamOption)
    .option(...homeOption)
    .option('--json', 'print JSON')
    .action(async (opts: { team?: string; home?: string; json?: boolean }) => {
      process.exitCode = await guarded(opts.json, () =>
        withTeamSession(opts.team, {}, async ({ url, store }) => {
          const jobs = await teamJobStatus(store);
          let synced: ReturnType<typeof lastSync> = null;
          if (opts.home || process.env.SIMILA_HOME) {
            const services = openServices({ home: opts.home, resumeJobs: false, shippedModelsRoot: null, decodeInProcess: true });
            synced = lastSync(services.catalogue);
            await services.close();
          }
          if (opts.json) process.stdout.write(`${JSON.stringify({ team: redactUrl(url), jobs, last_sync: synced?.at ?? null })}\n`);
          else {
            for (const j of jobs) {
              process.stdout.write(
                `job ${j.jobId} ${j.source}: ${j.shards.done}/${j.shards.total} shards done (${j.shards.running} running, ${j.shards.queued} queued), ` +
                  `${j.recorded}/${j.files} images recorded, ${j.failed} failed, ${j.retried} shard retries, workers: ${j.workers.join(', ') || 'none yet'}\n`,
              );
            }
            if (jobs.length === 0) process.stdout.write('No team jobs.\n');
            if (synced) process.stdout.write(`This home last synced at ${synced.at}.\n`);
          }
          return 0;
        }),
      );
    });
}
