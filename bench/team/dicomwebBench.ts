/**
 * DICOMweb import benchmark (issue 13): ../shared/data/dicom and a generated multi-series archive are
 * uploaded to a fresh Orthanc (real server, loopback, started here: test/support/orthanc.ts); the
 * archive is imported over DICOMweb into a fresh data home and the same files (those Orthanc stored)
 * are imported from a folder into another, both by the `simila import` CLI as users run it. Reports
 * instances/s over DICOMweb against files/s from the folder, the distinct images each produced, and a
 * second (incremental) DICOMweb run. `bench team` may call runDicomwebBench for its dicomweb_* keys.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../main/app/packageRoot';
import { startOrthanc } from '../../test/support/orthanc';
import { machineInfo } from '../machine';
import { writeSyntheticArchive } from '../series/syntheticSeries';
import { listFiles } from '../support/listFiles';

export interface DicomwebBenchOptions {
  /** Folder holding the DICOM corpus (../shared/data/dicom). */
  dicomCorpus: string;
  /** Generated instances (0: none), spread over `series` series. */
  generated?: number;
  series?: number;
  /** Instances processed at once by `simila import` (default: its own). */
  concurrency?: number;
  onLog?: (line: string) => void;
}

export interface DicomwebBenchResult {
  dicomweb_images: number;
  folder_images: number;
  /** DICOMweb instances/s over folder files/s (same files, same machine, this run). */
  dicomweb_vs_folder_ratio: number;
  dicomweb_instances: number;
  dicomweb_seconds: number;
  dicomweb_instances_per_s: number;
  dicomweb_mb_fetched: number;
  folder_files: number;
  folder_seconds: number;
  folder_files_per_s: number;
  second_run_imported: number;
  second_run_seconds: number;
  uploaded: { corpus_files: number; corpus_stored: number; corpus_already_stored: number; corpus_refused: number; generated_stored: number; upload_seconds: number };
  orthanc_instances: number;
  machine: ReturnType<typeof machineInfo>;
}


function runCli(args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  const bin = path.join(packageRoot(), 'bin', 'simila.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SIMILA_HOME: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      try {
        const json = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
        if (code !== 0) return reject(new Error(`simila ${args.join(' ')} exited ${code}: ${String(json.error ?? stderr.slice(-500))}`));
        resolve(json);
      } catch {
        reject(new Error(`simila ${args.join(' ')} exited ${code}: ${stderr.slice(-1000)}`));
      }
    });
  });
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export async function runDicomwebBench(options: DicomwebBenchOptions): Promise<DicomwebBenchResult> {
  const log = options.onLog ?? (() => undefined);
  const work = mkdtempSync(path.join(os.tmpdir(), 'simila-dicomweb-bench-'));
  const orthanc = await startOrthanc();
  try {
    const generatedCount = options.generated ?? 2000;
    const corpus = listFiles(options.dicomCorpus).filter((f) => !/\.(txt|md|tsv)$|LICENSE/i.test(f));
    const uploadStarted = performance.now();
    log(`uploading ${corpus.length} corpus files to Orthanc at ${orthanc.http}...`);
    const up = await orthanc.upload(corpus, 1);
    let generatedStored: string[] = [];
    if (generatedCount > 0) {
      const generatedDir = path.join(work, 'generated');
      await writeSyntheticArchive(generatedDir, { instances: generatedCount, series: options.series ?? 40, seed: 13 });
      log(`uploading ${generatedCount} generated instances...`);
      generatedStored = (await orthanc.upload(listFiles(generatedDir), 4)).stored;
    }
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const stats = (await (await orthanc.rest('GET', '/statistics')).json()) as { CountInstances: number };

    // The files Orthanc stored, as one folder of links (the data set is never copied).
    const folder = path.join(work, 'stored');
    await fs.mkdir(folder);
    [...up.stored, ...generatedStored].forEach((f, i) => symlinkSync(f, path.join(folder, `${i}-${path.basename(f)}`)));
    const conc = options.concurrency ? ['--concurrency', String(options.concurrency)] : [];

    log('importing the stored files from a folder...');
    const folderRun = await runCli(['import', folder, '--home', path.join(work, 'folder-home'), '--json', ...conc], {});
    log('importing the archive over DICOMweb...');
    const env = orthanc.credentialsEnv();
    const dwHome = path.join(work, 'dicomweb-home');
    const dwRun = await runCli(['import', orthanc.dicomwebUrl, '--home', dwHome, '--json', ...conc], env);
    log('second DICOMweb run (incremental)...');
    const second = await runCli(['import', orthanc.dicomwebUrl, '--home', dwHome, '--json', ...conc], env);

    const n = (v: unknown) => (typeof v === 'number' ? v : 0);
    const folderFiles = n(folderRun.imported) + n(folderRun.duplicates) + n(folderRun.failed) + n(folderRun.skipped);
    const dwInstances = n(dwRun.imported) + n(dwRun.duplicates) + n(dwRun.failed) + n(dwRun.skipped);
    const dwRate = dwInstances / n(dwRun.seconds);
    const folderRate = folderFiles / n(folderRun.seconds);
    return {
      dicomweb_images: n(dwRun.imported),
      folder_images: n(folderRun.imported),
      dicomweb_vs_folder_ratio: round(dwRate / folderRate),
      dicomweb_instances: dwInstances,
      dicomweb_seconds: n(dwRun.seconds),
      dicomweb_instances_per_s: round(dwRate, 1),
      dicomweb_mb_fetched: round(n(dwRun.bytes) / 1e6, 1),
      folder_files: folderFiles,
      folder_seconds: n(folderRun.seconds),
      folder_files_per_s: round(folderRate, 1),
      second_run_imported: n(second.imported),
      second_run_seconds: n(second.seconds),
      uploaded: {
        corpus_files: corpus.length,
        corpus_stored: up.stored.length,
        corpus_already_stored: up.alreadyStored.length,
        corpus_refused: up.refused.length,
        generated_stored: generatedStored.length,
        upload_seconds: round(uploadSeconds, 1),
      },
      orthanc_instances: stats.CountInstances,
      machine: machineInfo(),
    };
  } finally {
    await orthanc.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
