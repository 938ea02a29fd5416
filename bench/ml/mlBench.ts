/**
 * `simila bench ml` (issue 4, item 9): one JSON object with
 *  (a) training images/s of Conv-4 and ResNet-12 on the active backend next to PyTorch CPU, same network,
 *      batch and input, measured in this run -> train_vs_pytorch_ratio;
 *  (b) embedding (inference) images/s of the shipped model's architecture at 84 px and at the shipped
 *      model's own input size, next to PyTorch inference -> embed_vs_pytorch_ratio;
 *  (c) HNSW at the model's embedding size (bench/index/hnswBench.ts): build rate, query p50/p99, recall@10;
 * plus the backend and the machine (load average at start and end: the machine may be shared).
 * Our cases run in child processes (trainThroughput.ts); PyTorch runs bench/ml/pytorch_reference.py.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { runHnswBench, type DataKind } from '../index/hnswBench';
import { packageRoot } from '../../main/app/packageRoot';
import { selectBackend } from '../../main/ml/backend/selectBackend';
import type { Architecture } from '../../main/ml/models/embeddingNet';
import { readModelManifest } from '../../main/ml/package/modelPackage';
import { findShippedModel } from '../../main/search/shippedModel';
import { DEFAULT_WIDTHS, findTorchPython, round, runCaseInChild, runPytorchReference, throughputRatio, type CaseResult, type CaseSpec, type PytorchReport } from './trainThroughput';
import { machineInfo } from '../machine';

export interface MlBenchOptions {
  /** 10k vectors for HNSW, fewer timed steps (unless given explicitly). */
  quick?: boolean;
  hnswSizes?: number[];
  hnswQueries?: number;
  hnswData?: DataKind[];
  archs?: Architecture[];
  /** Training batch (default 25) and input size (default 84). */
  batch?: number;
  /** Data-parallel training workers compared with one (default: every core). */
  parallelWorkers?: number;
  size?: number;
  /** Embedding batch (default 64, the embedding job's). */
  embedBatch?: number;
  steps?: number;
  warmup?: number;
  resnetWidths?: number[];
  /** Conv-4 widths when no shipped model says otherwise (tests use narrow ones). */
  conv4Widths?: number[];
  /** Model package whose architecture is embedded (default: the shipped model, if any). */
  modelDir?: string | null;
  /** apt-get install python3-torch when no python3 imports torch and we are root (default true). */
  installPytorch?: boolean;
  log?: (line: string) => void;
}

export interface PytorchSetup {
  available: boolean;
  python: string | null;
  installed_now: boolean;
  note: string;
}

export interface Comparison {
  arch: Architecture;
  widths: number[];
  batch: number;
  input_size: number;
  channels: number;
  ours: CaseResult;
  pytorch: NonNullable<PytorchReport['results']>[number] | { ok: false; error: string };
  /** ours.images_per_s / pytorch.images_per_s (wall time), null unless both were measured. */
  ratio: number | null;
  /** The same per CPU second (wasm is single-threaded; PyTorch may use several cores). */
  cpu_time_ratio: number | null;
  /** Set when the default widths ran out of wasm memory and this comparison is of the half-width network. */
  full_width_attempt?: Comparison;
}

/** Finds an interpreter that imports torch; installs Debian's python3-torch when allowed and root. */
export function ensurePytorch(allowInstall: boolean): PytorchSetup {
  const found = findTorchPython();
  if (found) return { available: true, python: found, installed_now: false, note: `${found} imports torch` };
  if (!allowInstall) return { available: false, python: null, installed_now: false, note: 'no python3 imports torch and installing was not allowed (apt-get install -y python3-torch)' };
  if (process.getuid?.() !== 0) return { available: false, python: null, installed_now: false, note: 'no python3 imports torch and this is not root, so python3-torch cannot be installed: run apt-get install -y python3-torch' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let apt = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { encoding: 'utf8', env });
  if (apt.status !== 0) {
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    apt = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { encoding: 'utf8', env });
  }
  const after = findTorchPython();
  if (after) return { available: true, python: after, installed_now: true, note: 'installed python3-torch with apt-get' };
  const why = apt.error?.message ?? ((apt.stderr || '').trim().split('\n').pop() || `apt-get exit ${apt.status}`);
  return { available: false, python: null, installed_now: false, note: `apt-get install python3-torch failed: ${why}` };
}

interface EmbedTarget {
  arch: Architecture;
  size: number;
  channels: 1 | 3;
  widths: number[];
  label: string;
}

async function shippedArchitecture(modelDir: string | null | undefined): Promise<{ info: Record<string, unknown>; arch?: EmbedTarget; dim?: number }> {
  const dir = modelDir === undefined ? findShippedModel(packageRoot()) : modelDir;
  if (!dir) return { info: { found: false, note: 'no shipped model package: embedding measured for Conv-4 at 84 px only' } };
  const read = await readModelManifest(dir);
  if (!read.ok) return { info: { found: false, dir, note: `${read.code}: ${read.message}` } };
  const a = read.manifest.architecture;
  const channels = a.channels === 1 ? 1 : 3;
  return {
    info: { found: true, dir, name: read.manifest.name, arch: a.arch, input_size: a.inputSize, channels: a.channels, widths: a.widths, embedding_dim: read.manifest.embeddingDim },
    arch: { arch: a.arch, size: a.inputSize, channels, widths: a.widths, label: 'shipped input size' },
    dim: read.manifest.embeddingDim,
  };
}

function key(t: { arch: string; size: number; channels: number }): string {
  return `${t.arch}_${t.size}px${t.channels === 1 ? '_1ch' : ''}`;
}

function compare(ours: CaseResult, reference: PytorchReport | undefined, arch: Architecture, widths: number[]): Comparison {
  const theirs = reference?.results?.find((r) => r.arch === arch);
  const measured = theirs?.ok ? theirs : undefined;
  return {
    arch,
    widths,
    batch: ours.batch,
    input_size: ours.input_size,
    channels: ours.channels,
    ours,
    pytorch: theirs ?? { ok: false, error: reference?.error ?? 'PyTorch reference not run' },
    ratio: throughputRatio(ours.ok ? ours.images_per_s : undefined, measured?.images_per_s),
    cpu_time_ratio: throughputRatio(ours.ok ? ours.cpu_images_per_s : undefined, measured?.cpu_images_per_s),
  };
}

export async function runMlBench(options: MlBenchOptions = {}): Promise<Record<string, unknown>> {
  const started = performance.now();
  const loadStart = os.loadavg().map(round);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const quick = options.quick ?? false;
  const archs = options.archs ?? ['conv4', 'resnet12'];
  const batch = options.batch ?? 25;
  const size = options.size ?? 84;
  const embedBatch = options.embedBatch ?? 64;
  const steps = options.steps ?? (quick ? 2 : 5);
  const warmup = options.warmup ?? (quick ? 1 : 2);
  const resnetWidths = options.resnetWidths ?? DEFAULT_WIDTHS.resnet12;
  const widthsOf = (arch: Architecture) => (arch === 'resnet12' ? resnetWidths : (options.conv4Widths ?? DEFAULT_WIDTHS.conv4));

  const backend = await selectBackend({ log: () => {} });
  const setup = ensurePytorch(options.installPytorch ?? true);
  log(`[bench ml] backend ${backend.name}; PyTorch: ${setup.note}`);
  // PyTorch gets every core, as our embedder's worker pool does (its own default here is one thread).
  const torchThreads = os.availableParallelism();
  const pytorch = (run: Parameters<typeof runPytorchReference>[1]): PytorchReport | undefined => (setup.python ? runPytorchReference(setup.python, { threads: torchThreads, ...run }) : undefined);

  // (a) training
  const train: Comparison[] = [];
  const trainReference = pytorch({ mode: 'train', archs, batch, size, channels: 3, steps, warmup, resnetWidths, conv4Widths: widthsOf('conv4') });
  for (const arch of archs) {
    log(`[bench ml] training ${arch} at ${size} px, batch ${batch}`);
    const ours = runCaseInChild({ arch, mode: 'train', kernels: 'project', batch, size, channels: 3, widths: widthsOf(arch), steps, warmup });
    const comparison = compare(ours, trainReference, arch, widthsOf(arch));
    if (arch === 'resnet12' && !ours.ok && /heap exhausted/.test(ours.error ?? '') && !options.resnetWidths) {
      // Full-width ResNet-12 does not fit the 4 GiB wasm heap at this batch: compare the half-width
      // network instead (both sides), and keep the failure in the report.
      const narrow = resnetWidths.map((w) => Math.max(1, w >> 1));
      log(`[bench ml] ResNet-12 ${resnetWidths.join('-')} ran out of wasm memory; timing ${narrow.join('-')} on both sides`);
      const retry = runCaseInChild({ arch, mode: 'train', kernels: 'project', batch, size, channels: 3, widths: narrow, steps, warmup });
      const reference = pytorch({ mode: 'train', archs: [arch], batch, size, channels: 3, steps, warmup, resnetWidths: narrow });
      train.push({ ...compare(retry, reference, arch, narrow), full_width_attempt: comparison });
    } else train.push(comparison);
  }

  // (a') data-parallel stage 1: Conv-4 with one worker and with every core, each next to PyTorch
  // running the same step with the same number of threads.
  const workers = options.parallelWorkers ?? os.availableParallelism();
  const parallel: (Comparison & { workers: number })[] = [];
  for (const count of [...new Set([1, workers])]) {
    log(`[bench ml] data-parallel training conv4 at ${size} px, batch ${batch}, ${count} worker(s)`);
    const ours = runCaseInChild({ arch: 'conv4', mode: 'train', kernels: 'project', batch, size, channels: 3, widths: widthsOf('conv4'), steps, warmup, workers: count });
    const reference = pytorch({ mode: 'train', archs: ['conv4'], batch, size, channels: 3, steps, warmup, conv4Widths: widthsOf('conv4'), threads: count });
    parallel.push({ workers: count, ...compare(ours, reference, 'conv4', widthsOf('conv4')) });
  }
  const oneWorker = parallel.find((c) => c.workers === 1)?.ours;
  const allWorkers = parallel.find((c) => c.workers === workers)?.ours;
  const parallelSpeedup = workers > 1 ? throughputRatio(allWorkers?.ok ? allWorkers.images_per_s : undefined, oneWorker?.ok ? oneWorker.images_per_s : undefined) : null;

  // (b) embedding: the shipped model's architecture at 84 px and at its own input size
  const shipped = await shippedArchitecture(options.modelDir);
  const base: EmbedTarget = shipped.arch ? { ...shipped.arch, size, channels: 3, label: `${size} px RGB` } : { arch: 'conv4', size, channels: 3, widths: widthsOf('conv4'), label: `${size} px RGB` };
  const targets = [base, ...(shipped.arch && key(shipped.arch) !== key(base) ? [shipped.arch] : [])];
  const embed: (Comparison & { label: string })[] = [];
  for (const t of targets) {
    log(`[bench ml] embedding ${t.arch} at ${t.size} px, ${t.channels} channel(s), batch ${embedBatch}`);
    const spec: CaseSpec = { arch: t.arch, mode: 'embed', kernels: 'project', batch: embedBatch, size: t.size, channels: t.channels, widths: t.widths, steps: steps * 2, warmup };
    const reference = pytorch({ mode: 'embed', archs: [t.arch], batch: embedBatch, size: t.size, channels: t.channels, steps: steps * 2, warmup, resnetWidths: t.widths, conv4Widths: t.widths });
    embed.push({ label: t.label, ...compare(runCaseInChild(spec), reference, t.arch, t.widths) });
  }

  // (c) HNSW at the model's embedding size
  const dim = shipped.dim ?? 64;
  const hnswSizes = options.hnswSizes ?? (quick ? [10_000] : [100_000, 1_000_000]);
  log(`[bench ml] HNSW ${hnswSizes.join(', ')} vectors of ${dim} dimensions`);
  const hnsw = await runHnswBench({ sizes: hnswSizes, dim, queries: options.hnswQueries ?? (quick ? 100 : 300), json: true, ...(options.hnswData ? { data: options.hnswData } : {}) });
  const { machine: _hnswMachine, ...hnswFigures } = hnsw;

  return {
    bench: 'ml',
    quick,
    backend: backend.name,
    backend_reason: backend.reason,
    pytorch: { ...setup, torch: trainReference?.torch ?? null, threads: trainReference?.threads ?? null },
    train_vs_pytorch_ratio: Object.fromEntries(train.map((c) => [c.arch, c.ratio])),
    train_vs_pytorch_cpu_time_ratio: Object.fromEntries(train.map((c) => [c.arch, c.cpu_time_ratio])),
    embed_vs_pytorch_ratio: Object.fromEntries(embed.map((c) => [key({ arch: c.arch, size: c.input_size, channels: c.channels }), c.ratio])),
    embed_vs_pytorch_cpu_time_ratio: Object.fromEntries(embed.map((c) => [key({ arch: c.arch, size: c.input_size, channels: c.channels }), c.cpu_time_ratio])),
    train: { loss: 'multi-similarity', optimizer: 'adam', batch, input_size: size, steps, warmup, results: train },
    train_parallel_speedup: parallelSpeedup,
    train_parallel: {
      arch: 'conv4',
      workers,
      images_per_s: Object.fromEntries(parallel.map((c) => [`workers_${c.workers}`, c.ours.ok ? c.ours.images_per_s : null])),
      vs_pytorch_same_threads_ratio: Object.fromEntries(parallel.map((c) => [`workers_${c.workers}`, c.ratio])),
      results: parallel,
    },
    embed: { model: shipped.info, batch: embedBatch, steps: steps * 2, warmup, results: embed },
    hnsw: { dim, ...hnswFigures },
    machine: {
      ...machineInfo(),
      tfjs: tf.version.tfjs,
      load_average_start: loadStart,
      load_average_end: os.loadavg().map(round),
    },
    duration_s: round((performance.now() - started) / 1000),
  };
}
