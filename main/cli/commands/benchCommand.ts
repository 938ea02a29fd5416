/**
 * `simila bench <name>`: benchmark commands that print JSON with their figures and the machine.
 * Each benchmark adds its own sub-command to the group returned by addBenchCommands.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { packageRoot } from '../../app/packageRoot';

export function addBenchCommands(program: Command, positiveInt: (value: string) => number): Command {
  const bench = program.command('bench').description('benchmarks (print JSON figures next to a reference measured in the same run)');

  bench
    .command('ingest')
    .description('import a generated mixed archive (JPEG/PNG 64-2048 px + DICOM copies) vs a plain sharp decode loop')
    .option('--files <n>', 'files in the archive (at least 10,000 for the reference figure)', positiveInt, 10_000)
    .option('--json', 'print JSON only')
    .option('--workers <n>', 'decode worker processes (default: one per core, 1 to 8; each decodes several files at once)', positiveInt)
    .option('--max-dicom <n>', 'DICOM corpus copies at most (default 300, and at most a tenth of the files)', (v) => Number(v))
    .option('--data <dir>', 'shared data folder holding dicom/ (default: $SIMILA_DATA or ../shared/data)')
    .action(async (opts: { files: number; json?: boolean; data?: string; workers?: number; maxDicom?: number }) => {
      const { runIngestBench } = await import('../../../bench/ingest/ingestBench');
      const data = opts.data ?? process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data');
      if (!opts.json) process.stderr.write(`simila: building and importing ${opts.files} files in a temp folder...\n`);
      const result = await runIngestBench({ files: opts.files, dicomCorpus: path.join(data, 'dicom'), workers: opts.workers, maxDicom: opts.maxDicom });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('dicomweb')
    .description('upload ../shared/data/dicom and a generated multi-series set to a fresh Orthanc; import over DICOMweb vs a folder import of the same files (needs orthanc + orthanc-dicomweb)')
    .option('--json', 'print JSON only')
    .option('--generated <n>', 'generated instances uploaded beside the corpus (0: none)', (v) => Number(v), 2000)
    .option('--series <n>', 'series the generated instances are spread over', positiveInt, 40)
    .option('--concurrency <n>', 'instances (files) processed at once by both imports', positiveInt)
    .option('--data <dir>', 'shared data folder holding dicom/ (default: $SIMILA_DATA or ../shared/data)')
    .action(async (opts: { json?: boolean; generated: number; series: number; concurrency?: number; data?: string }) => {
      const { runDicomwebBench } = await import('../../../bench/team/dicomwebBench');
      const data = opts.data ?? process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data');
      const result = await runDicomwebBench({
        dicomCorpus: path.join(data, 'dicom'),
        generated: opts.generated,
        series: opts.series,
        concurrency: opts.concurrency,
        onLog: opts.json ? undefined : (line) => process.stderr.write(`simila: ${line}\n`),
      });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('rerank')
    .description('relevance-feedback re-ranking (neighbourhood pool re-ordered by the per-query classifier) on an HNSW index of random unit vectors; goal <= 50 ms at 100k')
    .option('--size <n>', 'archive size', positiveInt, 100_000)
    .option('--dim <n>', "embedding dimension (the shipped model's is 64)", positiveInt, 64)
    .option('--reranks <n>', 're-rankings timed', positiveInt, 500)
    .option('--k <n>', 'results per re-ranking', positiveInt, 50)
    .option('--json', 'print JSON only')
    .action(async (opts: { size: number; dim: number; reranks: number; k: number; json?: boolean }) => {
      const { runRerankBench } = await import('../../../bench/feedback/rerankBench');
      if (!opts.json) process.stderr.write(`simila: building an HNSW index of ${opts.size} vectors (dim ${opts.dim})...\n`);
      const result = await runRerankBench({ ...opts, positives: 5, negatives: 5 });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('ml')
    .description('training and embedding images/s vs PyTorch CPU (same network and batch, this run), and HNSW at the model dimension')
    .option('--json', 'print JSON only')
    .option('--quick', 'HNSW at 10k vectors and fewer timed steps')
    .option('--hnsw-sizes <list>', 'HNSW sizes, comma-separated (default 100000,1000000; --quick 10000)', sizeList)
    .option('--steps <n>', 'timed steps per case (default 5; --quick 2)', positiveInt)
    .action(async (opts: { json?: boolean; quick?: boolean; hnswSizes?: number[]; steps?: number }) => {
      const { runMlBench } = await import('../../../bench/ml/mlBench');
      if (!opts.json) process.stderr.write('simila: timing training and embedding here and in PyTorch, then HNSW...\n');
      const result = await runMlBench({ quick: opts.quick, hnswSizes: opts.hnswSizes, steps: opts.steps });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('adapt')
    .description('5-way 5-shot adaptation of the shipped model (median over seeded episodes; goal <= 10 s) and re-embedding 100k items from cached trunk features (goal <= 30 s)')
    .option('--data <dir>', 'ImageFolder data set for the episodes (default: $SIMILA_DATA/mednist or ../shared/data/mednist)')
    .option('--ways <n>', 'classes per episode', positiveInt, 5)
    .option('--shots <n>', 'support images per class', positiveInt, 5)
    .option('--holdout <n>', 'held-out images per class', positiveInt, 2)
    .option('--episodes <n>', 'episodes (the median is reported)', positiveInt, 5)
    .option('--seed <n>', 'episode seed', positiveInt, 1)
    .option('--size <n>', 'archive items re-embedded from cached trunk features', positiveInt, 100_000)
    .option('--json', 'print JSON only')
    .action(async (opts: { data?: string; ways: number; shots: number; holdout: number; episodes: number; seed: number; size: number; json?: boolean }) => {
      const { runAdaptBench } = await import('../../../bench/adapt/adaptBench');
      const dataDir = opts.data ?? path.join(process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data'), 'mednist');
      if (!opts.json) process.stderr.write(`simila: ${opts.episodes} adaptation episodes on ${dataDir}, then re-embedding ${opts.size} items...\n`);
      const result = await runAdaptBench({ dataDir, packageRoot: packageRoot(), ways: opts.ways, shots: opts.shots, holdout: opts.holdout, episodes: opts.episodes, seed: opts.seed, archiveSize: opts.size });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('one-class')
    .description("one-class adaptation through the wizard's path: per class, how many of a query's top 10 are of its class before and after adapting to a few shots")
    .option('--data <dir>', 'ImageFolder data set, one folder per class (default: $SIMILA_DATA/mednist or ../shared/data/mednist)')
    .option('--per-class <n>', 'images copied per class into the archive', positiveInt, 12)
    .option('--shots <n>', 'support shots per class (the images after the query)', positiveInt, 5)
    .option('--settings <json>', 'adaptation settings to send, e.g. \'{"steps":30,"learningRate":0.01}\' (default: the model\'s own)')
    .option('--json', 'print JSON only')
    .action(async (opts: { data?: string; perClass: number; shots: number; settings?: string; json?: boolean }) => {
      const { runOneClassBench } = await import('../../../bench/adapt/oneClassBench');
      const dataDir = opts.data ?? path.join(process.env.SIMILA_DATA ?? path.resolve(packageRoot(), '../shared/data'), 'mednist');
      let settings: Record<string, unknown> | undefined;
      try {
        settings = opts.settings ? (JSON.parse(opts.settings) as Record<string, unknown>) : undefined;
      } catch {
        throw new InvalidArgumentError('--settings must be JSON, e.g. {"steps":30}');
      }
      const result = await runOneClassBench({ dataDir, packageRoot: packageRoot(), perClass: opts.perClass, shots: opts.shots, settings });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('series')
    .description('a generated DICOM archive (default 100,000 instances in 1,000 series): import rate, facet counts and filtered pages (goal p95 <= 50 ms), grouped search (goal p95 <= 100 ms)')
    .option('--instances <n>', 'DICOM instances generated', positiveInt, 100_000)
    .option('--series <n>', 'series they are spread over', positiveInt, 1_000)
    .option('--requests <n>', 'timed requests per kind', positiveInt, 200)
    .option('--dim <n>', 'dimension of the synthetic vectors (the shipped model has 64)', positiveInt, 64)
    .option('--json', 'print JSON only')
    .action(async (opts: { instances: number; series: number; requests: number; dim: number; json?: boolean }) => {
      const { runSeriesBench } = await import('../../../bench/series/seriesBench');
      const log = opts.json ? undefined : (line: string) => process.stderr.write(`simila: ${line}\n`);
      const result = await runSeriesBench({ ...opts, log });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('reliability')
    .description('hostile input (seeded RPC fuzz over WebSocket and IPC, HTTP attacks on every route) against the real app and browser server; later kills and a soak')
    .option('--frames <n>', 'fuzz frames per transport', positiveInt, 10_000)
    .option('--seed <n>', 'fuzz seed (the same seed sends the same frames)', positiveInt, 20260512)
    .option('--max-string-mb <n>', 'largest oversized string in a frame, MiB', positiveInt, 4)
    .option('--depth <n>', 'nesting depth of the deep frames', positiveInt, 10_000)
    .option('--kills-per-kind <n>', 'SIGKILLs per job kind (embedding, index save, package write, activation, feedback, migration)', positiveInt, 20)
    .option('--soak-minutes <n>', 'minutes of mixed load through the server in the soak (0 skips it)', (v: string) => (v === '0' ? 0 : positiveInt(v)), 30)
    .option('--soak-images <n>', 'generated images in the soak catalogue', positiveInt, 1_000_000)
    .option('--soak-cpu-profile <dir>', "write a V8 CPU profile of the soak's server into this folder (read it with `bench profile-blocks`)")
    .option('--sections <names>', 'run only these sections, comma-separated (kills, fuzz, http, soak, diskFaults)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--json', 'print JSON only')
    .action(async (opts: { frames: number; seed: number; maxStringMb: number; depth: number; killsPerKind: number; soakMinutes: number; soakImages: number; soakCpuProfile?: string; sections?: string[]; json?: boolean }) => {
      const { runReliabilityBench, pickSections } = await import('../../../bench/reliability/reliabilityBench');
      const log = opts.json ? undefined : (line: string) => process.stderr.write(`simila: ${line}\n`);
      const sections = pickSections(opts.sections);
      const result = await runReliabilityBench({ frames: opts.frames, seed: opts.seed, maxStringBytes: opts.maxStringMb * 1024 * 1024, depth: opts.depth, killsPerKind: opts.killsPerKind, soakMinutes: opts.soakMinutes, soakImages: opts.soakImages, soakCpuProfileDir: opts.soakCpuProfile ? path.resolve(opts.soakCpuProfile) : undefined, packageRoot: packageRoot(), log }, sections);
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('profile-blocks <file>')
    .description('what held an event loop, from a V8 CPU profile (e.g. the soak\'s --soak-cpu-profile): busy runs of at least --min-ms, attributed to the innermost project frame and its callers')
    .option('--min-ms <n>', 'shortest block reported', positiveInt, 50)
    .option('--longest <n>', 'how many of the longest blocks to list', positiveInt, 20)
    .option('--json', 'print JSON only (the default prints it indented)')
    .action(async (file: string, opts: { minMs: number; longest: number; json?: boolean }) => {
      const { profileBlocks, readCpuProfile } = await import('../../../bench/support/cpuProfileBlocks');
      const report = profileBlocks(readCpuProfile(path.resolve(file)), { minMs: opts.minMs, longest: opts.longest });
      process.stdout.write(`${JSON.stringify(report, null, opts.json ? undefined : 2)}\n`);
    });

  bench
    .command('team')
    .description('team store on PostgreSQL and DICOMweb (issue 13): DICOMweb import from a fresh Orthanc vs a folder import of the same files; sync a fresh home from a store of generated records with 64-d vectors (default 1,000,000): seconds and peak RSS; 1 vs 2 one-core workers on a MedNIST folder; a worker killed mid-run')
    .option('--records <n>', 'image records with one vector each in the team store', positiveInt, 1_000_000)
    .option('--sections <list>', 'sections to run: dicomweb,workers,kill,sync (default all)')
    .option('--worker-images <n>', 'MedNIST images per worker folder', positiveInt, 300)
    .option('--data <dir>', 'shared data folder holding mednist/ (default: $SIMILA_DATA or ../shared/data)')
    .option('--json', 'print JSON only')
    .action(async (opts: { records: number; sections?: string; workerImages: number; data?: string; json?: boolean }) => {
      const { runTeamBench, TEAM_BENCH_SECTIONS } = await import('../../../bench/team/teamBench');
      const sections = opts.sections?.split(',').map((x) => x.trim()).filter((x): x is (typeof TEAM_BENCH_SECTIONS)[number] => (TEAM_BENCH_SECTIONS as readonly string[]).includes(x));
      const result = await runTeamBench({
        records: opts.records,
        sections,
        workerImages: opts.workerImages,
        mednist: opts.data ? path.join(opts.data, 'mednist') : undefined,
        dicomCorpus: opts.data ? path.join(opts.data, 'dicom') : undefined,
        onLog: (line) => process.stderr.write(`simila: ${line}\n`),
      });
      process.stdout.write(`${JSON.stringify(result, null, opts.json ? undefined : 2)}\n`);
    });

  return bench;
}

function sizeList(value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError('expected positive integers separated by commas');
  return sizes;
}
