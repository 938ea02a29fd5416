/**
 * DICOMweb source (issue 13) against a real Orthanc with its DICOMweb plugin, started by the test in a
 * temp folder (test/support/orthanc.ts): ../shared/data/dicom is uploaded over Orthanc's REST API, then
 * `simila import dicomweb+http://...` runs as a child process (as users run it). Skipped, with the
 * reason, only where Orthanc or its DICOMweb plugin is not installed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../ingest/support/fixtures';
import { findOrthanc, freePort, startOrthanc, type OrthancServer } from '../support/orthanc';
import { createApp } from '../../main/app/createApp';
import { createEncryptedFileSecretStore, CREDENTIALS_FILE, type SecretCipher } from '../../main/sources/dicomweb/secretStore';
import { listFiles } from '../../bench/support/listFiles';

const bin = path.resolve('bin/simila.js');
const dataDir = process.env.SIMILA_DATA ?? path.resolve('../shared/data');
const dicomDir = path.join(dataDir, 'dicom');
const install = findOrthanc();
const skipReason = 'missing' in install ? install.missing : !existsSync(dicomDir) ? `no DICOM corpus at ${dicomDir}` : null;
if (skipReason) console.warn(`[dicomweb.test] skipped: ${skipReason}`);


interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | null;
}

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, SIMILA_HOME: '', SIMILA_DICOMWEB_USER: '', SIMILA_DICOMWEB_PASSWORD: '', SIMILA_DICOMWEB_TOKEN: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => {
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
      } catch {
        // not JSON (an error, or killed)
      }
      resolve({ code, signal, stdout, stderr, json });
    }),
  );
  return { child, done };
}

const runCli = (args: string[], env?: Record<string, string>) => startCli(args, env).done;

function query<T>(home: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(home, 'catalogue.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function settledCount(home: string): number {
  try {
    return query<{ n: number }>(home, 'SELECT COUNT(*) AS n FROM dicomweb_instances')[0]!.n;
  } catch {
    return 0;
  }
}

describe.skipIf(!!skipReason)('DICOMweb import from a real Orthanc', () => {
  let orthanc: OrthancServer;
  let work: ReturnType<typeof tempDir>;
  let stored: string[];
  let env: Record<string, string>;
  let fullHome: string;

  beforeAll(async () => {
    work = tempDir('dicomweb');
    orthanc = await startOrthanc();
    env = orthanc.credentialsEnv();
    // One at a time, in name order: which of several files with the same UIDs Orthanc keeps is then fixed.
    ({ stored } = await orthanc.upload(listFiles(dicomDir).filter((f) => !/\.(txt|md|tsv)$|LICENSE/i.test(f)), 1));
    fullHome = path.join(work.dir, 'full');
  });
  afterAll(async () => {
    await orthanc?.stop();
    work?.cleanup();
  });

  it('imports the archive, stores no credentials, and a second run imports 0', async () => {
    expect(stored.length).toBeGreaterThan(100);
    const first = await runCli(['import', orthanc.dicomwebUrl, '--home', fullHome, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json?.state).toBe('done');
    expect(first.json?.imported as number).toBeGreaterThan(100);
    expect(first.stderr).not.toContain(orthanc.password);

    const sources = query<{ url: string }>(fullHome, 'SELECT url FROM dicomweb_sources');
    expect(sources).toEqual([{ url: orthanc.dicomwebUrl }]);
    // Nothing in the catalogue (nor its WAL) holds the password, and job parameters hold the plain URL.
    for (const file of ['catalogue.sqlite', 'catalogue.sqlite-wal']) {
      const p = path.join(fullHome, file);
      if (existsSync(p)) expect(readFileSync(p).includes(Buffer.from(orthanc.password))).toBe(false);
    }
    const jobs = query<{ params: string }>(fullHome, "SELECT params FROM jobs WHERE kind = 'import-dicomweb'");
    expect(JSON.parse(jobs[0]!.params)).toEqual({ url: orthanc.dicomwebUrl });

    // Every settled instance with an image has its cached copy as the image's path, under the data home.
    const cached = query<{ path: string; image_id: number }>(fullHome, 'SELECT path, image_id FROM dicomweb_instances WHERE image_id IS NOT NULL');
    expect(cached.length).toBeGreaterThanOrEqual(first.json?.imported as number);
    for (const row of cached) {
      expect(row.path.startsWith(path.join(fullHome, 'sources', 'dicomweb'))).toBe(true);
      expect(existsSync(row.path)).toBe(true);
    }

    const second = await runCli(['import', orthanc.dicomwebUrl, '--home', fullHome, '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json?.imported).toBe(0);
    expect(second.json?.duplicates).toBe(0);
    // Nothing was deleted on the server: nothing is noted as gone (studies Orthanc lists twice included).
    expect(second.json?.gone).toBe(0);
    expect(second.json?.gone_total).toBe(0);
    expect(second.json?.bytes as number).toBeLessThan(10_000_000); // only what failed to fetch before is asked again
  });

  it('an instance already imported from a folder is the same image (content-hash identity)', async () => {
    // The files Orthanc stored, as a folder (links: the data set is never copied), imported into the same home.
    const folder = path.join(work.dir, 'stored-files');
    mkdirSync(folder);
    stored.forEach((f, i) => symlinkSync(f, path.join(folder, `${i}-${path.basename(f)}`)));
    const dicomwebImages = query<{ hash: string; id: number }>(
      fullHome,
      "SELECT DISTINCT i.hash, i.id FROM images i JOIN image_paths p ON p.image_id = i.id WHERE p.path LIKE '%/sources/dicomweb/%'",
    );
    const storedHashes = new Set(stored.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex')));
    // Orthanc serves the bytes it was given (transfer-syntax=*): at most the odd malformed file it repaired differs.
    const passedThrough = dicomwebImages.filter((img) => storedHashes.has(img.hash));
    expect(passedThrough.length).toBeGreaterThanOrEqual(dicomwebImages.length - 3);

    const folderRun = await runCli(['import', folder, '--home', fullHome, '--json'], env);
    expect(folderRun.code, folderRun.stderr).toBe(0);
    for (const img of passedThrough) {
      const paths = query<{ path: string }>(fullHome, 'SELECT path FROM image_paths WHERE image_id = ?', img.id);
      expect(paths.some((p) => p.path.startsWith(folder)), `image ${img.id} has a folder path too`).toBe(true);
    }
    // No image twice: one row per content.
    const dupes = query<{ n: number }>(fullHome, 'SELECT COUNT(*) AS n FROM (SELECT hash FROM images GROUP BY hash HAVING COUNT(*) > 1)');
    expect(dupes[0]!.n).toBe(0);
    expect(folderRun.json?.duplicates as number).toBeGreaterThanOrEqual(passedThrough.length);
  });

  it('--study syncs one study only', async () => {
    const home = path.join(work.dir, 'one-study');
    const studies = query<{ study_uid: string; n: number }>(
      fullHome,
      'SELECT study_uid, COUNT(*) AS n FROM dicomweb_instances WHERE image_id IS NOT NULL GROUP BY study_uid ORDER BY n DESC, study_uid LIMIT 1',
    );
    const { study_uid: study, n } = studies[0]!;
    expect(n).toBeGreaterThan(1);
    const run = await runCli(['import', orthanc.dicomwebUrl, '--study', study, '--home', home, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const synced = query<{ study_uid: string }>(home, 'SELECT DISTINCT study_uid FROM dicomweb_instances');
    expect(synced).toEqual([{ study_uid: study }]);
    expect(query<{ n: number }>(home, 'SELECT COUNT(*) AS n FROM dicomweb_instances WHERE image_id IS NOT NULL')[0]!.n).toBe(n);
  });

  it('is killed part-way, resumed, and records each instance exactly once', async () => {
    const home = path.join(work.dir, 'killed');
    const expected = query<{ sop_uid: string; image_id: number | null }>(fullHome, 'SELECT sop_uid, image_id FROM dicomweb_instances');
    const first = startCli(['import', orthanc.dicomwebUrl, '--home', home, '--json', '--concurrency', '2'], env);
    const deadline = Date.now() + 120_000;
    while (settledCount(home) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = settledCount(home);
    expect(atKill).toBeGreaterThanOrEqual(20);
    expect(atKill).toBeLessThan(expected.length);

    const resumed = await runCli(['import', orthanc.dicomwebUrl, '--home', home, '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = query<{ sop_uid: string; image_id: number | null }>(home, 'SELECT sop_uid, image_id FROM dicomweb_instances');
    expect(after.length).toBe(expected.length);
    expect(after.filter((r) => r.image_id !== null).length).toBe(expected.filter((r) => r.image_id !== null).length);
    // Each image once, each cached path once.
    const images = query<{ n: number }>(home, 'SELECT COUNT(*) AS n FROM images')[0]!.n;
    expect(images).toBe(query<{ n: number }>(fullHome, "SELECT COUNT(DISTINCT image_id) AS n FROM dicomweb_instances WHERE image_id IS NOT NULL")[0]!.n);
    const pathRows = query<{ n: number }>(home, 'SELECT COUNT(*) AS n FROM image_paths')[0]!.n;
    expect(pathRows).toBe(after.filter((r) => r.image_id !== null).length);
    // The resumed run fetched only what the killed one had not settled.
    const fetched = (resumed.json?.imported as number) + (resumed.json?.duplicates as number) + (resumed.json?.failed as number);
    expect(fetched).toBeLessThanOrEqual(expected.length - atKill + 12); // + the few the server cannot serve, asked again
  });

  it('the app syncs with credentials saved through its secret store (a fake cipher for safeStorage), none in the environment', async () => {
    const home = path.join(work.dir, 'app-secrets');
    const cipher: SecretCipher = {
      isEncryptionAvailable: () => true,
      encryptString: (plain) => Buffer.from(Buffer.from(plain, 'utf8').map((b) => b ^ 0xa5)),
      decryptString: (bytes) => Buffer.from(bytes.map((b) => b ^ 0xa5)).toString('utf8'),
    };
    for (const key of ['SIMILA_DICOMWEB_TOKEN', 'SIMILA_DICOMWEB_USER', 'SIMILA_DICOMWEB_PASSWORD']) expect(process.env[key] ?? '').toBe('');
    const { study_uid: study } = query<{ study_uid: string }>(
      fullHome,
      'SELECT study_uid, COUNT(*) AS n FROM dicomweb_instances WHERE image_id IS NOT NULL GROUP BY study_uid ORDER BY n, study_uid LIMIT 1',
    )[0]!;
    const app = await createApp({ mode: 'electron', home, shippedModelsRoot: null, secretStore: (h) => createEncryptedFileSecretStore({ home: h, cipher }) });
    try {
      const ctx = { mode: 'electron' as const };
      const saved = await app.handlers['import.setArchiveCredentials']({ url: orthanc.dicomwebUrl, kind: 'basic', user: orthanc.user, secret: orthanc.password }, ctx);
      expect(saved).toEqual({ supported: true, message: null, saved: true });
      expect(JSON.stringify(saved)).not.toContain(orthanc.password);
      const { jobId } = await app.handlers['import.addArchive']({ url: orthanc.dicomwebUrl, study }, ctx);
      const deadline = Date.now() + 120_000;
      let job;
      for (;;) {
        job = (await app.handlers['jobs.list']({}, ctx)).find((j) => j.jobId === jobId);
        if ((job && !['queued', 'running'].includes(job.state)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(job?.state, job?.message ?? '').toBe('done');
      expect(job!.imported).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
    // On disk: the credentials file holds no clear text, nor does the catalogue.
    expect(readFileSync(path.join(home, CREDENTIALS_FILE)).includes(Buffer.from(orthanc.password))).toBe(false);
    for (const file of ['catalogue.sqlite', 'catalogue.sqlite-wal']) {
      const p = path.join(home, file);
      if (existsSync(p)) expect(readFileSync(p).includes(Buffer.from(orthanc.password))).toBe(false);
    }
  });

  it('says when the server cannot be reached', async () => {
    const port = await freePort();
    const run = await runCli(['import', `dicomweb+http://127.0.0.1:${port}/dicom-web`, '--home', path.join(work.dir, 'unreachable')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Cannot reach the DICOMweb server at http:\/\/127\.0\.0\.1:\d+\/dicom-web \(connection refused/);
  });

  it('says when the credentials are refused or missing, and never shows them', async () => {
    const wrong = await runCli(['import', orthanc.dicomwebUrl, '--home', path.join(work.dir, 'wrong')], { SIMILA_DICOMWEB_USER: orthanc.user, SIMILA_DICOMWEB_PASSWORD: 'not-the-password-7731' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the credentials \(HTTP 401/);
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-password-7731');
    const none = await runCli(['import', orthanc.dicomwebUrl, '--home', path.join(work.dir, 'none')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/asks for credentials \(HTTP 401\)/);
  });

  it('refuses credentials in the URL and names a path that is not DICOMweb', async () => {
    const withUser = orthanc.dicomwebUrl.replace('//', `//${orthanc.user}:${orthanc.password}@`);
    const refused = await runCli(['import', withUser, '--home', path.join(work.dir, 'userinfo')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/must not carry a user name or password/);
    expect(refused.stderr).not.toContain(orthanc.password);
    expect(existsSync(path.join(work.dir, 'userinfo', 'catalogue.sqlite'))).toBe(false);

    const notDicomweb = await runCli(['import', orthanc.dicomwebUrl.replace(/\/dicom-web$/, '/not-dicom-web'), '--home', path.join(work.dir, 'notdw')], env);
    expect(notDicomweb.code).toBe(1);
    expect(notDicomweb.stderr).toMatch(/is not a DICOMweb service/);
  });
  // Last: it deletes instances from the shared Orthanc.
  it('notes instances deleted on the server as no longer on the archive, keeps their images, and un-notes one uploaded again', async () => {
    type Row = { sop_uid: string; study_uid: string; series_uid: string; image_id: number | null; path: string | null; gone_at: number | null };
    const rows = () => query<Row>(fullHome, 'SELECT sop_uid, study_uid, series_uid, image_id, path, gone_at FROM dicomweb_instances');
    const before = rows().filter((r) => r.image_id !== null);
    const lookup = async (uid: string): Promise<{ ID: string; Type: string }[]> => {
      const r = await orthanc.rest('POST', '/tools/lookup', Buffer.from(uid));
      return (await r.json()) as { ID: string; Type: string }[];
    };
    // Two instances of a series with at least 4 (the series is listed again and loses two)...
    const bySeries = new Map<string, Row[]>();
    for (const r of before) bySeries.set(r.series_uid, [...(bySeries.get(r.series_uid) ?? []), r]);
    const [seriesUid, seriesRows] = [...bySeries.entries()].filter(([, list]) => list.length >= 4).sort((a, b) => a[0].localeCompare(b[0]))[0]!;
    const deletedInstances = seriesRows.slice(0, 2);
    // ...and a whole other study (gone from the unfiltered study listing).
    const studyOfSeries = deletedInstances[0]!.study_uid;
    const byStudy = new Map<string, Row[]>();
    for (const r of rows()) if (r.study_uid !== studyOfSeries) byStudy.set(r.study_uid, [...(byStudy.get(r.study_uid) ?? []), r]);
    const [studyUid, studyRows] = [...byStudy.entries()].filter(([, list]) => list.some((r) => r.image_id !== null)).sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]))[0]!;
    for (const r of deletedInstances) {
      const found = (await lookup(r.sop_uid)).filter((f) => f.Type === 'Instance');
      expect(found.length).toBeGreaterThan(0);
      for (const f of found) expect((await orthanc.rest('DELETE', `/instances/${f.ID}`)).ok).toBe(true);
    }
    for (const f of (await lookup(studyUid)).filter((x) => x.Type === 'Study')) expect((await orthanc.rest('DELETE', `/studies/${f.ID}`)).ok).toBe(true);
    const imagesBefore = query<{ n: number }>(fullHome, 'SELECT COUNT(*) AS n FROM images')[0]!.n;

    const sync = await runCli(['import', orthanc.dicomwebUrl, '--home', fullHome, '--json'], env);
    expect(sync.code, sync.stderr).toBe(0);
    const expectedGone = new Set([...deletedInstances.map((r) => r.sop_uid), ...studyRows.map((r) => r.sop_uid)]);
    expect(sync.json?.gone).toBe(expectedGone.size);
    expect(sync.json?.gone_total).toBe(expectedGone.size);
    expect(sync.json?.imported).toBe(0);
    const after = rows();
    expect(new Set(after.filter((r) => r.gone_at !== null).map((r) => r.sop_uid))).toEqual(expectedGone);
    // Nothing is lost: the rows, their images, their cached copies and the catalogue paths stay.
    expect(query<{ n: number }>(fullHome, 'SELECT COUNT(*) AS n FROM images')[0]!.n).toBe(imagesBefore);
    for (const r of after.filter((x) => expectedGone.has(x.sop_uid) && x.image_id !== null)) {
      expect(existsSync(r.path!)).toBe(true);
      expect(query(fullHome, 'SELECT 1 FROM image_paths WHERE path = ?', r.path).length).toBe(1);
    }
    // The text form says it too.
    const again = await runCli(['import', orthanc.dicomwebUrl, '--home', fullHome], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`0 instance(s) newly found no longer on the archive (${expectedGone.size} in all)`);

    // One deleted instance uploaded again (its cached copy): present again, fetched again? no: it is settled.
    const back = deletedInstances[0]!;
    const upload = await orthanc.upload([back.path!], 1);
    expect(upload.stored.length).toBe(1);
    const third = await runCli(['import', orthanc.dicomwebUrl, '--home', fullHome, '--json'], env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.json?.gone).toBe(0);
    expect(third.json?.gone_total).toBe(expectedGone.size - 1);
    expect(third.json?.imported).toBe(0);
    expect(rows().find((r) => r.sop_uid === back.sop_uid)?.gone_at).toBeNull();
    expect(seriesUid).toBe(back.series_uid);
  });
});
