/** `simila train pretrain`: stage-1 metric pre-training on ImageFolder sets into a model package. */
import { InvalidArgumentError, type Command } from 'commander';
import { NO_AUGMENTATION, PHOTO_AUGMENTATION, type AugmentationOptions } from '../../ml/data/augmentation';
import { ARCHITECTURES, type Architecture } from '../../ml/models/architectures';

/** Named augmentation recipes of `--augment` (main/ml/data/augmentation.ts). */
const AUGMENTATIONS: Record<string, AugmentationOptions> = { none: NO_AUGMENTATION, photo: PHOTO_AUGMENTATION };

interface PretrainCliOptions {
  data: string[];
  arch: string;
  out: string;
  inputSize: number;
  channels: number;
  widths?: string;
  embeddingSize?: number;
  steps?: number;
  minutes?: number;
  batchClasses: number;
  batchSamples: number;
  lr: number;
  seed: number;
  shift: number;
  augment: string;
  balanceSets?: boolean;
  workers?: number;
  shards?: number;
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

/** The backbones have four stages (Conv-4, ResNet-12, dwsconv4); the widest stage of any shipped net is 512. */
const STAGES = 4;
const MAX_WIDTH = 1024;
const MAX_EMBEDDING = 2048;

function isArchitecture(name: string): name is Architecture {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

/** `--widths a,b,c,d`: four whole numbers 1..1024, or a message saying what is wrong. */
export function parseStageWidths(value: string): { ok: true; widths: number[] } | { ok: false; message: string } {
  const parts = value.split(',').map((part) => part.trim());
  const widths = parts.map(Number);
  if (parts.length !== STAGES) return { ok: false, message: `--widths needs ${STAGES} stage widths separated by commas (e.g. 64,64,64,64), got ${parts.length}` };
  if (parts.some((part, i) => part === '' || !Number.isInteger(widths[i]) || (widths[i] as number) < 1 || (widths[i] as number) > MAX_WIDTH)) {
    return { ok: false, message: `--widths: each stage width must be a whole number from 1 to ${MAX_WIDTH}, got ${value}` };
  }
  return { ok: true, widths };
}

/** The shape options of a new stage-1 model (--widths, --embedding-size), checked; a message when they are wrong. */
function newModelShape(opts: { widths?: string; embeddingSize?: number; resume?: boolean }): { widths?: number[]; projectionDim?: number } | string {
  if (opts.resume && (opts.widths !== undefined || opts.embeddingSize !== undefined)) {
    return '--widths and --embedding-size shape a new model only; --resume continues the checkpoint\'s network as it is';
  }
  let widths: number[] | undefined;
  if (opts.widths !== undefined) {
    const parsed = parseStageWidths(opts.widths);
    if (!parsed.ok) return parsed.message;
    widths = parsed.widths;
  }
  const size = opts.embeddingSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 0 || size > MAX_EMBEDDING)) {
    return `--embedding-size must be a whole number from 0 (no projection head: the last stage's channels) to ${MAX_EMBEDDING}, got ${size}`;
  }
  return { widths, projectionDim: size };
}

function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function addTrainCommands(program: Command, positiveInt: (value: string) => number): Command {
  const train = program.command('train').description('train models (stage 1: pretrain, stage 2: meta, both alternating: full)');
  train
    .command('pretrain')
    .description('metric pre-training (Multi-Similarity loss, P x K batches) on ImageFolder sets <set>/<class>/<image>')
    .requiredOption('--data <dir>', 'ImageFolder set (repeat for several; base classes only)', (v: string, all: string[] = []) => [...all, v])
    .requiredOption('--out <dir>', 'model package folder to write')
    .option('--arch <arch>', ARCHITECTURES.join(' | '), 'conv4')
    .option('--input-size <px>', 'square input side', positiveInt, 84)
    .option('--channels <n>', '1 (grayscale) or 3 (RGB)', positiveInt, 1)
    .option('--widths <a,b,c,d>', 'channels of the four stages (new model only; default conv4 64,64,64,64, resnet12 64,128,256,512, dwsconv4 32,64,128,256)')
    .option('--embedding-size <n>', "linear projection head to n dimensions (new model only; 0 or absent: none, the last stage's channels)", wholeNumber)
    .option('--steps <n>', 'total step budget (counted across --resume)', positiveInt)
    .option('--minutes <m>', 'time budget of this run', positiveNumber)
    .option('--batch-classes <p>', 'P: classes per batch', positiveInt, 8)
    .option('--batch-samples <k>', 'K: images per class in a batch', positiveInt, 4)
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, 1e-3)
    .option('--seed <n>', 'seed of weights, split and batches', wholeNumber, 1)
    .option('--shift <px>', 'random translation augmentation in pixels (0 = off)', wholeNumber, 0)
    .option('--augment <recipe>', 'training augmentation: none | photo (random resized crop, flip, colour jitter)', 'none')
    .option('--balance-sets', 'give every --data set an equal share of each batch (else shares follow class counts)')
    .option('--workers <n>', 'data-parallel worker threads (default on wasm: every core, at most one per 8 images of a batch)', positiveInt)
    .option('--shards <n>', 'ghost batches with their own batch-norm statistics (default: workers; keep it to reproduce a run)', positiveInt)
    .option('--checkpoint-minutes <m>', 'checkpoint interval', positiveNumber, 5)
    .option('--validate-every <steps>', 'validation interval in steps', positiveInt, 200)
    .option('--backend <name>', 'force a backend (tfjs-node-gpu, tfjs-node, wasm, cpu)')
    .option('--checkpoint-dir <dir>', 'checkpoint folder (default <out>.checkpoint)')
    .option('--resume', 'continue from the checkpoint folder')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: PretrainCliOptions) => {
      process.exitCode = await runPretrainCommand(opts);
    });
  addMetaTrainCommands(train, positiveInt);
  return train;
}

export async function runPretrainCommand(opts: PretrainCliOptions): Promise<number> {
  const fail = (code: string, message: string) => {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`simila train pretrain: ${message}\n`);
    return 1;
  };
  if (!isArchitecture(opts.arch)) return fail('bad-options', `unknown architecture ${opts.arch} (${ARCHITECTURES.join(', ')})`);
  const shape = newModelShape(opts);
  if (typeof shape === 'string') return fail('bad-options', shape);
  if (opts.channels !== 1 && opts.channels !== 3) return fail('bad-options', '--channels must be 1 or 3');
  if (opts.steps === undefined && opts.minutes === undefined) return fail('bad-options', 'give --steps or --minutes');
  if (!(opts.augment in AUGMENTATIONS)) return fail('bad-options', `--augment must be one of ${Object.keys(AUGMENTATIONS).join(', ')}`);
  const { selectBackend } = await import('../../ml/backend/selectBackend');
  const { pretrain } = await import('../../ml/training/pretrain');
  const { defaultTrainWorkers } = await import('../../ml/parallel/parallelTrainer');
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
      widths: shape.widths,
      projectionDim: shape.projectionDim,
      steps: opts.steps,
      minutes: opts.minutes,
      classesPerBatch: opts.batchClasses,
      samplesPerClass: opts.batchSamples,
      learningRate: opts.lr,
      seed: opts.seed,
      maxShift: opts.shift,
      augmentation: AUGMENTATIONS[opts.augment],
      balanceSets: opts.balanceSets === true,
      workers: opts.workers ?? defaultTrainWorkers(backend.tfBackend, opts.batchClasses * opts.batchSamples),
      shards: opts.shards,
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

interface MetaCliOptions {
  init: string;
  data: string[];
  out: string;
  group: string;
  order: string;
  innerSteps: number;
  innerLr: number;
  outerLr: number;
  learnStepSizes?: boolean;
  stepSizeLr: number;
  freezeWeights?: boolean;
  way: number;
  shot: number;
  queries: number;
  metaBatch: number;
  steps?: number;
  minutes?: number;
  seed: number;
  validateEvery: number;
  validationEpisodes: number;
  validationFraction: number;
  checkpointMinutes: number;
  checkpointDir?: string;
  resume?: boolean;
  backend?: string;
  json?: boolean;
}

interface FullCliOptions extends Omit<MetaCliOptions, 'init' | 'steps' | 'minutes' | 'resume' | 'checkpointDir'> {
  init?: string;
  arch: string;
  inputSize: number;
  channels: number;
  rounds: number;
  stage1Steps: number;
  stage2Minutes: number;
  minutes?: number;
  tolerance: number;
  batchClasses: number;
  batchSamples: number;
  lr: number;
  shift: number;
  augment: string;
  balanceSets?: boolean;
  workers?: number;
  shards?: number;
  work?: string;
}

const GROUPS = ['all', 'last-stage-head', 'rectifiers'] as const;

function addMetaOptions(command: Command, positiveInt: (value: string) => number): Command {
  return command
    .requiredOption('--data <dir>', 'ImageFolder set (repeat for several; base classes only)', (v: string, all: string[] = []) => [...all, v])
    .requiredOption('--out <dir>', 'model package folder to write')
    .option('--group <group>', 'adaptable parameters: last-stage-head | rectifiers | all', 'last-stage-head')
    .option('--order <n>', 'MAML order: 1 (first-order) or 2 (second-order)', '1')
    .option('--inner-steps <t>', 'T: inner-loop steps (eq. 1)', positiveInt, 5)
    .option('--inner-lr <alpha>', 'alpha: inner-loop learning rate', positiveNumber, 0.2)
    .option('--outer-lr <beta>', 'beta: Adam learning rate of the outer update (eq. 2)', positiveNumber, 5e-4)
    .option('--learn-step-sizes', 'meta-learn one inner step size per adapted tensor (Meta-SGD), starting at --inner-lr; the model records them as its adaptation')
    .option('--step-size-lr <x>', 'Adam learning rate of the log step sizes (with --learn-step-sizes)', positiveNumber, 0.01)
    .option('--freeze-weights', 'learn only the step sizes: the weights stay the init\'s (needs --learn-step-sizes)')
    .option('--way <n>', 'N: classes per episode', positiveInt, 5)
    .option('--shot <k>', 'K: support images per class', positiveInt, 5)
    .option('--queries <q>', 'Q: query images per class', positiveInt, 10)
    .option('--meta-batch <n>', 'episodes per outer update', positiveInt, 4)
    .option('--seed <n>', 'seed of the split and episodes (use stage 1\'s seed)', wholeNumber, 1)
    .option('--validate-every <steps>', 'meta-validation interval in outer steps', positiveInt, 50)
    .option('--validation-episodes <n>', 'meta-validation episodes (fixed, held-out classes)', positiveInt, 30)
    .option('--validation-fraction <f>', 'share of each set\'s classes held out (must match stage 1 to keep them unseen)', positiveNumber, 0.05)
    .option('--checkpoint-minutes <m>', 'checkpoint interval', positiveNumber, 5)
    .option('--backend <name>', 'force a backend (tfjs-node-gpu, tfjs-node, wasm, cpu)')
    .option('--json', 'print the result as JSON on stdout');
}

function addMetaTrainCommands(train: Command, positiveInt: (value: string) => number): void {
  addMetaOptions(
    train
      .command('meta')
      .description('stage 2: episodic MAML from a stage-1 model (inner loop on the support set, outer update from the query loss)')
      .requiredOption('--init <dir>', 'model package to start from (stage 1)'),
    positiveInt,
  )
    .option('--steps <n>', 'outer-step budget (counted across --resume)', positiveInt)
    .option('--minutes <m>', 'time budget of this run', positiveNumber)
    .option('--checkpoint-dir <dir>', 'checkpoint folder (default <out>.checkpoint)')
    .option('--resume', 'continue from the checkpoint folder')
    .action(async (opts: MetaCliOptions) => {
      process.exitCode = await runMetaCommand(opts);
    });
  addMetaOptions(
    train
      .command('full')
      .description('alternate stage 1 and stage 2 until their validation MAP@R agree within a tolerance or the budget ends')
      .option('--init <dir>', 'stage-1 model to continue from (default: train one from scratch)'),
    positiveInt,
  )
    .option('--arch <arch>', `${ARCHITECTURES.join(' | ')} (new stage-1 model only)`, 'conv4')
    .option('--input-size <px>', 'square input side (new stage-1 model only)', positiveInt, 84)
    .option('--channels <n>', '1 (grayscale) or 3 (RGB) (new stage-1 model only)', positiveInt, 1)
    .option('--rounds <n>', 'most alternation rounds', positiveInt, 3)
    .option('--stage1-steps <n>', 'stage-1 steps per round', positiveInt, 100)
    .option('--stage2-minutes <m>', 'stage-2 minutes per round', positiveNumber, 5)
    .option('--minutes <m>', 'overall time budget', positiveNumber)
    .option('--tolerance <d>', 'stop when |stage-1 MAP@R - stage-2 MAP@R| is at most this', positiveNumber, 0.02)
    .option('--batch-classes <p>', 'stage 1: classes per batch', positiveInt, 8)
    .option('--batch-samples <k>', 'stage 1: images per class in a batch', positiveInt, 4)
    .option('--lr <rate>', 'stage 1: Adam learning rate', positiveNumber, 1e-3)
    .option('--shift <px>', 'stage 1: random translation augmentation in pixels (0 = off)', wholeNumber, 0)
    .option('--augment <recipe>', 'stage 1: training augmentation: none | photo (random resized crop, flip, colour jitter)', 'none')
    .option('--balance-sets', 'stage 1: give every --data set an equal share of each batch')
    .option('--workers <n>', 'stage 1: data-parallel worker threads (default on wasm: every core, at most one per 8 images of a batch)', positiveInt)
    .option('--shards <n>', 'stage 1: ghost batches with their own batch-norm statistics (default: workers)', positiveInt)
    .option('--work <dir>', 'folder for the stage-1 model and checkpoints (default <out>.work)')
    .action(async (opts: FullCliOptions) => {
      process.exitCode = await runFullCommand(opts);
    });
}

function checkMetaOptions(opts: { group: string; order: string; learnStepSizes?: boolean; freezeWeights?: boolean }): string | undefined {
  if (!(GROUPS as readonly string[]).includes(opts.group)) return `--group must be one of ${GROUPS.join(', ')}`;
  if (opts.order !== '1' && opts.order !== '2') return '--order must be 1 or 2';
  if (opts.freezeWeights && !opts.learnStepSizes) return '--freeze-weights needs --learn-step-sizes (nothing else would change)';
  return undefined;
}

function failer(command: string, json?: boolean) {
  return (code: string, message: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`simila train ${command}: ${message}\n`);
    return 1;
  };
}

function metaProgressLogger() {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const tty = process.stderr.isTTY === true;
  let lastLogged = 0;
  return (p: import('../../ml/meta/metaTrain').MetaTrainProgress) => {
    const line = `meta step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ''}  query loss ${Number.isFinite(p.queryLoss) ? p.queryLoss.toFixed(4) : '-'}  ${p.episodesPerSecond.toFixed(2)} episodes/s  cached ${p.cachedImages}  elapsed ${formatDuration(p.elapsedSeconds)}`;
    if (p.validation) log(`meta-validation at step ${p.step}: R@1 ${p.validation.recallAt1.toFixed(4)}  MAP@R ${p.validation.mapAtR.toFixed(4)} (after adaptation)`);
    else if (p.phase === 'checkpoint') log(`checkpoint at step ${p.step}`);
    else if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastLogged > 30_000) {
      log(line);
      lastLogged = Date.now();
    }
  };
}

function withSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return run(controller.signal).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
}

/** Stage 2's settings from the options `train meta` and `train full` share. */
function stage2Settings(opts: Omit<MetaCliOptions, 'init' | 'steps' | 'minutes' | 'resume' | 'checkpointDir'>) {
  return {
    group: opts.group as (typeof GROUPS)[number],
    order: opts.order === '2' ? (2 as const) : (1 as const),
    innerSteps: opts.innerSteps,
    innerLearningRate: opts.innerLr,
    outerLearningRate: opts.outerLr,
    learnStepSizes: opts.learnStepSizes === true,
    stepSizeLearningRate: opts.stepSizeLr,
    freezeWeights: opts.freezeWeights === true,
    way: opts.way,
    shot: opts.shot,
    queries: opts.queries,
    metaBatch: opts.metaBatch,
    validateEverySteps: opts.validateEvery,
    validationEpisodes: opts.validationEpisodes,
    validationFraction: opts.validationFraction,
    checkpointEveryMinutes: opts.checkpointMinutes,
  };
}

export async function runMetaCommand(opts: MetaCliOptions): Promise<number> {
  const fail = failer('meta', opts.json);
  const bad = checkMetaOptions(opts);
  if (bad) return fail('bad-options', bad);
  if (opts.steps === undefined && opts.minutes === undefined) return fail('bad-options', 'give --steps or --minutes');
  const { selectBackend } = await import('../../ml/backend/selectBackend');
  const { metaTrain } = await import('../../ml/meta/metaTrain');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const backend = await selectBackend({ prefer: opts.backend ? [opts.backend] : undefined, log });
  const result = await withSignals((signal) =>
    metaTrain({
      init: opts.init,
      datasets: opts.data,
      out: opts.out,
      checkpointDir: opts.checkpointDir,
      ...stage2Settings(opts),
      steps: opts.steps,
      minutes: opts.minutes,
      seed: opts.seed,
      resume: opts.resume,
      backend: backend.name,
      signal,
      onProgress: metaProgressLogger(),
    }),
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (!result.ok) return fail(result.code, result.message);
  const summary = { ok: true, out: opts.out, steps: result.steps, stoppedBy: result.stoppedBy, trainingSeconds: Math.round(result.trainingSeconds), backend: backend.name, initValidation: result.initValidation, validation: result.finalValidation, ...(result.stepSizes ? { stepSizes: result.stepSizes } : {}) };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    log(`wrote ${opts.out} after ${result.steps} meta steps (${result.stoppedBy}); meta-validation MAP@R ${result.initValidation.mapAtR.toFixed(4)} -> ${result.finalValidation.mapAtR.toFixed(4)}`);
    if (result.stepSizes) log(`learnt step sizes (from ${opts.innerLr}): ${Object.entries(result.stepSizes).map(([name, alpha]) => `${name} ${Number(alpha.toPrecision(4))}`).join(', ')}`);
  }
  return 0;
}

export async function runFullCommand(opts: FullCliOptions): Promise<number> {
  const fail = failer('full', opts.json);
  const bad = checkMetaOptions(opts);
  if (bad) return fail('bad-options', bad);
  const arch = opts.arch;
  if (!isArchitecture(arch)) return fail('bad-options', `unknown architecture ${arch} (${ARCHITECTURES.join(', ')})`);
  if (opts.channels !== 1 && opts.channels !== 3) return fail('bad-options', '--channels must be 1 or 3');
  if (!(opts.augment in AUGMENTATIONS)) return fail('bad-options', `--augment must be one of ${Object.keys(AUGMENTATIONS).join(', ')}`);
  const { selectBackend } = await import('../../ml/backend/selectBackend');
  const { alternate } = await import('../../ml/training/alternation');
  const { defaultTrainWorkers } = await import('../../ml/parallel/parallelTrainer');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const backend = await selectBackend({ prefer: opts.backend ? [opts.backend] : undefined, log });
  const result = await withSignals((signal) =>
    alternate({
      init: opts.init,
      datasets: opts.data,
      out: opts.out,
      workDir: opts.work,
      arch,
      inputSize: opts.inputSize,
      channels: opts.channels as 1 | 3,
      rounds: opts.rounds,
      stage1Steps: opts.stage1Steps,
      stage2Minutes: opts.stage2Minutes,
      minutes: opts.minutes,
      tolerance: opts.tolerance,
      stage1: { classesPerBatch: opts.batchClasses, samplesPerClass: opts.batchSamples, learningRate: opts.lr, maxShift: opts.shift, augmentation: AUGMENTATIONS[opts.augment], balanceSets: opts.balanceSets === true, workers: opts.workers ?? defaultTrainWorkers(backend.tfBackend, opts.batchClasses * opts.batchSamples), shards: opts.shards },
      meta: stage2Settings(opts),
      seed: opts.seed,
      backend: backend.name,
      signal,
      log,
      onMetaProgress: metaProgressLogger(),
    }),
  );
  if (!result.ok) return fail(result.code, result.message);
  const summary = { ok: true, out: opts.out, rounds: result.rounds, agreed: result.agreed, stoppedBy: result.stoppedBy, backend: backend.name };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else log(`wrote ${opts.out} after ${result.rounds.length} rounds (${result.agreed ? 'stages agree' : result.stoppedBy})`);
  return 0;
}
