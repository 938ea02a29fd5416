/**
 * Resource faults (issue 12, item 3) on real file systems, no mocks: the data home on a tiny tmpfs that
 * fills during an import (thumbnail writes), an embedding (vector writes: SQLITE_FULL) and an index
 * save; a data home remounted read-only; a home and an archive under a path with spaces and non-ASCII
 * characters; a folder renamed away while it is imported; unreadable files met by an unprivileged user
 * (runuser -u nobody: root ignores mode bits). Each case checks the message, that what was done is
 * kept (PRAGMA integrity_check, no half-written file under a final name, earlier images still there),
 * and that the same step succeeds once the fault is gone.
 *
 * Mounting needs root; without it (or without runuser for the permission case) a case is reported as
 * skipped with the reason. The integration test (test/integration/resourceFaults.test.ts) runs the same
 * scenarios at a small scale; `simila bench reliability` runs them larger as the `diskFaults` section.
 */
import { installTinyModel } from '../support/tinyModel';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync, closeSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import type { ReliabilitySection } from './reliabilityBench';
import { listFiles } from '../support/listFiles';

export interface DiskCase {
  name: string;
  passed: boolean;
  /** Why the case did not run (not root, no runuser...): not counted. */
  skipped?: string;
  checks: Record<string, boolean>;
  detail: Record<string, unknown>;
}

export interface DiskFaultScale {
  /** Images in the archive that fills the tiny disk. */
  importFiles: number;
  /** Size of the tiny tmpfs for the import case (KiB). */
  importDiskKiB: number;
  /** Images embedded in the embedding / index-save case. */
  embedFiles: number;
  /** Images in the folder that disappears mid-import. */
  vanishFiles: number;
}

export const SMALL_SCALE: DiskFaultScale = { importFiles: 48, importDiskKiB: 1500, embedFiles: 24, vanishFiles: 120 };
export const BENCH_SCALE: DiskFaultScale = { importFiles: 200, importDiskKiB: 4000, embedFiles: 96, vanishFiles: 600 };

const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin/simila.js');
const DISK_FULL = /disk holding the data home is full/i;

/** Whether this process can mount a tmpfs (root, and a kernel that lets it); the reason when not. */
export function mountSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'tmpfs mounts need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'mounting a tiny tmpfs needs root (run as root to test a full disk and a read-only home)' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simila-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `mount -t tmpfs failed here: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runuserSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'running the import as another user needs root' };
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'true'], { stdio: 'pipe' });
  } catch (error) {
    return { ok: false, reason: `runuser -u nobody is not available: ${String(error)}` };
  }
  // The other user runs this checkout's CLI: a private folder above it (e.g. a 0700 mktemp folder) stops that.
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'test', '-r', bin], { stdio: 'pipe' });
    return { ok: true };
  } catch {
    return { ok: false, reason: `the user nobody cannot read ${bin} (a folder above the checkout is private to its owner)` };
  }
}

/** Mounted tmpfs folders, so a failed case still unmounts them (unmountAll in a finally / afterAll). */
const mounted = new Set<string>();
function mountTmpfs(dir: string, sizeKiB: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  mounted.add(dir);
}
function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' });
}
export function unmountAll(): void {
  for (const dir of [...mounted].reverse()) {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    mounted.delete(dir);
  }
}

/** Noisy PNGs (thumbnails of noise do not compress: a few of them fill a tiny disk). */
export async function writeNoiseArchive(dir: string, files: number, side = 160, perFolder = 50): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < files; i++) {
    const folder = path.join(dir, `part ${String(Math.floor(i / perFolder)).padStart(2, '0')}`);
    mkdirSync(folder, { recursive: true });
    const pixels = Buffer.alloc(side * side * 3);
    let x = (i + 1) * 2654435761;
    for (let p = 0; p < pixels.length; p++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      pixels[p] = x & 0xff;
    }
    const file = path.join(folder, `img ${String(i).padStart(4, '0')}.png`);
    await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toFile(file);
    out.push(file);
  }
  return out;
}

/** Fills the file system holding `dir` until ENOSPC; returns the filler's path (delete it to free the space). */
function fillDisk(dir: string, name = 'filler'): string {
  const file = path.join(dir, `${name}-${process.pid}.bin`);
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    // the last bytes: fill what a whole chunk did not
    try {
      for (;;) writeSync(fd, chunk, 0, 512);
    } catch {
      // full
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

export function integrityOk(catalogueFile: string): boolean {
  const db = new Database(catalogueFile, { fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) === 'ok';
  } finally {
    db.close();
  }
}


/** No temporary file left, and every file under its final name decodes whole. */
async function filesWhole(dir: string): Promise<{ ok: boolean; files: number; temporary: number; broken: number }> {
  const files = listFiles(dir);
  const temporary = files.filter((f) => f.endsWith('.tmp')).length;
  let broken = 0;
  for (const f of files.filter((f) => f.endsWith('.webp'))) {
    try {
      await sharp(f).raw().toBuffer();
    } catch {
      broken++;
    }
  }
  return { ok: temporary === 0 && broken === 0, files: files.length, temporary, broken };
}

function count(catalogueFile: string, sql: string, ...args: unknown[]): number {
  const db = new Database(catalogueFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get(...args) as { n: number }).n;
  } finally {
    db.close();
  }
}

function servicesOn(home: string, options: { pool?: boolean } = {}): Services {
  return openServices({
    home,
    env: {},
    decodeInProcess: !options.pool,
    decodeWorkers: 1,
    importConcurrency: 2,
    progressThrottleMs: 0,
    shippedModelsRoot: null,
    preferBackends: ['wasm'],
    embedBatchSize: 8,
    embedWorkers: 1,
  });
}

async function runImport(services: Services, root: string) {
  const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, root, { root });
  return services.jobs.waitFor(jobId);
}


async function embedAll(services: Services, modelId: number) {
  const jobId = await services.startEmbedding(modelId);
  if (jobId === null) throw new Error('no model to embed with');
  return services.jobs.waitFor(jobId);
}

function cli(args: string[], options: { user?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = options.user ? 'runuser' : process.execPath;
  const argv = options.user ? ['-u', options.user, '--', process.execPath, bin, ...args] : [bin, ...args];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env: { ...process.env, SIMILA_HOME: '', ...options.env }, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const hasStackTrace = (text: string) => /\n\s+at \S+ \(/.test(text);
const done = (name: string, checks: Record<string, boolean>, detail: Record<string, unknown>): DiskCase => ({ name, passed: Object.values(checks).every(Boolean), checks, detail });

/** (a) The disk fills while thumbnails are written (decode worker pool), then is enlarged and the import run again. */
export async function importDiskFullCase(work: string, scale: DiskFaultScale): Promise<DiskCase> {
  const archive = path.join(work, 'archive-full');
  const files = await writeNoiseArchive(archive, scale.importFiles);
  const mnt = path.join(work, 'disk-import');
  mountTmpfs(mnt, scale.importDiskKiB);
  const home = path.join(mnt, 'home');
  const catalogueFile = path.join(home, 'catalogue.sqlite');
  let services = servicesOn(home, { pool: true });
  const first = await runImport(services, archive);
  const importedBefore = Number(first.summary?.imported ?? -1);
  await services.close();
  const failures = count(catalogueFile, "SELECT COUNT(*) AS n FROM import_failures WHERE code = 'disk_full'");
  const kept = count(catalogueFile, 'SELECT COUNT(*) AS n FROM image_paths');
  const thumbs = await filesWhole(path.join(home, 'thumbnails'));
  const integrityAfterFault = integrityOk(catalogueFile);
  remount(mnt, `size=${scale.importDiskKiB * 40}k`);
  services = servicesOn(home, { pool: true });
  const second = await runImport(services, archive);
  await services.close();
  const total = count(catalogueFile, 'SELECT COUNT(*) AS n FROM image_paths');
  const withThumbs = (await filesWhole(path.join(home, 'thumbnails'))).ok;
  return done(
    'import_disk_full',
    {
      ended_failed_or_done: first.state === 'failed' || first.state === 'done',
      disk_really_filled: first.state === 'failed' && failures > 0,
      message_says_disk_full: DISK_FULL.test(first.error ?? ''),
      failure_recorded_disk_full: failures > 0,
      integrity_ok: integrityAfterFault,
      no_half_written_thumbnail: thumbs.ok,
      imported_before_kept: importedBefore > 0 && kept === importedBefore,
      recovered_done: second.state === 'done',
      recovered_all: total === files.length,
      integrity_ok_after: integrityOk(catalogueFile),
      thumbnails_whole_after: withThumbs,
    },
    { files: files.length, disk_kib: scale.importDiskKiB, imported_before_fault: importedBefore, kept, disk_full_failures: failures, thumbnails: thumbs, error: first.error, recovered: second.summary },
  );
}

/** (a) Vectors (SQLITE_FULL) and the index file (ENOSPC) on a full disk; then space is freed and both succeed. */
export async function embedDiskFullCase(work: string, scale: DiskFaultScale): Promise<DiskCase> {
  const archive = path.join(work, 'archive-embed');
  await writeNoiseArchive(archive, scale.embedFiles, 48);
  const mnt = path.join(work, 'disk-embed');
  mountTmpfs(mnt, 8 * 1024);
  const home = path.join(mnt, 'home');
  const catalogueFile = path.join(home, 'catalogue.sqlite');
  const services = servicesOn(home);
  try {
    const imported = await runImport(services, archive);
    const modelId = await installTinyModel(services);
    const model = services.catalogue.models.get(modelId)!;
    // Queued first (its row fits), then the disk fills while the embedder loads: the vector writes meet SQLITE_FULL.
    const jobId = await services.startEmbedding(modelId);
    let filler = fillDisk(mnt);
    const failedEmbed = await services.jobs.waitFor(jobId!);
    // A job asked for while the disk is full is refused with the same kind of sentence. The WAL is
    // emptied first (with room to do so), else the job's row may fit in WAL pages SQLite already holds
    // and nothing is refused; then every free byte is filled (the failed job released the space reserve).
    rmSync(filler);
    services.catalogue.db.pragma('wal_checkpoint(TRUNCATE)');
    filler = fillDisk(mnt);
    const topUp = fillDisk(mnt, 'top-up');
    let enqueueError = '';
    try {
      services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
    } catch (error) {
      enqueueError = error instanceof Error ? error.message : String(error);
    }
    const storedAtFault = services.catalogue.embeddings.count(modelId);
    const integrityAtFault = integrityOk(catalogueFile);
    rmSync(filler);
    rmSync(topUp);
    const embedded = await embedAll(services, modelId);
    const stored = services.catalogue.embeddings.count(modelId);
    // The index save alone on a full disk: refused with the sentence, nothing half-written, then saved.
    filler = fillDisk(mnt);
    let saveError = '';
    await services.engine.saveIndex(model).catch((error: unknown) => (saveError = error instanceof Error ? error.message : String(error)));
    const indexFiles = listFiles(services.layout.indexes);
    rmSync(filler);
    let savedAfter = true;
    await services.engine.saveIndex(model).catch(() => (savedAfter = false));
    const hits = (await services.search.byImage(1, 5)).hits.length;
    return done(
      'embed_and_index_disk_full',
      {
        import_done: imported.state === 'done',
        embed_failed_with_sentence: failedEmbed.state === 'failed' && DISK_FULL.test(failedEmbed.error ?? ''),
        integrity_ok: integrityAtFault,
        full_disk_enqueue_refused_with_sentence: DISK_FULL.test(enqueueError),
        embed_recovered: embedded.state === 'done' && stored === scale.embedFiles,
        index_save_refused_with_sentence: DISK_FULL.test(saveError),
        index_no_temporary_left: !indexFiles.some((f) => /\.tmp/.test(path.basename(f))),
        index_saved_after: savedAfter,
        search_works_after: hits > 0,
        integrity_ok_after: integrityOk(catalogueFile),
      },
      { images: scale.embedFiles, stored_at_fault: storedAtFault, embed_error: failedEmbed.error, enqueue_error: enqueueError, index_error: saveError, index_files: indexFiles.map((f) => path.basename(f)) },
    );
  } finally {
    await services.close();
  }
}

/** (b) A home remounted read-only: list and search work, import and the app say why they cannot. */
export async function readOnlyHomeCase(work: string): Promise<DiskCase> {
  const archive = path.join(work, 'archive-ro');
  await writeNoiseArchive(archive, 12, 48);
  const mnt = path.join(work, 'disk-ro');
  mountTmpfs(mnt, 16 * 1024);
  const home = path.join(mnt, 'home');
  const services = servicesOn(home);
  await runImport(services, archive);
  const modelId = await installTinyModel(services);
  await embedAll(services, modelId);
  await services.close();
  remount(mnt, 'ro');
  try {
    const list = await cli(['list', '--json', '--home', home]);
    const search = await cli(['search', '1', '-k', '3', '--json', '--home', home]);
    const importRun = await cli(['import', archive, '--home', home]);
    const serve = await cli(['serve', '--no-open', '--home', home]);
    let listed = -1;
    let hits = -1;
    try {
      listed = (JSON.parse(list.stdout) as { total: number }).total;
      hits = ((JSON.parse(search.stdout) as { results?: unknown[] }).results ?? []).length;
    } catch {
      // checked below
    }
    const readOnlySentence = /data home .* is read-only/;
    return done(
      'read_only_home',
      {
        list_works: list.code === 0 && listed === 12,
        search_works: search.code === 0 && hits > 0,
        import_refused_with_sentence: importRun.code !== 0 && readOnlySentence.test(importRun.stderr) && !hasStackTrace(importRun.stderr),
        app_refused_with_sentence: serve.code !== 0 && readOnlySentence.test(serve.stderr) && !hasStackTrace(serve.stderr),
      },
      { listed, hits, import_stderr: importRun.stderr.trim().slice(0, 400), serve_stderr: serve.stderr.trim().slice(0, 400), search_stderr: search.stderr.trim().slice(0, 400) },
    );
  } finally {
    remount(mnt, 'rw');
  }
}

/** (c) Home and archive under "Données médicales/été 2026": import, embed, search, and the CLI's list. */
export async function unicodePathCase(work: string): Promise<DiskCase> {
  const base = path.join(work, 'Données médicales', 'été 2026');
  const archive = path.join(base, 'archive Ü ß 東京');
  const files = await writeNoiseArchive(archive, 16, 48, 8);
  const home = path.join(base, 'home dir');
  const services = servicesOn(home);
  let imported;
  let embedded;
  let hits = 0;
  try {
    imported = await runImport(services, archive);
    const modelId = await installTinyModel(services);
    embedded = await embedAll(services, modelId);
    hits = (await services.search.byImage(1, 5)).hits.length;
  } finally {
    await services.close();
  }
  const list = await cli(['list', '--json', '--home', home]);
  let paths: string[] = [];
  try {
    paths = (JSON.parse(list.stdout) as { items: { path: string }[] }).items.map((i) => i.path);
  } catch {
    // checked below
  }
  return done(
    'unicode_path',
    {
      import_done: imported.state === 'done' && Number(imported.summary?.imported) === files.length,
      embed_done: embedded.state === 'done',
      search_works: hits > 0,
      cli_lists_exact_paths: paths.length === files.length && paths.every((p) => files.includes(p)),
    },
    { home, archive, hits },
  );
}

/** (d) The folder is renamed away mid-import (an unplugged drive), then comes back and is imported again. */
export async function vanishingFolderCase(work: string, scale: DiskFaultScale): Promise<DiskCase> {
  const archive = path.join(work, 'archive-vanish');
  const away = `${archive}.away`;
  const files = await writeNoiseArchive(archive, scale.vanishFiles, 32, 20);
  const home = path.join(work, 'home-vanish');
  const services = openServices({ home, env: {}, decodeInProcess: true, importConcurrency: 1, progressThrottleMs: 0, shippedModelsRoot: null });
  try {
    const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
    const threshold = Math.max(5, Math.floor(scale.vanishFiles / 6));
    let atRename = -1;
    let before: number[] = [];
    const finished = services.jobs.waitFor(jobId);
    for (;;) {
      const n = services.catalogue.images.countVisible();
      if (n >= threshold) {
        renameSync(archive, away);
        atRename = services.catalogue.images.countVisible();
        before = (services.catalogue.db.prepare('SELECT image_id AS id FROM image_paths').all() as { id: number }[]).map((r) => r.id);
        break;
      }
      if (services.jobs.get(jobId)?.state !== 'running' && services.jobs.get(jobId)?.state !== 'queued') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const first = await finished;
    const after = new Set((services.catalogue.db.prepare('SELECT image_id AS id FROM image_paths').all() as { id: number }[]).map((r) => r.id));
    const gone = services.catalogue.db.prepare("SELECT COUNT(*) AS n FROM import_failures WHERE job_id = ? AND message LIKE '%no longer there%'").get(jobId) as { n: number };
    renameSync(away, archive);
    const second = await runImport(services, archive);
    const total = services.catalogue.images.countVisible();
    return done(
      'vanishing_folder',
      {
        renamed_mid_import: atRename >= threshold && atRename < files.length,
        ended_without_crash: first.state === 'done' || first.state === 'failed',
        clear_failures: gone.n > 0,
        earlier_images_kept: before.length > 0 && before.every((id) => after.has(id)),
        reimport_done: second.state === 'done',
        reimport_all: total === files.length,
      },
      { files: files.length, catalogued_at_rename: atRename, failures_no_longer_there: gone.n, first: first.summary, second: second.summary },
    );
  } finally {
    if (existsSync(away) && !existsSync(archive)) renameSync(away, archive);
    await services.close();
  }
}

/** (e) A file and a folder the importing user may not read (EACCES as user nobody; root ignores mode bits). */
export async function permissionDeniedCase(work: string): Promise<DiskCase> {
  const base = path.join(work, 'perm');
  const archive = path.join(base, 'archive');
  const files = await writeNoiseArchive(archive, 6, 32, 3); // "part 00" and "part 01"
  const lockedFile = files[0]!;
  const lockedDir = path.dirname(files[3]!);
  const home = path.join(base, 'home');
  for (const dir of [work, base, archive]) chmodSync(dir, 0o755);
  // The other user must also pass through the temp folders above (mkdtemp makes them 0700).
  for (let dir = path.dirname(work); dir.startsWith(os.tmpdir() + path.sep); dir = path.dirname(dir)) chmodSync(dir, statSync(dir).mode | 0o111);
  chmodSync(base, 0o777);
  chmodSync(lockedFile, 0o000);
  chmodSync(lockedDir, 0o000);
  try {
    const run = await cli(['import', archive, '--json', '--home', home], { user: 'nobody', env: { HOME: base } });
    let summary: { imported?: number; failed_by_reason?: Record<string, number>; state?: string } = {};
    try {
      summary = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
    } catch {
      // checked below
    }
    const messages = (() => {
      try {
        return count(path.join(home, 'catalogue.sqlite'), "SELECT COUNT(*) AS n FROM import_failures WHERE code = 'permission_denied' AND message LIKE 'Permission denied%'");
      } catch {
        return -1;
      }
    })();
    return done(
      'permission_denied',
      {
        import_done: run.code === 0 && summary.state === 'done',
        readable_imported: summary.imported === 2, // part 00 minus the locked file
        denied_recorded: summary.failed_by_reason?.permission_denied === 2 && messages === 2,
        no_stack_trace: !hasStackTrace(run.stderr),
      },
      { summary, stderr: run.stderr.trim().slice(0, 400) },
    );
  } finally {
    chmodSync(lockedDir, 0o755);
    chmodSync(lockedFile, 0o644);
  }
}

export interface DiskFaultReport {
  disk_cases: number;
  disk_passed: number;
  skipped: { name: string; reason: string }[];
  cases: DiskCase[];
}

/** Runs every case that this machine allows (a case that throws counts as failed, with its error). */
export async function runDiskFaults(scale: DiskFaultScale, log: (line: string) => void = () => undefined, workDir?: string): Promise<DiskFaultReport> {
  const work = mkdtempSync(path.join(workDir ?? os.tmpdir(), 'simila-diskfaults-'));
  chmodSync(work, 0o755);
  const mount = mountSupport();
  const runuser = runuserSupport();
  const plan: { name: string; needs: { ok: boolean; reason?: string }; run: () => Promise<DiskCase> }[] = [
    { name: 'import_disk_full', needs: mount, run: () => importDiskFullCase(work, scale) },
    { name: 'embed_and_index_disk_full', needs: mount, run: () => embedDiskFullCase(work, scale) },
    { name: 'read_only_home', needs: mount, run: () => readOnlyHomeCase(work) },
    { name: 'unicode_path', needs: { ok: true }, run: () => unicodePathCase(work) },
    { name: 'vanishing_folder', needs: { ok: true }, run: () => vanishingFolderCase(work, scale) },
    { name: 'permission_denied', needs: runuser, run: () => permissionDeniedCase(work) },
  ];
  const cases: DiskCase[] = [];
  const skipped: { name: string; reason: string }[] = [];
  try {
    for (const step of plan) {
      if (!step.needs.ok) {
        skipped.push({ name: step.name, reason: step.needs.reason ?? 'not supported here' });
        log(`diskFaults: ${step.name} skipped: ${step.needs.reason}`);
        continue;
      }
      log(`diskFaults: ${step.name}...`);
      const started = Date.now();
      try {
        const result = await step.run();
        result.detail.seconds = (Date.now() - started) / 1000;
        cases.push(result);
      } catch (error) {
        cases.push({ name: step.name, passed: false, checks: { completed: false }, detail: { error: error instanceof Error ? (error.stack ?? error.message) : String(error) } });
      } finally {
        unmountAll();
      }
      log(`diskFaults: ${step.name} ${cases[cases.length - 1]!.passed ? 'passed' : 'FAILED'}`);
    }
  } finally {
    unmountAll();
    rmSync(work, { recursive: true, force: true });
  }
  return { disk_cases: cases.length, disk_passed: cases.filter((c) => c.passed).length, skipped, cases };
}

export const diskFaultsSection: ReliabilitySection = {
  name: 'diskFaults',
  async run({ workDir, log }) {
    const report = await runDiskFaults(BENCH_SCALE, log, workDir);
    return { top: { disk_cases: report.disk_cases, disk_passed: report.disk_passed }, detail: { skipped: report.skipped, cases: report.cases } };
  },
};
