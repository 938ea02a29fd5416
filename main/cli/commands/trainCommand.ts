/** `simila train pretrain`: stage-1 metric pre-training on ImageFolder sets into a model package. */
import { InvalidArgumentError, type Command } from 'commander';

interface PretrainCliOptions {
  data: string[];
  arch: string;
  out: string;
  inputSize: number;
  channels: number;
  steps?: number;
  minutes?: number;
  batchClasses: number;
  batchSamples: number;
  lr: number;
  seed: number;
  shift: number;
  resume?: boolean;
  json?: boolean;
  checkpointMinutes: number;
  validateEvery: number;
  backend?: string;
  checkpointDir?: string;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function addTrainCommands(program: Command, positiveInt: (value: string) => number): Command {
  const train = program.command('train').description('train models (stage 1: pretrain)');
  train
    .command('pretrain')
    .description('metric pre-training (Multi-Similarity loss, P x K batches) on ImageFolder sets <set>/<class>/<image>')
    .requiredOption('--data <dir>', 'ImageFolder set (repeat for several; base classes only)', (v: string, all: string[] = []) => [...all, v])
    .requiredOption('--out <dir>', 'model package folder to write')
    .option('--arch <arch>', 'conv4 | resnet12', 'conv4')
    .option('--input-size <px>', 'square input side', positiveInt, 84)
    .option('--channels <n>', '1 (grayscale) or 3 (RGB)', positiveInt, 1)
    .option('--steps <n>', 'total step budget (counted across --resume)', positiveInt)
    .option('--minutes <m>', 'time budget of this run', positiveNumber)
    .option('--batch-classes <p>', 'P: classes per batch', positiveInt, 8)
    .option('--batch-samples <k>', 'K: images per class in a batch', positiveInt, 4)
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, 1e-3)
    .option('--seed <n>', 'seed of weights, split and batches', wholeNumber, 1)
    .option('--shift <px>', 'random translation augmentation in pixels (0 = off)', wholeNumber, 0)
    .option('--checkpoint-minutes <m>', 'checkpoint interval', positiveNumber, 5)
    .option('--validate-every <steps>', 'validation interval in steps', positiveInt, 200)
    .option('--backend <name>', 'force a backend (tfjs-node-gpu, tfjs-node, wasm, cpu)')
    .option('--checkpoint-dir <dir>', 'checkpoint folder (default <out>.checkpoint)')
    .option('--resume', 'continue from the checkpoint folder')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: PretrainCliOptions) => {
      process.exitCode = await runPretrainCommand(opts);
    });
  return train;
}

export async function runPretrainCommand(opts: PretrainCliOptions): Promise<number> {
  const fail = (code: string, message: string) => {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`simila train pretrain: ${message}\n`);
    return 1;
  };
  if (opts.arch !== 'conv4' && opts.arch !== 'resnet12') return fail('bad-options', `unknown architecture ${opts.arch} (conv4 or resnet12)`);
  if (opts.channels !== 1 && opts.channels !== 3) return fail('bad-options', '--channels must be 1 or 3');
  if (opts.steps === undefined && opts.minutes === undefined) return fail('bad-options', 'give --steps or --minutes');
  const { selectBackend } = await import('../../ml/backend/selectBackend');
  const { pretrain } = await import('../../ml/training/pretrain');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const backend = await selectBackend({ prefer: opts.backend ? [opts.backend] : undefined, log });

  const tty = process.stderr.isTTY === true;
  let lastLogged = 0;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await pretrain({
      datasets: opts.data,
      out: opts.out,
      checkpointDir: opts.checkpointDir,
      arch: opts.arch,
      inputSize: opts.inputSize,
      channels: opts.channels,
      steps: opts.steps,
      minutes: opts.minutes,
      classesPerBatch: opts.batchClasses,
      samplesPerClass: opts.batchSamples,
      learningRate: opts.lr,
      seed: opts.seed,
      maxShift: opts.shift,
      resume: opts.resume,
      checkpointEveryMinutes: opts.checkpointMinutes,
      validateEverySteps: opts.validateEvery,
      backend: backend.name,
      signal: controller.signal,
      onProgress: (p) => {
        const line = `step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ''}  loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-'}  ${p.imagesPerSecond.toFixed(1)} img/s  elapsed ${formatDuration(p.elapsedSeconds)}  ETA ${formatDuration(p.etaSeconds)}`;
        if (p.validation) log(`validation at step ${p.step}: R@1 ${p.validation.recallAt1.toFixed(4)}  MAP@R ${p.validation.mapAtR.toFixed(4)}`);
        else if (p.phase === 'checkpoint') log(`checkpoint at step ${p.step}`);
        else if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else if (Date.now() - lastLogged > 30_000) {
          // Logs (nohup, CI) get a line every 30 s instead of an overwritten one.
          log(line);
          lastLogged = Date.now();
        }
      },
    });
    if (tty) process.stderr.write('\n');
    if (!result.ok) return fail(result.code, result.message);
    const summary = { ok: true, out: opts.out, steps: result.steps, stoppedBy: result.stoppedBy, trainingSeconds: Math.round(result.trainingSeconds), backend: backend.name, decodeFailures: result.decodeFailures, validation: result.manifest.metrics.final };
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else log(`wrote ${opts.out} after ${result.steps} steps (${result.stoppedBy}); validation ${JSON.stringify(result.manifest.metrics.final)}`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
