/**
 * `simila feedback export`: a query's (or every query's) judgements and rounds as CSV or JSON on stdout.
 * Also the feedback part of `simila eval --feedback-rounds R` (the simulated analyst), kept here so the
 * eval command only hands over.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { QueryKey } from '../../../shared/rpc/contract';
import { homeLayout, resolveHome } from '../../home/dataHome';
import type { ImageFolder } from '../../ml/data/imageFolder';
import type { InputSource } from '../../ml/evaluation/inputSource';
import type { EmbeddingNet } from '../../ml/models/embeddingNet';

export interface FeedbackExportOptions {
  query?: string;
  json?: boolean;
  csv?: boolean;
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export async function runFeedbackExport(options: FeedbackExportOptions, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`simila feedback export: ${message}\n`);
    return 1;
  };
  if (options.json && options.csv) return fail('choose one of --json and --csv');
  if (options.query !== undefined && !QueryKey.safeParse(options.query).success) {
    return fail(`"${options.query}" is not a query key (image:<id> or upload:<sha256>)`);
  }
  const layout = homeLayout(resolveHome({ home: options.home, env: options.env }));
  // Exporting must not create a data home as a side effect.
  if (!existsSync(layout.catalogueFile)) return fail(`there is no catalogue in ${layout.root}`);
  const [{ openCatalogue }, { exportFeedback }] = await Promise.all([import('../../catalogue/catalogue'), import('../../feedback/feedbackExport')]);
  const catalogue = openCatalogue(layout.catalogueFile);
  try {
    const exported = exportFeedback(catalogue.judgements.listAll(options.query), catalogue.resultLists.listAll(options.query), options.csv ? 'csv' : 'json', options.query);
    write(exported.text);
    return 0;
  } finally {
    catalogue.close();
  }
}

export function addFeedbackCommands(program: Command, homeOption: readonly [string, string]): Command {
  const feedback = program.command('feedback').description('relevance feedback: judgements and result lists of the analyst');
  feedback
    .command('export')
    .description("export a query's judgements and rounds (all queries without --query)")
    .option('--query <key>', 'query key: image:<id> or upload:<sha256>')
    .option('--json', 'JSON (the default)')
    .option('--csv', 'CSV: one row per judgement and per ranked hit')
    .option(...homeOption)
    .action(async (opts: FeedbackExportOptions) => {
      process.exitCode = await runFeedbackExport(opts);
    });
  return feedback;
}

export interface FeedbackEvaluationContext {
  net: EmbeddingNet;
  inputs: InputSource<string>;
  /** One ImageFolder per --data; several are joined into one archive. */
  folders: ImageFolder[];
  backend: string;
  modelDir: string;
  modelName: string;
  started: number;
  log: (line: string) => void;
  fail: (code: string, message: string) => number;
}

/** The body of `simila eval --feedback-rounds R`. */
export async function runFeedbackEvaluation(
  opts: { feedbackRounds?: number; feedbackMethod?: string; queriesCount?: number; seed: number; batchSize: number; data: string[]; json?: boolean },
  context: FeedbackEvaluationContext,
): Promise<number> {
  const [{ evaluateFeedback, joinImageFolders, DEFAULT_FEEDBACK_METHOD }, { FEEDBACK_METHODS }] = await Promise.all([import('../../ml/evaluation/feedbackEvaluation'), import('../../feedback/feedbackScorers')]);
  const rounds = opts.feedbackRounds ?? 0;
  const method = FEEDBACK_METHODS.find((m) => m === (opts.feedbackMethod ?? DEFAULT_FEEDBACK_METHOD));
  if (!method) {
    context.net.dispose();
    return context.fail('bad-options', `--feedback-method must be one of ${FEEDBACK_METHODS.join(', ')}`);
  }
  // Several sets: one archive, each set named by its folder (a repeated name gets its position).
  const names = opts.data.map((dir) => path.basename(path.resolve(dir)));
  const joined = context.folders.length > 1
    ? joinImageFolders(context.folders.map((folder, i) => ({ name: names.indexOf(names[i]!) === i ? names[i]! : `${names[i]}#${i + 1}`, folder })))
    : { folder: context.folders[0]!, setOfClass: undefined };
  try {
    const report = await evaluateFeedback({
      folder: joined.folder,
      setOfClass: joined.setOfClass,
      net: context.net,
      inputs: context.inputs,
      rounds,
      queries: opts.queriesCount ?? 50,
      seed: opts.seed,
      method,
      batchSize: opts.batchSize,
      onEmbedded: (done, total) => context.log(`[eval] embedded ${done}/${total} archive images`),
    });
    const out = {
      data: opts.data.length === 1 ? path.resolve(opts.data[0]!) : opts.data.map((dir) => path.resolve(dir)),
      model: context.modelDir,
      model_name: context.modelName,
      backend: context.backend,
      seed: opts.seed,
      feedback_rounds: rounds,
      archive_images: report.archive_images,
      archive_classes: report.archive_classes,
      judge_per_round: report.judge_per_round,
      feedback_method: report.method,
      ...(report.method === 'rocchio' || report.method === 'classifier' ? { rocchio: report.weights } : {}),
      ...(report.refine_seconds ? { refine_seconds_per_round: report.refine_seconds } : {}),
      relevant_per_query: report.relevant_per_query,
      feedback: report.rounds.map((r) => ({
        round: r.round,
        precision_at_10: Math.round(r.precision_at_10 * 10000) / 10000,
        no_feedback_precision_at_10: Math.round(r.no_feedback_precision_at_10 * 10000) / 10000,
        relevant_found: Math.round(r.relevant_found * 100) / 100,
        no_feedback_relevant_found: Math.round(r.no_feedback_relevant_found * 100) / 100,
        ...(r.cross_set_at_10 !== undefined
          ? {
              cross_set_at_10: Math.round(r.cross_set_at_10 * 10000) / 10000,
              no_feedback_cross_set_at_10: Math.round((r.no_feedback_cross_set_at_10 ?? 0) * 10000) / 10000,
              cross_set_above_round_0: r.cross_set_above_round_0 ?? 0,
            }
          : {}),
        queries: r.queries,
      })),
      failed_images: context.inputs.failures.size,
      seconds: Math.round(((performance.now() - context.started) / 1000) * 10) / 10,
    };
    if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    else {
      process.stdout.write(`relevance feedback, ${out.feedback[0]?.queries ?? 0} seeded queries (seed ${out.seed}), judge top ${out.judge_per_round}, method ${out.feedback_method}, residual precision@10\n`);
      for (const r of out.feedback) {
        const cross = r.cross_set_at_10 !== undefined ? `, cross-set@10 ${r.cross_set_at_10.toFixed(2)} (no feedback ${r.no_feedback_cross_set_at_10!.toFixed(2)}; ${r.cross_set_above_round_0} queries above their round 0)` : '';
        process.stdout.write(`round ${r.round}: ${r.precision_at_10.toFixed(4)} (no feedback ${r.no_feedback_precision_at_10.toFixed(4)}), relevant seen ${r.relevant_found.toFixed(2)} of ${out.relevant_per_query} (no feedback ${r.no_feedback_relevant_found.toFixed(2)})${cross}\n`);
      }
    }
    return 0;
  } catch (error) {
    return context.fail('eval-failed', error instanceof Error ? error.message : String(error));
  } finally {
    context.net.dispose();
  }
}
