/**
 * Throughput (images/s) of the metric-learning training step and of embedding (inference) for Conv-4 and
 * ResNet-12 on the selected backend; training with the project's wasm kernels and, for comparison, with
 * the kernels wasm ships (plus the one kernel training cannot do without, Conv2DBackpropFilter).
 *
 *   npx tsx bench/ml/trainThroughput.ts --json [--archs conv4,resnet12] [--steps 5] [--warmup 2]
 *     [--batch 25] [--size 84] [--resnet-widths 64,128,256,512] [--kernels project,shipped] [--pytorch]
 *
 * Each case runs in its own child process: a wasm abort (out of memory) cannot take the others down,
 * and kernel registrations do not leak between cases. `simila bench ml` (bench/ml/mlBench.ts) builds
 * on the exported functions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../main/ml/backend/selectBackend';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../../main/ml/kernels/batchNormTraining';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { multiSimilarityLoss } from '../../main/ml/losses/multiSimilarityLoss';
import { createEmbeddingNet, type Architecture } from '../../main/ml/models/embeddingNet';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { metricTrainStep } from '../../main/ml/training/metricTrainStep';
import { createMetricStepRunner, type MetricStepRunner } from '../../main/ml/training/metricStepRunner';
import type { Embedder } from '../../main/search/embedder';
import { createEmbedderPool } from '../../main/search/embedderPool';

export type KernelSet = 'project' | 'shipped';
/** A training step (forward, Multi-Similarity loss, backward, Adam) or an embedding pass (inference). */
export type Mode = 'train' | 'embed';

/** One measurement: network, batch, input and how many steps to time. */
export interface CaseSpec {
  arch: Architecture;
  mode: Mode;
  kernels: KernelSet;
  batch: number;
  size: number;
  channels: 1 | 3;
  /** Channels per stage; default the architecture's (conv4 64x4, resnet12 64-128-256-512). */
  widths?: number[];
  steps: number;
  warmup: number;
  /**
   * Embedding: worker threads of the app's embedder (default: the app's default for this machine).
   * Training: data-parallel workers of stage 1 (main/ml/parallel; 1 = this thread, sharded step);
   * absent: the plain single-thread step.
   */
  workers?: number;
}

export interface CaseResult {
  arch: Architecture;
  mode: Mode;
  kernels: KernelSet;
  batch: number;
  input_size: number;
  channels: number;
  backend: string;
  ok: boolean;
  /** Embedding: worker threads that ran the network (the app's embedder pool). */
  workers?: number;
  images_per_s?: number;
  /** From process CPU time: stable on a shared machine, and fair for single-threaded wasm. */
  cpu_images_per_s?: number;
  step_ms_median?: number;
  step_ms?: number[];
  error?: string;
}

/** What pytorch_reference.py prints (one run: one mode, batch, input size; several architectures). */
export interface PytorchReport {
  ok?: boolean;
  python?: string;
  torch?: string;
  threads?: number;
  mode?: Mode;
  batch?: number;
  input_size?: number;
  channels?: number;
  results?: { arch: string; mode?: Mode; ok: boolean; images_per_s?: number; cpu_images_per_s?: number; step_ms_median?: number; error?: string }[];
  error?: string;
}

export const DEFAULT_WIDTHS: Record<Architecture, number[]> = { conv4: [64, 64, 64, 64], resnet12: [64, 128, 256, 512], dwsconv4: [32, 64, 128, 256] };

export function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Ours over theirs, rounded; null unless both were measured (never a stand-in number). */
export function throughputRatio(ours: number | undefined, theirs: number | undefined): number | null {
  return ours !== undefined && theirs !== undefined && Number.isFinite(ours) && Number.isFinite(theirs) && ours > 0 && theirs > 0 ? round(ours / theirs) : null;
}

/** Times `step` (warm-up steps first): median wall and CPU milliseconds per step. */
async function timeSteps(spec: CaseSpec, step: () => unknown): Promise<{ times: number[]; cpuTimes: number[] }> {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < spec.warmup + spec.steps; i++) {
    const start = performance.now();
    // process.cpuUsage counts every thread of the process: worker threads included.
    const cpuStart = process.cpuUsage();
    await step();
    const cpu = process.cpuUsage(cpuStart);
    if (i >= spec.warmup) {
      times.push(performance.now() - start);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
  }
  return { times, cpuTimes };
}

function rates(spec: CaseSpec, { times, cpuTimes }: { times: number[]; cpuTimes: number[] }) {
  const stepMs = median(times);
  return { images_per_s: round((spec.batch * 1000) / stepMs), cpu_images_per_s: round((spec.batch * 1000) / median(cpuTimes)), step_ms_median: round(stepMs), step_ms: times.map(round) };
}

/**
 * Embedding as the app does it: the network saved as a model package and run by the app's embedder
 * (main/search/embedderPool.ts: worker threads, each batch split between them), inputs in, vectors out.
 */
async function runEmbedderCase(spec: CaseSpec, backend: string): Promise<CaseResult> {
  const head = { arch: spec.arch, mode: spec.mode, kernels: spec.kernels, batch: spec.batch, input_size: spec.size, channels: spec.channels, backend };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simila-bench-embed-'));
  const net = createEmbeddingNet({ arch: spec.arch, inputSize: spec.size, channels: spec.channels, widths: spec.widths ?? DEFAULT_WIDTHS[spec.arch] });
  let embedder: Embedder | undefined;
  try {
    await saveModelPackage(path.join(dir, 'model'), net, {
      name: 'bench-embed',
      preprocess: defaultPreprocessSpec(spec.size, spec.channels),
      provenance: { stage: 'random', datasets: [], parent: null, created: new Date().toISOString(), backend, trainingSeconds: 0, steps: 0, complete: true },
      metrics: { loss: [], validation: [], final: null },
    });
    // Throughput of the whole pool: wait for every worker, not just the first.
    embedder = await createEmbedderPool({ modelDir: path.join(dir, 'model'), prefer: [backend], workers: spec.workers, waitForAllWorkers: true });
    const inputs = new Float32Array(spec.batch * spec.size * spec.size * spec.channels);
    for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 0.37);
    const ready = embedder;
    return { ...head, ok: true, workers: ready.workers, ...rates(spec, await timeSteps(spec, () => ready.embedInputs(inputs, spec.batch))) };
  } catch (error) {
    return { ...head, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await embedder?.close();
    net.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One case, measured in this process. */
export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const selection = await selectBackend({ log: () => {} });
  if (spec.mode === 'embed') return runEmbedderCase(spec, selection.name);
  if (selection.name === 'wasm' && spec.kernels === 'shipped') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels({ Conv2DBackpropInput: false, MaxPoolGrad: false, Tile: false, Sum: false, Mean: false, [BATCH_NORM_TRAINING]: false, [BATCH_NORM_TRAINING_GRAD]: false });
  }
  const head = { arch: spec.arch, mode: spec.mode, kernels: spec.kernels, batch: spec.batch, input_size: spec.size, channels: spec.channels, backend: selection.name };
  const classes = 5;
  const net = createEmbeddingNet({ arch: spec.arch, inputSize: spec.size, channels: spec.channels, widths: spec.widths ?? DEFAULT_WIDTHS[spec.arch] });
  const optimizer = tf.train.adam(1e-3);
  const images = tf.randomUniform([spec.batch, spec.size, spec.size, spec.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Array.from({ length: spec.batch }, (_, i) => i % classes);
  const loss = multiSimilarityLoss();
  let runner: MetricStepRunner | undefined;
  try {
    let step: () => unknown = () => metricTrainStep(net, loss, optimizer, images, labels);
    if (spec.workers !== undefined) {
      const ready = await createMetricStepRunner({ net, loss, optimizer, learningRate: 1e-3, batchSize: spec.batch, workers: spec.workers });
      runner = ready;
      const pixels = images.dataSync() as Float32Array;
      const labelArray = Int32Array.from(labels);
      step = () => ready.step(pixels, labelArray);
    }
    return { ...head, ok: true, ...(spec.workers !== undefined ? { workers: spec.workers } : {}), ...rates(spec, await timeSteps(spec, step)) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = selection.name === 'wasm' && /Aborted|memory/i.test(message) ? ' (wasm heap exhausted: it cannot grow past 4 GiB; try --resnet-widths 32,64,128,256 or a smaller --batch)' : '';
    return { ...head, ok: false, error: message + hint };
  } finally {
    await runner?.close();
    tf.dispose([images]);
    net.dispose();
    optimizer.dispose();
  }
}

/** One case in a fresh Node process (loads the TypeScript sources through tsx, whoever started us). */
export function runCaseInChild(spec: CaseSpec): CaseResult {
  const self = fileURLToPath(import.meta.url);
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawnSync(process.execPath, ['--import', tsx, self, '--case', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = (child.stdout ?? '').trim().split('\n').reverse().find((l) => l.startsWith('{"arch"'));
  if (line) return JSON.parse(line) as CaseResult;
  const reason = (child.stderr || '').split('\n').find((l) => /Error|Abort/.test(l)) ?? `exit ${child.status}`;
  return { arch: spec.arch, mode: spec.mode, kernels: spec.kernels, batch: spec.batch, input_size: spec.size, channels: spec.channels, backend: 'unknown', ok: false, error: `child process failed: ${reason.slice(0, 300)}` };
}

export interface PytorchRun {
  mode: Mode;
  archs: Architecture[];
  batch: number;
  size: number;
  channels: 1 | 3;
  steps: number;
  warmup: number;
  resnetWidths?: number[];
  conv4Widths?: number[];
  /** PyTorch intra-op threads (0 or absent: its default, which is 1 with Debian's build on these machines). */
  threads?: number;
}

export const PYTORCH_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pytorch_reference.py');

/** Runs pytorch_reference.py with `python` (an interpreter that imports torch); never throws. */
export function runPytorchReference(python: string, run: PytorchRun): PytorchReport {
  const args = [
    PYTORCH_SCRIPT, '--json', '--mode', run.mode, '--archs', run.archs.join(','), '--steps', String(run.steps), '--warmup', String(run.warmup),
    '--batch', String(run.batch), '--size', String(run.size), '--channels', String(run.channels),
    '--resnet-widths', (run.resnetWidths ?? DEFAULT_WIDTHS.resnet12).join(','), '--conv4-widths', (run.conv4Widths ?? DEFAULT_WIDTHS.conv4).join(','),
    '--threads', String(run.threads ?? 0),
  ];
  const child = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return { ok: true, python, ...(JSON.parse(line) as PytorchReport) };
  } catch {
    const why = child.error?.message ?? ((child.stderr || '').trim().split('\n').pop() || `exit ${child.status}`);
    return { ok: false, python, error: why };
  }
}

// ---- stand-alone command line (training throughput, project vs shipped kernels) ----

interface CliOptions {
  json: boolean;
  archs: Architecture[];
  kernels: KernelSet[];
  steps: number;
  warmup: number;
  batch: number;
  size: number;
  resnetWidths: number[];
  pytorch: boolean;
}

function parseArgs(argv: string[]): CliOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (flag: string, fallback: string) => (value(flag) ?? fallback).split(',').filter(Boolean);
  return {
    json: argv.includes('--json'),
    archs: list('--archs', 'conv4,resnet12') as Architecture[],
    kernels: list('--kernels', 'project,shipped') as KernelSet[],
    steps: Number(value('--steps') ?? 5),
    warmup: Number(value('--warmup') ?? 2),
    batch: Number(value('--batch') ?? 25),
    size: Number(value('--size') ?? 84),
    resnetWidths: list('--resnet-widths', '64,128,256,512').map(Number),
    pytorch: argv.includes('--pytorch'),
  };
}

/** The first of /usr/bin/python3 (Debian's python3-torch) and python3 on PATH that imports torch. */
export function findTorchPython(candidates = ['/usr/bin/python3', 'python3']): string | null {
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  return null;
}

async function cli(argv: string[]): Promise<void> {
  const options = parseArgs(argv);
  const backend = await selectBackend({ log: options.json ? () => {} : undefined });
  const results: CaseResult[] = [];
  for (const arch of options.archs) {
    for (const kernels of options.kernels) {
      if (kernels === 'shipped' && backend.name !== 'wasm') continue;
      const widths = arch === 'resnet12' ? options.resnetWidths : undefined;
      const result = runCaseInChild({ arch, mode: 'train', kernels, batch: options.batch, size: options.size, channels: 3, widths, steps: options.steps, warmup: options.warmup });
      results.push(result);
      if (!options.json) console.log(result.ok ? `${arch} (${kernels} kernels): ${result.images_per_s} img/s (${result.cpu_images_per_s} per CPU second)` : `${arch} (${kernels} kernels): failed: ${result.error}`);
    }
  }
  const rate = (arch: Architecture, kernels: KernelSet, key: 'images_per_s' | 'cpu_images_per_s' = 'cpu_images_per_s') => results.find((r) => r.arch === arch && r.kernels === kernels && r.ok)?.[key];
  const kernelGain = Object.fromEntries(options.archs.map((arch) => [arch, throughputRatio(rate(arch, 'project'), rate(arch, 'shipped'))]));
  let pytorch: PytorchReport | undefined;
  if (options.pytorch) {
    const python = findTorchPython();
    pytorch = python
      ? runPytorchReference(python, { mode: 'train', archs: options.archs, batch: options.batch, size: options.size, channels: 3, steps: options.steps, warmup: options.warmup, resnetWidths: options.resnetWidths })
      : { ok: false, error: 'no python3 imports torch (install with: apt-get install -y python3-torch)' };
  }
  const ratios = (key: 'images_per_s' | 'cpu_images_per_s') =>
    pytorch?.results ? Object.fromEntries(pytorch.results.map((r) => [r.arch, throughputRatio(rate(r.arch as Architecture, 'project', key), r.ok ? r[key] : undefined)])) : undefined;
  const report = {
    bench: 'ml-train-throughput',
    backend: backend.name,
    backend_reason: backend.reason,
    batch: options.batch,
    input_size: options.size,
    resnet12_widths: options.resnetWidths,
    loss: 'multi-similarity',
    results,
    project_kernel_speedup: kernelGain,
    pytorch,
    train_vs_pytorch_ratio: ratios('images_per_s'),
    train_vs_pytorch_cpu_time_ratio: ratios('cpu_images_per_s'),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, load_average: os.loadavg().map(round), node: process.version, tfjs: tf.version.tfjs },
  };
  console.log(options.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const caseAt = argv.indexOf('--case');
  if (caseAt >= 0) console.log(JSON.stringify(await runCase(JSON.parse(argv[caseAt + 1] ?? '{}') as CaseSpec)));
  else await cli(argv);
}
