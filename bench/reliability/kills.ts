/**
 * The `kills` section of `simila bench reliability` (issue 12, item 1): SIGKILL at seeded random points
 * while the app embeds, saves an HNSW index, writes model packages, activates an adapted profile and
 * re-embeds, writes feedback judgements through the RPC handlers, and migrates an old catalogue; then a
 * restart and the checks a home must pass after any crash:
 *
 * - `PRAGMA integrity_check` and the foreign keys hold, and nothing else `simila check` looks at is wrong
 *   (model packages verify against their SHA-256; image files and thumbnails are there);
 * - every model's index opens, or is rebuilt automatically from the stored vectors, with as many vectors
 *   as the catalogue holds for it (a stale or torn index file on disk is allowed: it is a cache);
 * - the active model is a complete package (manifest valid, weights checksum verified);
 * - every judgement the handler acknowledged before the kill is stored (or a later one sent after it);
 * - every job the kill interrupted resumes and ends done, or ends failed with a reason;
 * - the active model has a vector for every visible image once the restarted app's jobs settled;
 * - a migrated catalogue is at the latest schema version with all its rows.
 *
 * Each cycle copies a small template home (a few dozen mednist images, a tiny random Conv-4), forks
 * killChild.ts on it, SIGKILLs it after a seeded delay from the moment the operation starts, restarts
 * the app in this process and checks. Finite operations (embedding, activation, migration) are timed
 * once unkilled and killed at a uniform point of that time; one that ends before its kill is a miss
 * and is drawn again. The looping ones (index save, package write, feedback) run until killed.
 */
import { seeded } from '../stats';
import { installTinyModel } from '../support/tinyModel';
import { fork } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createApp } from '../../main/app/createApp';
import { createAdaptationServiceFor, openServices, type Services } from '../../main/app/services';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { migrate, schemaVersion } from '../../main/catalogue/migrate';
import { LATEST_SCHEMA_VERSION, migrations } from '../../main/catalogue/migrations';
import { homeLayout } from '../../main/home/dataHome';
import { catalogueVectorSource, openModelIndex } from '../../main/index/modelIndex';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { checkHome } from '../../main/maintenance/check';
import { readModelManifest } from '../../main/ml/package/modelPackage';
import { writeSyntheticArchive } from '../ingest/syntheticArchive';
import { killAppOptions, type KillKind, type KillScenario, type SentJudgement } from './killChild';
import type { ReliabilitySection } from './reliabilityBench';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'killChild.ts');

export const KILL_KINDS: readonly KillKind[] = ['embed', 'index-save', 'package-write', 'activation', 'feedback', 'migration'];

export interface KillOptions {
  kinds?: readonly KillKind[];
  killsPerKind: number;
  seed: number;
  workDir: string;
  packageRoot: string;
  /** Images copied into the template archive (default 24). */
  images?: number;
  /** Generated images in the old-version catalogue of the migration kind (default 20,000). */
  migrationRows?: number;
  log?: (line: string) => void;
}

export interface KillCycle {
  kind: KillKind;
  seed: number;
  delayMs: number;
  survived: boolean;
  problems: string[];
  /** How the index of each model opened after the restart. */
  indexes: string[];
  /** Interrupted jobs at the kill and how they ended after the restart. */
  jobs: { id: number; kind: string; state: string; error: string | null }[];
  acknowledged?: number;
}

export interface KindResult {
  injected: number;
  survived: number;
  /** Cycles whose operation finished before its kill (drawn again, not counted). */
  missed: number;
  /** Index opens after restart: loaded / caught-up / rebuilt (with reason). */
  index_origins: Record<string, number>;
  jobs_resumed: number;
  jobs_failed_with_reason: number;
  failures: KillCycle[];
  /** The delays drawn, ms after the operation started. */
  delays_ms: { min: number; max: number };
}

export interface KillReport {
  kills_injected: number;
  kills_survived: number;
  kinds: Record<string, KindResult>;
  seconds: number;
}

const rng = seeded;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

// --- the killed child --------------------------------------------------------------------------

interface ChildRun {
  /** Resolves when the child said the operation started (null: it exited first). */
  phase: Promise<Record<string, unknown> | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: () => boolean;
  /** performance.now() when the child said the operation finished. */
  doneAt: () => number | null;
  acks: SentJudgement[];
  sent: SentJudgement[];
  activated: () => boolean;
  kill(): void;
  stderr(): string;
}

function startChild(scenario: KillScenario, packageRoot: string): ChildRun {
  const child = fork(CHILD, [], {
    cwd: packageRoot,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SIMILA_KILL_SCENARIO: JSON.stringify(scenario), SIMILA_HOME: '', SIMILA_EMBED_WORKERS: '1' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let finished = false;
  let doneAt: number | null = null;
  let activated = false;
  const acks: SentJudgement[] = [];
  const sent: SentJudgement[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const phase = new Promise<Record<string, unknown> | null>((resolve) => {
    child.on('message', (m: { phase?: Record<string, unknown>; done?: unknown; ack?: SentJudgement; sending?: SentJudgement; activated?: unknown }) => {
      if (m.phase) resolve(m.phase);
      if (m.done) {
        finished = true;
        doneAt = performance.now();
      }
      if (m.activated) activated = true;
      if (m.sending) sent.push(m.sending);
      if (m.ack) acks.push(m.ack);
    });
    void exited.then(() => resolve(null));
  });
  return { phase, exited, done: () => finished, doneAt: () => doneAt, acks, sent, activated: () => activated, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

// --- templates -----------------------------------------------------------------------------------

interface Templates {
  /** Images imported, a tiny model active, no vectors. */
  base: string;
  /** base + every image embedded; an adapted child profile registered (inactive). */
  embedded: string;
  adaptedModelId: number;
  /** A catalogue file at schema version 6 with generated rows. */
  oldCatalogue: string;
  oldRows: number;
  images: number;
}


async function writeArchive(dir: string, packageRoot: string, count: number): Promise<string[]> {
  const archive = path.join(dir, 'archive');
  const mednist = path.join(process.env.SIMILA_DATA ?? path.resolve(packageRoot, '../shared/data'), 'mednist');
  const classes = ['AbdomenCT', 'Hand', 'HeadCT'];
  if (classes.every((c) => existsSync(path.join(mednist, c)))) {
    const per = Math.ceil(count / classes.length);
    for (const name of classes) {
      mkdirSync(path.join(archive, name), { recursive: true });
      for (const file of readdirSync(path.join(mednist, name)).filter((f) => f.endsWith('.jpeg')).sort().slice(0, per)) {
        copyFileSync(path.join(mednist, name, file), path.join(archive, name, file));
      }
    }
    return classes;
  }
  await writeSyntheticArchive(archive, { files: count, minSide: 32, maxSide: 96, bases: 8, perFolder: Math.ceil(count / 3) });
  return readdirSync(archive).sort();
}

async function waitJob(services: Services, jobId: number): Promise<void> {
  const finished = await services.jobs.waitFor(jobId);
  if (finished.state !== 'done') throw new Error(`template job ${jobId} ended ${finished.state}: ${finished.error}`);
}

async function buildTemplates(workDir: string, packageRoot: string, images: number, migrationRows: number): Promise<Templates> {
  const base = path.join(workDir, 'template-base');
  const archiveRoot = path.join(workDir, 'template-archive');
  const classes = await writeArchive(archiveRoot, packageRoot, images);
  const archive = path.join(archiveRoot, 'archive');
  {
    const services = openServices({ ...killAppOptions(base), resumeJobs: false });
    await waitJob(services, services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive }));
    await installTinyModel(services, 7);
    await services.close();
  }
  const embedded = path.join(workDir, 'template-embedded');
  cpSync(base, embedded, { recursive: true });
  let adaptedModelId: number;
  {
    const services = openServices({ ...killAppOptions(embedded), resumeJobs: false });
    const jobId = await services.startEmbedding();
    if (jobId === null) throw new Error('no model to embed with');
    await waitJob(services, jobId);
    const adaptation = createAdaptationServiceFor(services);
    const idsIn = (name: string): number[] => {
      const rows = services.catalogue.db
        .prepare('SELECT DISTINCT p.image_id AS id FROM image_paths p JOIN folders f ON f.id = p.folder_id WHERE f.path = ? ORDER BY p.image_id')
        .all(path.join(archive, name)) as { id: number }[];
      return rows.map((r) => r.id);
    };
    const target = adaptation.createClass('Kill target');
    adaptation.addImages(target.id, idsIn(classes[0]!).slice(0, 4), 'support');
    adaptation.addImages(target.id, idsIn(classes[1]!).slice(0, 3), 'negative');
    const adaptJob = await adaptation.start([target.id], 'kill-adapted', { steps: 3 });
    await waitJob(services, adaptJob);
    const result = adaptation.result(adaptJob);
    if (!result.model) throw new Error(`the template adaptation made no model: ${result.message}`);
    adaptedModelId = result.model.id;
    await services.close();
  }
  const oldCatalogue = path.join(workDir, 'template-v6.sqlite');
  writeOldCatalogue(oldCatalogue, migrationRows);
  const count = new Database(path.join(base, 'catalogue.sqlite'), { readonly: true });
  const imageCount = (count.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  count.close();
  return { base, embedded, adaptedModelId, oldCatalogue, oldRows: migrationRows, images: imageCount };
}

/** A catalogue as Simila left it at schema version 6: images, folders, paths, and trunk feature rows 007 drops. */
function writeOldCatalogue(file: string, rows: number): void {
  rmSync(file, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, migrations, 6);
  const now = new Date().toISOString();
  const folder = db.prepare('INSERT INTO folders (path) VALUES (?)');
  const image = db.prepare("INSERT INTO images (id, hash, width, height, format, byte_size, added_at, meta) VALUES (?, ?, 64, 64, 'png', 1000, ?, '{}')");
  const imagePath = db.prepare('INSERT INTO image_paths (path, image_id, folder_id, size, mtime_ms) VALUES (?, ?, ?, 1000, 0)');
  const trunk = db.prepare('INSERT INTO trunk_features (trunk_key, image_id, features) VALUES (?, ?, ?)');
  const blob = Buffer.alloc(2048, 7);
  db.transaction(() => {
    for (let f = 1; f <= 10; f++) folder.run(`/old/archive/f${f}`);
    for (let i = 1; i <= rows; i++) {
      image.run(i, i.toString(16).padStart(64, '0'), now);
      imagePath.run(`/old/archive/f${(i % 10) + 1}/img${i}.png`, i, (i % 10) + 1);
      trunk.run('old-trunk', i, blob);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

// --- after the restart ---------------------------------------------------------------------------

interface Interrupted {
  id: number;
  kind: string;
}

function interruptedJobs(home: string): Interrupted[] {
  const db = new Database(path.join(home, 'catalogue.sqlite'), { fileMustExist: true });
  try {
    return db.prepare("SELECT id, kind FROM jobs WHERE state IN ('running', 'queued')").all() as Interrupted[];
  } finally {
    db.close();
  }
}

/** Restarts the app on the home, lets its jobs settle, then checks everything a crash must not break. */
async function verifyHome(home: string, cycle: KillCycle, expect: { acks?: SentJudgement[]; sent?: SentJudgement[]; feedback?: { queryKey: string; modelId: number } }): Promise<void> {
  const problems = cycle.problems;
  let interrupted: Interrupted[] = [];
  try {
    interrupted = interruptedJobs(home);
  } catch (error) {
    problems.push(`the catalogue could not be read after the kill: ${message(error)}`);
    return;
  }
  // The restart: the app as the shells start it (interrupted jobs resumed, missing vectors queued).
  const app = await createApp({ ...killAppOptions(home), autoEmbed: true });
  const ctx = { mode: 'browser' as const };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const jobs = await app.handlers['jobs.list']({}, ctx);
      const open = jobs.filter((j) => j.state === 'queued' || j.state === 'running');
      const info = await app.handlers['embeddings.status']({}, ctx);
      if (open.length === 0 && (info.model === null || info.jobId === null)) {
        for (const job of interrupted) {
          const now = jobs.find((j) => j.jobId === job.id);
          const state = now?.state ?? 'missing';
          const error = now?.message ?? null;
          cycle.jobs.push({ id: job.id, kind: job.kind, state, error });
          if (state !== 'done' && !(state === 'failed' && error)) problems.push(`job ${job.id} (${job.kind}) interrupted by the kill ended ${state} without a reason`);
        }
        if (info.model && info.embedded !== info.total) problems.push(`the active model has ${info.embedded} of ${info.total} vectors after its jobs settled`);
        break;
      }
      if (Date.now() > deadline) {
        problems.push(`jobs did not settle within 120 s after the restart: ${JSON.stringify(open)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await app.close();
  }

  const layout = homeLayout(home);
  const catalogue = openCatalogue(layout.catalogueFile);
  try {
    for (const model of catalogue.models.list()) {
      const source = catalogueVectorSource(catalogue, model.id)!;
      const logged: string[] = [];
      try {
        const opened = await openModelIndex({ dir: layout.indexes, modelId: model.id }, source, undefined, undefined, (line) => logged.push(line));
        const origin = opened.origin.kind === 'rebuilt' ? `rebuilt:${opened.origin.reason}` : opened.origin.kind;
        cycle.indexes.push(origin);
        if (opened.index.size !== source.count()) problems.push(`model ${model.id}: the index opened with ${opened.index.size} vectors, the catalogue holds ${source.count()}`);
        if (opened.origin.kind === 'rebuilt' && source.count() > 0 && logged.length === 0) problems.push(`model ${model.id}: the index was rebuilt without saying so in the log`);
      } catch (error) {
        problems.push(`model ${model.id}: the index neither opened nor was rebuilt: ${message(error)}`);
      }
    }
    const active = catalogue.models.active();
    if (!active) problems.push('no model is active after the restart');
    if (expect.feedback) {
      const stored = catalogue.judgements.lookup(expect.feedback.queryKey, expect.feedback.modelId);
      const acks = expect.acks ?? [];
      const sent = expect.sent ?? [];
      cycle.acknowledged = acks.length;
      const lastAck = new Map<number, SentJudgement>();
      for (const a of acks) lastAck.set(a.imageId, a);
      for (const [imageId, ack] of lastAck) {
        // What may be stored: the last acknowledged judgement, or one sent after it (in flight at the kill).
        const allowed = new Set([ack.judgement, ...sent.filter((s) => s.imageId === imageId && s.seq > ack.seq).map((s) => s.judgement)]);
        const value = stored.get(imageId);
        if (!value || !allowed.has(value)) problems.push(`image ${imageId}: judgement ${ack.judgement} (#${ack.seq}) was acknowledged, ${value ?? 'nothing'} is stored`);
      }
    }
  } finally {
    catalogue.close();
  }

  const report = await checkHome({ home, env: {} });
  const activeId = report.checked.models.length > 0 ? (await activeModelId(home)) : null;
  for (const problem of report.problems) {
    // An index file on disk that is stale or torn is a cache the app rebuilt above; the rest must hold.
    if (problem.kind.startsWith('index-')) continue;
    problems.push(`simila check: ${problem.kind}: ${problem.detail}`);
  }
  const activeEntry = report.checked.models.find((m) => m.id === activeId);
  if (activeId !== null && !activeEntry?.weightsVerified) problems.push(`the active model ${activeId} is not a complete package (weights not verified)`);
  // A folder rewritten in place (package-write) must be there whole: the old package or the new one.
  const checkpoint = path.join(layout.models, 'checkpoint');
  const leftovers = readdirSync(layout.models).filter((name) => name.startsWith('checkpoint.old-'));
  if (existsSync(checkpoint) || leftovers.length > 0) {
    const read = await readModelManifest(checkpoint);
    if (!read.ok) problems.push(`models/checkpoint rewritten in place is not a whole package after the kill: ${read.message}${leftovers.length > 0 ? ` (its previous version is left in ${leftovers.join(', ')})` : ''}`);
  }
}

async function activeModelId(home: string): Promise<number | null> {
  const db = new Database(path.join(home, 'catalogue.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM models WHERE is_active = 1').get() as { id: number } | undefined)?.id ?? null;
  } finally {
    db.close();
  }
}

function verifyMigration(file: string, rows: number, cycle: KillCycle): void {
  try {
    const catalogue = openCatalogue(file);
    try {
      const version = schemaVersion(catalogue.db);
      if (version !== LATEST_SCHEMA_VERSION) cycle.problems.push(`schema version ${version} after reopening, expected ${LATEST_SCHEMA_VERSION}`);
      const integrity = (catalogue.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
      if (integrity.join() !== 'ok') cycle.problems.push(`integrity_check: ${integrity.slice(0, 3).join('; ')}`);
      const fk = catalogue.db.pragma('foreign_key_check') as unknown[];
      if (fk.length > 0) cycle.problems.push(`${fk.length} rows fail the foreign key check`);
      const images = (catalogue.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
      const paths = (catalogue.db.prepare('SELECT COUNT(*) AS n FROM image_paths').get() as { n: number }).n;
      if (images !== rows || paths !== rows) cycle.problems.push(`${images} images and ${paths} paths after the migration, ${rows} before`);
    } finally {
      catalogue.close();
    }
  } catch (error) {
    cycle.problems.push(`the catalogue could not be opened after the kill: ${message(error)}`);
  }
}

// --- the campaign --------------------------------------------------------------------------------

/** Fixed kill windows (ms after the operation started) of the kinds that loop until killed. */
const LOOP_WINDOW_MS: Partial<Record<KillKind, [number, number]>> = {
  'index-save': [20, 1000],
  'package-write': [20, 1000],
  feedback: [20, 1000],
};

export async function runKills(options: KillOptions): Promise<KillReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const kinds = options.kinds ?? KILL_KINDS;
  const workDir = path.join(options.workDir, 'kills');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  log(`kills: building template homes (${options.images ?? 24} images, a tiny model, an adapted profile, a version-6 catalogue)...`);
  const templates = await buildTemplates(workDir, options.packageRoot, options.images ?? 24, kinds.includes('migration') ? (options.migrationRows ?? 20_000) : 10);
  let random = rng(options.seed);
  const result: KillReport = { kills_injected: 0, kills_survived: 0, kinds: {}, seconds: 0 };
  let cycleNo = 0;

  const prepare = (kind: KillKind): { home: string; scenario: KillScenario } => {
    const home = path.join(workDir, `cycle-${++cycleNo}`);
    rmSync(home, { recursive: true, force: true });
    const seed = Math.floor(random() * 2 ** 31);
    if (kind === 'migration') {
      mkdirSync(home, { recursive: true });
      const file = path.join(home, 'catalogue.sqlite');
      copyFileSync(templates.oldCatalogue, file);
      return { home, scenario: { kind, home: file, seed } };
    }
    cpSync(kind === 'embed' || kind === 'package-write' ? templates.base : templates.embedded, home, { recursive: true });
    if (kind === 'index-save') {
      // Half the vectors gone, the index file too: the child stores one vector at a time and saves after each.
      const db = new Database(path.join(home, 'catalogue.sqlite'));
      db.prepare('DELETE FROM embeddings WHERE image_id % 2 = 0').run();
      db.close();
      rmSync(path.join(home, 'indexes'), { recursive: true, force: true });
    }
    return { home, scenario: { kind, home, seed, modelId: kind === 'activation' ? templates.adaptedModelId : undefined } };
  };

  for (const kind of kinds) {
    // Each kind draws from its own stream: the same seed gives a kind the same kill points whatever else runs.
    random = rng(options.seed + KILL_KINDS.indexOf(kind) * 7919);
    const entry: KindResult = { injected: 0, survived: 0, missed: 0, index_origins: {}, jobs_resumed: 0, jobs_failed_with_reason: 0, failures: [], delays_ms: { min: Infinity, max: 0 } };
    result.kinds[kind] = entry;
    let window = LOOP_WINDOW_MS[kind];
    if (!window) {
      // Time the operation once, unkilled, to know where kills can land.
      const { home, scenario } = prepare(kind);
      const run = startChild(scenario, options.packageRoot);
      const phase = await run.phase;
      const t0 = performance.now();
      const exit = await run.exited;
      const duration = (run.doneAt() ?? performance.now()) - t0;
      if (!phase || exit.code !== 0) throw new Error(`kills: the ${kind} operation failed unkilled (${exit.code}): ${run.stderr()}`);
      window = [0, Math.max(20, duration)];
      rmSync(home, { recursive: true, force: true });
      log(`kills: ${kind} takes ${Math.round(duration)} ms unkilled`);
    }
    let attempts = 0;
    while (entry.injected < options.killsPerKind && attempts < options.killsPerKind * 4) {
      attempts++;
      const { home, scenario } = prepare(kind);
      const delayMs = Math.round(window[0] + random() * (window[1] - window[0]));
      const cycle: KillCycle = { kind, seed: scenario.seed, delayMs, survived: false, problems: [], indexes: [], jobs: [] };
      const t0 = performance.now();
      const run = startChild(scenario, options.packageRoot);
      const phase = await run.phase;
      const startMs = performance.now() - t0;
      if (!phase) {
        const exit = await run.exited;
        throw new Error(`kills: the ${kind} child exited (${exit.code}) before its operation started: ${run.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, delayMs));
      const exitedEarly = run.done();
      run.kill();
      const exit = await run.exited;
      if (exitedEarly || exit.signal !== 'SIGKILL') {
        if (exit.code !== 0 && exit.signal !== 'SIGKILL') throw new Error(`kills: the ${kind} child failed (${exit.code}): ${run.stderr()}`);
        entry.missed++;
        log(`kills: ${kind} ended before its kill at ${delayMs} ms (a miss, drawn again)`);
        window = [window[0], Math.max(window[0] + 10, window[1] * 0.8)];
        rmSync(home, { recursive: true, force: true });
        continue;
      }
      entry.injected++;
      entry.delays_ms.min = Math.min(entry.delays_ms.min, delayMs);
      entry.delays_ms.max = Math.max(entry.delays_ms.max, delayMs);
      const t1 = performance.now();
      try {
        if (kind === 'migration') verifyMigration(scenario.home, templates.oldRows, cycle);
        else {
          const feedback = kind === 'feedback' ? { queryKey: String(phase.queryKey), modelId: Number(phase.modelId) } : undefined;
          await verifyHome(home, cycle, { acks: run.acks, sent: run.sent, feedback });
        }
      } catch (error) {
        cycle.problems.push(`the restart failed: ${message(error)}`);
      }
      for (const origin of cycle.indexes) entry.index_origins[origin] = (entry.index_origins[origin] ?? 0) + 1;
      for (const job of cycle.jobs) {
        if (job.state === 'done') entry.jobs_resumed++;
        else if (job.state === 'failed') entry.jobs_failed_with_reason++;
      }
      cycle.survived = cycle.problems.length === 0;
      if (cycle.survived) entry.survived++;
      else entry.failures.push(cycle);
      const acked = cycle.acknowledged === undefined ? '' : ` (${cycle.acknowledged} judgements acknowledged)`;
      log(`kills: ${kind} #${entry.injected} at ${delayMs} ms${acked} (child start ${Math.round(startMs)} ms, restart and checks ${Math.round(performance.now() - t1)} ms): ${cycle.survived ? 'consistent' : cycle.problems.join(' | ')}`);
      rmSync(home, { recursive: true, force: true });
    }
    if (entry.delays_ms.min === Infinity) entry.delays_ms.min = 0;
    result.kills_injected += entry.injected;
    result.kills_survived += entry.survived;
  }
  rmSync(workDir, { recursive: true, force: true });
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  return result;
}

export interface KillSectionOptions {
  killsPerKind?: number;
  kinds?: readonly KillKind[];
}

/** The bench section: `kills_injected` / `kills_survived` at the top, per kind under `kills`. */
export function killsSection(defaults: KillSectionOptions = {}): ReliabilitySection {
  return {
    name: 'kills',
    async run({ options, workDir, log }) {
      const perKind = options.killsPerKind ?? defaults.killsPerKind ?? 20;
      const report = await runKills({ kinds: defaults.kinds, killsPerKind: perKind, seed: options.seed, workDir, packageRoot: options.packageRoot, log });
      return { top: { kills_injected: report.kills_injected, kills_survived: report.kills_survived }, detail: report };
    },
  };
}
