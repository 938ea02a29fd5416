/**
 * `simila eval`: the paper's few-shot retrieval protocol over an ImageFolder set of classes the
 * model never trained on. Without --model it evaluates the app's active model, else the shipped
 * default; with neither it refuses (a random network is never presented as a trained one).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { packageRoot } from '../../app/packageRoot';
import { homeLayout, resolveHome } from '../../home/dataHome';
import { findShippedModel } from '../../search/shippedModel';
import { parseNormStatisticsSpec, type archiveNormaliser } from '../../ml/evaluation/archiveNormalisation';

/** The shipped default model package (stage 1 until the meta-learnt default exists). */

export interface EvalCliOptions {
  model?: string;
  /** Simulated-user relevance feedback instead of episodes (issue 6): rounds after round 0, and queries. */
  feedbackRounds?: number;
  /** How the simulated analyst's judgements re-rank (rocchio, nearest-relevant, classifier, refine). */
  feedbackMethod?: string;
  queriesCount?: number;
  /** ImageFolder sets; several only with --feedback-rounds (one archive, cross-set figures). */
  data: string[];
  way: number;
  shot: number;
  queries: number;
  episodes: number;
  seed: number;
  methods: string;
  batchSize: number;
  backend?: string;
  home?: string;
  json?: boolean;
  /** Stage-1 model for "sft"/"maml" (default: the evaluated model's recorded init, if it exists). */
  baseModel?: string;
  /** Whole-network MAML init for "maml". */
  mamlModel?: string;
  /** Adaptable group of "ours" (and "sft"), replacing the model's recorded one: a group name or 'auto'. */
  adaptGroup?: string;
  /** 'archive' or 'archive:N': batch-norm statistics re-estimated on N unlabelled images of the evaluated set. */
  normStats?: string;
  /** Control for --norm-stats: estimate on these ImageFolder sets (equal shares) instead of the evaluated one. */
  normStatsData?: string[];
  /** 'flip': rank flip-averaged embeddings (each image and its left-right mirror). */
  tta?: string;
}

export type ModelChoice = { ok: true; dir: string; source: 'option' | 'active' | 'shipped' } | { ok: false; code: 'no-model'; message: string };

/** --model, else the catalogue's active model, else the shipped default; never a random network. */
export async function chooseEvalModel(options: { model?: string; home?: string; env?: NodeJS.ProcessEnv; shippedDir?: string }): Promise<ModelChoice> {
  if (options.model) return { ok: true, dir: path.resolve(options.model), source: 'option' };
  const layout = homeLayout(resolveHome({ home: options.home, env: options.env }));
  // Only read a catalogue that exists: evaluating must not create a data home as a side effect.
  if (existsSync(layout.catalogueFile)) {
    const { openCatalogue } = await import('../../catalogue/catalogue');
    const catalogue = openCatalogue(layout.catalogueFile);
    try {
      const active = catalogue.models.active();
      if (active) return { ok: true, dir: path.resolve(layout.models, active.dir), source: 'active' };
    } finally {
      catalogue.close();
    }
  }
  // The same shipped package the app installs: assets/models/default, else the stage-1 model.
  const shipped = options.shippedDir ?? findShippedModel(packageRoot());
  if (shipped && existsSync(path.join(shipped, 'manifest.json'))) return { ok: true, dir: shipped, source: 'shipped' };
  return {
    ok: false,
    code: 'no-model',
    message: 'no trained model available: pass --model DIR, activate a model in the app, or train one with `simila train pretrain`',
  };
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function addEvalCommand(program: Command, positiveInt: (value: string) => number): Command {
  return program
    .command('eval')
    .description('few-shot retrieval evaluation: N-way K-shot episodes over an ImageFolder set <set>/<class>/<image>')
    .requiredOption('--data <dir>', 'ImageFolder set of classes the model did not train on (repeat with --feedback-rounds: several sets as one archive)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--model <dir>', 'model package folder (default: the active model, else the shipped one)')
    .option('--way <n>', 'N: classes per episode', positiveInt, 5)
    .option('--shot <k>', 'K: support images per class', positiveInt, 5)
    .option('--queries <q>', 'Q: query images per class', positiveInt, 15)
    .option('--episodes <n>', 'episodes', positiveInt, 600)
    .option('--seed <n>', 'seed of the episodes and of the random weights', wholeNumber, 1)
    .option('--methods <list>', 'comma-separated: random, dml, sft, maml, ours, ours:GROUP (ours with another adaptable group, e.g. ours:auto)', 'dml')
    .option('--adapt-group <group>', 'adaptable group of ours and sft instead of the model\'s recorded one: all, last-stage-head, last-two-stages-head, rectifiers, auto')
    .option('--norm-stats <source>', 'archive[:N]: before the episodes, re-estimate every network\'s batch-norm statistics on N images (default 512) sampled from the evaluated set, labels unused (all methods)')
    .option('--norm-stats-data <dir>', 'control for --norm-stats: sample the images from this ImageFolder set instead of the evaluated one (repeat: equal shares per set), labels unused', (value: string, previous: string[] = []) => [...previous, value])
    .option('--tta <mode>', 'test-time augmentation of the ranked images: flip (average the embeddings of each image and its left-right mirror; all methods)')
    .option('--base-model <dir>', 'stage-1 model for sft (and maml without --maml-model); default: the stage-1 model the evaluated one was trained from (provenance stage1Init, else init)')
    .option('--maml-model <dir>', 'whole-network MAML init for the maml method')
    .option('--batch-size <n>', 'images per forward pass', positiveInt, 64)
    .option('--backend <name>', 'force a backend (tfjs-node-gpu, tfjs-node, wasm, cpu)')
    .option('--home <dir>', 'data home folder (default: $SIMILA_HOME or the OS app-data folder)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--feedback-rounds <r>', 'simulate an analyst judging the top 10 for R rounds of relevance feedback (replaces the episodes)', wholeNumber)
    .option('--feedback-method <name>', 'how judgements re-rank: rocchio, nearest-relevant, classifier, refine (default: the best measured)')
    .option('--queries-count <n>', 'seeded queries of the feedback simulation', positiveInt, 50)
    .action(async (opts: EvalCliOptions) => {
      process.exitCode = await runEvalCommand(opts);
    });
}

export async function runEvalCommand(opts: EvalCliOptions): Promise<number> {
  const fail = (code: string, message: string) => {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`simila eval: ${message}\n`);
    return 1;
  };
  const methodNames = opts.methods.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  if (methodNames.length === 0) return fail('bad-options', '--methods lists no method');

  const normSpec = opts.normStats === undefined ? undefined : parseNormStatisticsSpec(opts.normStats);
  if (normSpec && !normSpec.ok) return fail('bad-options', normSpec.message);
  if (normSpec && opts.feedbackRounds !== undefined) return fail('bad-options', '--norm-stats applies to the episodes, not to --feedback-rounds');
  if (opts.normStatsData !== undefined && !normSpec) return fail('bad-options', '--norm-stats-data needs --norm-stats');
  if (opts.tta !== undefined && opts.tta !== 'flip') return fail('bad-options', `--tta ${opts.tta}: expected flip`);
  if (opts.tta !== undefined && opts.feedbackRounds !== undefined) return fail('bad-options', '--tta applies to the episodes, not to --feedback-rounds');

  const choice = await chooseEvalModel({ model: opts.model, home: opts.home });
  if (!choice.ok) return fail(choice.code, choice.message);

  // The ML engine loads only now, so a usage error answers at once.
  const [{ selectBackend }, { loadModelPackage }, { scanImageFolder }, { labelledPoolFromImageFolder }, { preprocessedInputs }, { createMethods }, { evaluate }] = await Promise.all([
    import('../../ml/backend/selectBackend'),
    import('../../ml/package/modelPackage'),
    import('../../ml/data/imageFolder'),
    import('../../ml/episodes/labelledPool'),
    import('../../ml/evaluation/inputSource'),
    import('../../ml/evaluation/methods'),
    import('../../ml/evaluation/evaluate'),
  ]);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();

  if (opts.data.length > 1 && opts.feedbackRounds === undefined) return fail('bad-options', 'several --data sets form one archive only with --feedback-rounds');
  const scans = await Promise.all(opts.data.map((dir) => scanImageFolder(dir)));
  const failed = scans.find((s) => !s.ok);
  if (failed && !failed.ok) return fail(failed.code, failed.message);
  const folders = scans.flatMap((s) => (s.ok ? [s.folder] : []));
  const scanned = { folder: folders[0]! };
  // Methods that adapt per episode train (gradients), so they need the project's wasm training kernels.
  const adapts = opts.feedbackRounds !== undefined ? opts.feedbackMethod === 'refine' : methodNames.some((name) => name !== 'random' && name !== 'dml');
  const backend = await selectBackend({ prefer: opts.backend ? [opts.backend] : undefined, log, registerTrainingKernels: adapts });
  const loaded = await loadModelPackage(choice.dir);
  if (!loaded.ok) return fail(loaded.code, `model ${choice.dir}: ${loaded.message}`);
  const { manifest } = loaded;
  let net = loaded.net;
  log(`[eval] model ${manifest.name} (${choice.source}: ${choice.dir}), ${manifest.architecture.arch} ${manifest.architecture.inputSize}px, backend ${backend.name}`);
  if (!manifest.provenance.complete) log(`[eval] note: ${choice.dir} is a snapshot of a training run still going (provenance.complete is false)`);

  const inputs = preprocessedInputs<string>(manifest.preprocess, (file) => file);
  if (opts.feedbackRounds !== undefined) {
    const { runFeedbackEvaluation } = await import('./feedbackCommand');
    return runFeedbackEvaluation(opts, { net, inputs, folders, backend: backend.name, modelDir: choice.dir, modelName: manifest.name, started, log, fail });
  }
  const { adaptationConfigSchema } = await import('../../ml/adaptation/fewShotAdapt');
  const recorded = adaptationConfigSchema.safeParse(manifest.provenance.options?.adaptation);
  const { DEFAULT_ADAPTATION, ADAPTATION_GROUPS } = await import('../../ml/adaptation/fewShotAdapt');
  if (opts.adaptGroup !== undefined && !(ADAPTATION_GROUPS as readonly string[]).includes(opts.adaptGroup)) {
    net.dispose();
    return fail('bad-options', `--adapt-group ${opts.adaptGroup}: expected one of ${ADAPTATION_GROUPS.join(', ')}`);
  }
  const adaptation =
    opts.adaptGroup === undefined ? (recorded.success ? recorded.data : undefined) : { ...(recorded.success ? recorded.data : DEFAULT_ADAPTATION), group: opts.adaptGroup as (typeof ADAPTATION_GROUPS)[number] };
  const { resolveStage1Base } = await import('../../ml/package/stage1Base');
  const baseDir = opts.baseModel ?? resolveStage1Base(choice.dir, manifest.provenance.options);
  const notes: Record<string, string> = {};
  const pool = labelledPoolFromImageFolder(scanned.folder);
  // --norm-stats: the archive's images (ids only, never the labels) re-estimate batch-norm statistics.
  let normaliser: ReturnType<typeof archiveNormaliser<string>> | undefined;
  if (normSpec?.ok) {
    const { archiveNormaliser: makeNormaliser } = await import('../../ml/evaluation/archiveNormalisation');
    let ids = pool.map((item) => item.itemId);
    if (opts.normStatsData) {
      // The control: equal shares of other sets' files (e.g. the base data), their labels unused too.
      const { DEFAULT_NORM_STATISTICS_IMAGES, sampleIds } = await import('../../ml/models/normStatistics');
      const share = Math.ceil((normSpec.spec.images ?? DEFAULT_NORM_STATISTICS_IMAGES) / opts.normStatsData.length);
      ids = [];
      for (const dir of opts.normStatsData) {
        const scannedSet = await scanImageFolder(dir);
        if (!scannedSet.ok) {
          net.dispose();
          return fail(scannedSet.code, `--norm-stats-data ${dir}: ${scannedSet.message}`);
        }
        ids.push(...sampleIds(labelledPoolFromImageFolder(scannedSet.folder).map((item) => item.itemId), share, opts.seed));
      }
    }
    normaliser = makeNormaliser(ids, inputs, normSpec.spec, opts.seed, { batchSize: opts.batchSize, from: opts.normStatsData?.map((dir) => path.resolve(dir)) });
    try {
      const normalised = await normaliser.normalise(net);
      net.dispose();
      net = normalised;
    } catch (error) {
      net.dispose();
      return fail('eval-failed', `--norm-stats: ${error instanceof Error ? error.message : String(error)}`);
    }
    log(`[eval] batch-norm statistics re-estimated on ${normaliser.record.images_used} unlabelled images of ${opts.normStatsData?.join(' + ') ?? opts.data[0]} (seed ${opts.seed}, ${normaliser.record.seconds} s)`);
  }
  const loadNet = async (dir: string) => {
    const result = await loadModelPackage(dir);
    if (!result.ok) throw new Error(`model ${dir}: ${result.message}`);
    return result;
  };
  const { flipAveraged, flippingInputs } = await import('../../ml/evaluation/flipAveraging');
  const made = createMethods(methodNames, {
    net,
    // --tta flip: the methods also see each file's mirror image, as another id.
    inputs: opts.tta === 'flip' ? flippingInputs(inputs, manifest.preprocess.inputSize, manifest.preprocess.channels) : inputs,
    seed: opts.seed,
    batchSize: opts.batchSize,
    adaptation,
    loadBaseNet: async () => (baseDir ? (await loadNet(baseDir)).net : undefined),
    loadMamlNet: async () => {
      if (!opts.mamlModel) return undefined;
      const result = await loadNet(opts.mamlModel);
      const adaptation = adaptationConfigSchema.safeParse(result.manifest.provenance.options?.adaptation);
      return { net: result.net, adaptation: adaptation.success ? adaptation.data : undefined };
    },
    notes,
    prepareNet: normaliser?.normalise,
  });
  if (!made.ok) {
    net.dispose();
    return fail(made.code, made.message);
  }
  const tty = process.stderr.isTTY === true;
  let lastLogged = performance.now();
  try {
    const result = await evaluate({
      pool,
      methods: opts.tta === 'flip' ? made.methods.map(flipAveraged) : made.methods,
      way: opts.way,
      shot: opts.shot,
      queries: opts.queries,
      episodes: opts.episodes,
      seed: opts.seed,
      onProgress: ({ done, total }) => {
        const elapsed = (performance.now() - started) / 1000;
        const eta = (elapsed / done) * (total - done);
        const line = `episode ${done}/${total}  ${(done / elapsed).toFixed(2)} episodes/s  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else if (performance.now() - lastLogged > 30_000) {
          // Logs (nohup, CI) get a line every 30 s instead of an overwritten one.
          log(line);
          lastLogged = performance.now();
        }
      },
    });
    if (tty) process.stderr.write('\n');
    if (!result.ok) return fail(result.code, result.message);
    const report = {
      ...result.report,
      backend: backend.name,
      data: path.resolve(opts.data[0]!),
      model: choice.dir,
      model_name: manifest.name,
      model_source: choice.source,
      model_complete: manifest.provenance.complete,
      failed_images: inputs.failures.size,
      method_notes: notes,
      norm_statistics: normaliser?.record ?? null,
      test_time_augmentation: opts.tta ?? null,
      seconds: Math.round(((performance.now() - started) / 1000) * 10) / 10,
    };
    if (inputs.failures.size > 0) {
      const [file, reason] = [...inputs.failures][0] as [string, string];
      log(`[eval] ${inputs.failures.size} images could not be decoded and entered as blank images (first: ${file}: ${reason})`);
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(`${report.way}-way ${report.shot}-shot, ${report.queries} queries/class, ${report.episodes} episodes, seed ${report.seed}, backend ${report.backend}\n`);
      process.stdout.write('method     R@1     R@2     R@4     R@8     MAP@R   mAP     (95% CI R@1, MAP@R)\n');
      for (const r of report.results) {
        const f = (v: number) => v.toFixed(4).padEnd(8);
        process.stdout.write(`${r.method.padEnd(11)}${f(r.recall_at_1)}${f(r.recall_at_2)}${f(r.recall_at_4)}${f(r.recall_at_8)}${f(r.map_at_r)}${f(r.map)}(±${r.ci95_recall_at_1.toFixed(4)}, ±${r.ci95_map_at_r.toFixed(4)})\n`);
      }
    }
    return 0;
  } catch (error) {
    // A method that fails mid-run (e.g. an adaptation that runs out of memory) ends the run with a reason.
    if (tty) process.stderr.write('\n');
    return fail('eval-failed', error instanceof Error ? error.message : String(error));
  } finally {
    for (const method of made.methods) method.dispose?.();
    net.dispose();
  }
}
