/**
 * Ingest benchmark: builds a mixed archive in a temp folder (generated JPEG/PNG from 64 to 2048 px
 * plus copies of the DICOM corpus), imports it through the real services (decode worker pool,
 * catalogue, thumbnails), and in the same run times a plain sharp decode + resize loop over the
 * same JPEG/PNG files (same thumbnail work, no hashing, no catalogue) as the reference.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openServices } from '../../main/app/services';
import { defaultImportConcurrency } from '../../main/ingest/importer';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { writeSyntheticArchive } from './syntheticArchive';
import { machineInfo } from '../machine';

export interface IngestBenchOptions {
  files: number;
  /** DICOM corpus folder to copy files from (skipped when absent). */
  dicomCorpus?: string;
  maxDicom?: number;
  keep?: boolean;
  /** Decode worker processes (default: the app's default). */
  workers?: number;
}

function dicomFiles(dir: string, limit: number): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (out.length >= limit) return;
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.dcm')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** CPU seconds of this process's children that have exited and been waited for (Linux; null elsewhere). */
function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ (100)
  } catch {
    return null;
  }
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** The plain loop's files in flight: the import's default, which was also the plain loop's best on 2 cores (2: 129, 8: 191 files/s). */
function plainConcurrency(): number {
  return defaultImportConcurrency();
}

async function plainLoop(files: string[], concurrency: number): Promise<{ seconds: number; cpuSeconds: number }> {
  let next = 0;
  const started = performance.now();
  const cpuStarted = ownCpuSeconds();
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      await sharp(files[i]!).rotate().resize(256, 256, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80, effort: 2 }).toBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: ownCpuSeconds() - cpuStarted };
}

export async function runIngestBench(options: IngestBenchOptions): Promise<Record<string, unknown>> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'simila-bench-ingest-'));
  try {
    const archive = path.join(work, 'archive');
    const dicom = dicomFiles(options.dicomCorpus ?? '', Math.min(options.maxDicom ?? 300, Math.floor(options.files / 10)));
    const generatedStarted = performance.now();
    const synthetic = await writeSyntheticArchive(path.join(archive, 'generated'), { files: options.files - dicom.length, minSide: 64, maxSide: 2048, bases: 128 });
    mkdirSync(path.join(archive, 'dicom'), { recursive: true });
    let dicomBytes = 0;
    dicom.forEach((file, i) => {
      copyFileSync(file, path.join(archive, 'dicom', `${String(i).padStart(4, '0')}-${path.basename(file)}`));
      dicomBytes += statSync(file).size;
    });
    const generateSeconds = (performance.now() - generatedStarted) / 1000;
    const totalFiles = synthetic.files.length + dicom.length;
    const totalBytes = synthetic.bytes + dicomBytes;

    // The machine may be shared: the plain loop runs before and after the import, and its
    // reference rate is over both passes, so load that drifts during the run weighs on both sides.
    const concurrency = plainConcurrency();
    const plainBefore = await plainLoop(synthetic.files, concurrency);

    const services = openServices({ home: path.join(work, 'home'), env: {}, decodeWorkers: options.workers });
    let summary: Record<string, unknown> | null;
    let ingestSeconds: number;
    const mainCpuStarted = ownCpuSeconds();
    const childCpuStarted = childrenCpuSeconds();
    let mainCpu: number;
    try {
      const started = performance.now();
      const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, archive, { root: archive });
      const finished = await services.jobs.waitFor(jobId);
      ingestSeconds = (performance.now() - started) / 1000;
      mainCpu = ownCpuSeconds() - mainCpuStarted;
      summary = finished.summary;
    } finally {
      await services.close(); // waits for the workers' exit, so their CPU time is counted below
    }
    const childCpuEnded = childrenCpuSeconds();
    const workersCpu = childCpuStarted !== null && childCpuEnded !== null ? childCpuEnded - childCpuStarted : null;
    const plainAfter = await plainLoop(synthetic.files, concurrency);

    const plainSeconds = (plainBefore.seconds + plainAfter.seconds) / 2;
    const plainCpu = (plainBefore.cpuSeconds + plainAfter.cpuSeconds) / 2;
    const ingestRate = totalFiles / ingestSeconds;
    const plainRate = synthetic.files.length / plainSeconds;
    const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
    return {
      bench: 'ingest',
      files: totalFiles,
      generated_files: synthetic.files.length,
      dicom_files: dicom.length,
      megabytes: round(totalBytes / 1e6, 1),
      generate_seconds: round(generateSeconds),
      ingest: {
        seconds: round(ingestSeconds),
        files_per_s: round(ingestRate, 1),
        mb_per_s: round(totalBytes / 1e6 / ingestSeconds, 1),
        cpu_seconds_main: round(mainCpu),
        cpu_seconds_workers: workersCpu === null ? null : round(workersCpu),
        cores_busy: workersCpu === null ? null : round((mainCpu + workersCpu) / ingestSeconds),
        summary,
      },
      plain_sharp_loop: {
        what: 'sharp decode + rotate + resize to 256 px + WebP (effort 2), same JPEG/PNG files, no hashing/catalogue; run before and after the import, rate over both',
        files: synthetic.files.length,
        concurrency,
        seconds: round(plainSeconds),
        seconds_before_after: [round(plainBefore.seconds), round(plainAfter.seconds)],
        files_per_s: round(plainRate, 1),
        mb_per_s: round(synthetic.bytes / 1e6 / plainSeconds, 1),
        cpu_seconds: round(plainCpu),
        cores_busy: round(plainCpu / plainSeconds),
      },
      ingest_vs_plain_ratio: round(ingestRate / plainRate, 3),
      peak_rss_mb_main: round(process.resourceUsage().maxRSS / 1024, 1),
      machine: machineInfo(),
      import_concurrency: defaultImportConcurrency(),
      decode_workers: options.workers ?? null,
    };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}
