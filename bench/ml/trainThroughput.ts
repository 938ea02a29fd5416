/**
 * Training throughput of the metric-learning step (images/s) for Conv-4 and ResNet-12 on the selected
 * backend, with the project's wasm kernels and, for comparison, with the kernels wasm ships (plus the
 * one kernel training cannot do without, Conv2DBackpropFilter).
 *
 *   npx tsx bench/ml/trainThroughput.ts --json [--archs conv4,resnet12] [--steps 5] [--warmup 2]
 *     [--batch 25] [--size 84] [--resnet-widths 64,128,256,512] [--kernels project,shipped] [--pytorch]
 *
 * Each case runs in its own child process: a wasm abort (out of memory) cannot take the others down,
 * and kernel registrations do not leak between cases.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../main/ml/backend/selectBackend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { multiSimilarityLoss } from '../../main/ml/losses/multiSimilarityLoss';
import { createEmbeddingNet, type Architecture } from '../../main/ml/models/embeddingNet';
import { metricTrainStep } from '../../main/ml/training/metricTrainStep';

type KernelSet = 'project' | 'shipped';

interface Options {
  json: boolean;
  archs: Architecture[];
  kernels: KernelSet[];
  steps: number;
  warmup: number;
  batch: number;
  size: number;
  resnetWidths: number[];
  pytorch: boolean;
  caseSpec?: string;
}

interface CaseResult {
  arch: Architecture;
  kernels: KernelSet;
  backend: string;
  ok: boolean;
  images_per_s?: number;
  /** From process CPU time: stable on a shared machine, and fair for single-threaded wasm. */
  cpu_images_per_s?: number;
  step_ms_median?: number;
  step_ms?: number[];
  error?: string;
}

function parseArgs(argv: string[]): Options {
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
    caseSpec: value('--case'),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One (architecture, kernel set) measurement, in this process. */
async function runCase(arch: Architecture, kernels: KernelSet, options: Options): Promise<CaseResult> {
  const selection = await selectBackend({ log: () => {} });
  if (selection.name === 'wasm' && kernels === 'shipped') {
    unregisterWasmTrainingKernels();
    registerWasmTrainingKernels({ Conv2DBackpropInput: false, MaxPoolGrad: false, Tile: false, Sum: false, Mean: false });
  }
  const classes = 5;
  const net = createEmbeddingNet({ arch, inputSize: options.size, channels: 3, widths: arch === 'resnet12' ? options.resnetWidths : undefined });
  const optimizer = tf.train.adam(1e-3);
  const images = tf.randomUniform([options.batch, options.size, options.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Array.from({ length: options.batch }, (_, i) => i % classes);
  const loss = multiSimilarityLoss();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  try {
    for (let step = 0; step < options.warmup + options.steps; step++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      metricTrainStep(net, loss, optimizer, images, labels);
      const cpu = process.cpuUsage(cpuStart);
      if (step >= options.warmup) {
        times.push(performance.now() - start);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
    }
    const stepMs = median(times);
    return {
      arch,
      kernels,
      backend: selection.name,
      ok: true,
      images_per_s: round((options.batch * 1000) / stepMs),
      cpu_images_per_s: round((options.batch * 1000) / median(cpuTimes)),
      step_ms_median: round(stepMs),
      step_ms: times.map(round),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = selection.name === 'wasm' && /Aborted|memory/i.test(message) ? ' (wasm heap exhausted: it cannot grow past 4 GiB; try --resnet-widths 32,64,128,256 or a smaller --batch)' : '';
    return { arch, kernels, backend: selection.name, ok: false, error: message + hint };
  } finally {
    tf.dispose([images]);
    net.dispose();
    optimizer.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function runChild(arch: Architecture, kernels: KernelSet, argv: string[]): CaseResult {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, self, ...argv, '--case', `${arch}:${kernels}`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = child.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{"arch"'));
  if (line) return JSON.parse(line) as CaseResult;
  const reason = (child.stderr || '').split('\n').find((l) => /Error|Abort/.test(l)) ?? `exit ${child.status}`;
  return { arch, kernels, backend: 'unknown', ok: false, error: `child process failed: ${reason.slice(0, 300)}` };
}

function runPytorch(options: Options): unknown {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pytorch_reference.py');
  const args = [script, '--json', '--archs', options.archs.join(','), '--steps', String(options.steps), '--warmup', String(options.warmup), '--batch', String(options.batch), '--size', String(options.size), '--resnet-widths', options.resnetWidths.join(',')];
  // Debian's python3-torch lives under /usr/bin/python3, which a pyenv/venv python3 on PATH may hide.
  let lastError = 'python3 not found';
  for (const python of ['python3', '/usr/bin/python3']) {
    const child = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = child.stdout?.trim().split('\n').pop();
    try {
      return { python, ...(JSON.parse(line ?? '') as object) };
    } catch {
      lastError = (child.stderr || `${python} exit ${child.status}`).trim().split('\n').pop() ?? lastError;
    }
  }
  return { ok: false, error: `${lastError} (install with: apt-get install -y python3-torch)` };
}

/** Our images/s over PyTorch CPU images/s, per architecture, measured in this run (wall or CPU time). */
function ratios(results: CaseResult[], pytorch: unknown, key: 'images_per_s' | 'cpu_images_per_s'): Record<string, number | null> | undefined {
  const reference = (pytorch as { results?: ({ arch: string; ok: boolean } & Partial<Record<typeof key, number>>)[] } | undefined)?.results;
  if (!reference) return undefined;
  const out: Record<string, number | null> = {};
  for (const r of reference) {
    const ours = results.find((x) => x.arch === r.arch && x.kernels === 'project' && x.ok)?.[key];
    const theirs = r[key];
    out[r.arch] = ours && r.ok && theirs ? round(ours / theirs) : null;
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (options.caseSpec) {
    const [arch, kernels] = options.caseSpec.split(':') as [Architecture, KernelSet];
    console.log(JSON.stringify(await runCase(arch, kernels, options)));
    return;
  }
  const backend = await selectBackend({ log: options.json ? () => {} : undefined });
  const results: CaseResult[] = [];
  for (const arch of options.archs) {
    for (const kernels of options.kernels) {
      if (kernels === 'shipped' && backend.name !== 'wasm') continue;
      const result = runChild(arch, kernels, argv);
      results.push(result);
      if (!options.json) console.log(result.ok ? `${arch} (${kernels} kernels): ${result.images_per_s} img/s (${result.cpu_images_per_s} per CPU second)` : `${arch} (${kernels} kernels): failed: ${result.error}`);
    }
  }
  const rate = (arch: Architecture, kernels: KernelSet) => results.find((r) => r.arch === arch && r.kernels === kernels && r.ok)?.cpu_images_per_s;
  const kernelGain = Object.fromEntries(options.archs.map((arch) => {
    const a = rate(arch, 'project');
    const b = rate(arch, 'shipped');
    return [arch, a && b ? round(a / b) : null];
  }));
  const pytorch = options.pytorch ? runPytorch(options) : undefined;
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
    train_vs_pytorch_ratio: ratios(results, pytorch, 'images_per_s'),
    train_vs_pytorch_cpu_time_ratio: ratios(results, pytorch, 'cpu_images_per_s'),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, load_average: os.loadavg().map(round), node: process.version, tfjs: tf.version.tfjs },
  };
  console.log(options.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
}

await main();
