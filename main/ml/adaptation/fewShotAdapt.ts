/**
 * Few-shot adaptation (DESIGN §1 step 4): from an initialisation, fine-tune the adaptable group on
 * the support set of the target classes with MAML's inner loop (plain gradient steps, eq. 1).
 * Guards against over-fitting: a fixed small budget of steps at a small learning rate, and with
 * K >= 3 shots an early stop chosen on one held-out shot per class (the run on K - 1 shots picks the
 * step count, then all K shots are used for that many steps).
 * The result is the adapted group's weights only (substitutes for the base network's variables,
 * applied with `overrides`), so the base model stays shared and untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { innerLoop } from '../meta/maml';
import type { EmbeddingNet, ParameterGroup } from '../models/embeddingNet';
import { featureLoss } from './adaptationLoss';

export const adaptationConfigSchema = z.object({
  group: z.enum(['all', 'last-stage-head', 'rectifiers']),
  steps: z.number().int().min(0).max(1000),
  learningRate: z.number().positive(),
  /** Early stop on a held-out shot per class when every class has at least 3 shots. */
  earlyStop: z.boolean(),
});
export type AdaptationConfig = z.infer<typeof adaptationConfigSchema>;

/** Defaults for a model without a recorded configuration (stage-1 models): head-side, few small steps. */
export const DEFAULT_ADAPTATION: AdaptationConfig = { group: 'last-stage-head', steps: 10, learningRate: 0.05, earlyStop: true };

export interface SupportSet<Id> {
  /** Trunk features of the support images (output of stage fromStage - 1; images for stage 1). */
  features: tf.Tensor4D;
  /** The first adaptable stage (`net.firstStageOf(group)`). */
  fromStage: number;
  /** Class index per support row. */
  labels: readonly number[];
  /** Recorded with the result (e.g. catalogue ids or file paths). */
  ids?: readonly Id[];
}

export interface AdaptedWeights<Id> {
  group: ParameterGroup;
  /** Adapted tensors by parameter name (owned: call dispose). */
  weights: Map<string, tf.Tensor>;
  steps: number;
  stoppedEarly: boolean;
  /** Support loss before each step of the final run. */
  losses: number[];
  supportIds: Id[];
  seconds: number;
  dispose(): void;
}

const groupWeights = (net: EmbeddingNet, group: ParameterGroup) => new Map(net.parameterNames(group).map((name) => [name, net.variables.get(name) as tf.Tensor]));

/** Held-out score: mean over held-out rows of (similarity to own class's support centre - best other class). */
function heldOutMargin(net: EmbeddingNet, fromStage: number, heldOut: tf.Tensor4D, heldOutLabels: readonly number[], support: tf.Tensor4D, supportLabels: readonly number[], weights: ReadonlyMap<string, tf.Tensor>): number {
  const [queries, keys] = tf.tidy(() => [net.embedFromStage(heldOut, fromStage, { overrides: weights }), net.embedFromStage(support, fromStage, { overrides: weights })]) as [tf.Tensor2D, tf.Tensor2D];
  const q = queries.arraySync();
  const k = keys.arraySync();
  queries.dispose();
  keys.dispose();
  const classes = [...new Set(supportLabels)];
  const centres = classes.map((c) => {
    const rows = k.filter((_, i) => supportLabels[i] === c);
    return rows[0]!.map((_, d) => rows.reduce((s, r) => s + r[d]!, 0) / rows.length);
  });
  let total = 0;
  q.forEach((row, i) => {
    const sims = centres.map((centre) => centre.reduce((s, v, d) => s + v * row[d]!, 0));
    const own = classes.indexOf(heldOutLabels[i] as number);
    const other = Math.max(...sims.filter((_, j) => j !== own), -Infinity);
    total += (sims[own] ?? 0) - (Number.isFinite(other) ? other : 0);
  });
  return total / Math.max(1, q.length);
}

function gatherRows(features: tf.Tensor4D, rows: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.gather(features, tf.tensor1d(rows, 'int32')));
}

export function fewShotAdapt<Id>(net: EmbeddingNet, support: SupportSet<Id>, config: AdaptationConfig): AdaptedWeights<Id> {
  const started = performance.now();
  const theta = groupWeights(net, config.group);
  const labels = [...support.labels];
  const perClass = new Map<number, number[]>();
  labels.forEach((label, row) => perClass.set(label, [...(perClass.get(label) ?? []), row]));
  const minShots = Math.min(...[...perClass.values()].map((rows) => rows.length));
  let steps = config.steps;
  let stoppedEarly = false;
  if (config.earlyStop && minShots >= 3 && steps > 0) {
    // The last shot of each class is held out; the run on the rest picks the step count.
    const heldRows = [...perClass.values()].map((rows) => rows[rows.length - 1] as number);
    const trainRows = labels.map((_, row) => row).filter((row) => !heldRows.includes(row));
    const trainX = gatherRows(support.features, trainRows);
    const heldX = gatherRows(support.features, heldRows);
    const trainLabels = trainRows.map((row) => labels[row] as number);
    const heldLabels = heldRows.map((row) => labels[row] as number);
    const loss = featureLoss(net, support.fromStage, trainX, trainLabels);
    let current = new Map([...theta].map(([name, t]) => [name, tf.clone(t)]));
    let best = heldOutMargin(net, support.fromStage, heldX, heldLabels, trainX, trainLabels, current);
    let bestStep = 0;
    for (let step = 1; step <= config.steps; step++) {
      const { fast } = innerLoop(current, loss, { steps: 1, learningRate: config.learningRate });
      for (const t of current.values()) t.dispose();
      current = fast;
      const score = heldOutMargin(net, support.fromStage, heldX, heldLabels, trainX, trainLabels, current);
      if (score > best) {
        best = score;
        bestStep = step;
      } else if (step - bestStep >= 2) break; // two steps without progress: stop looking
    }
    for (const t of current.values()) t.dispose();
    trainX.dispose();
    heldX.dispose();
    stoppedEarly = bestStep < config.steps;
    steps = bestStep;
  }
  const { fast, losses } = innerLoop(theta, featureLoss(net, support.fromStage, support.features, labels), { steps, learningRate: config.learningRate });
  return {
    group: config.group,
    weights: fast,
    steps,
    stoppedEarly,
    losses,
    supportIds: [...(support.ids ?? [])],
    seconds: (performance.now() - started) / 1000,
    dispose() {
      for (const t of fast.values()) t.dispose();
      fast.clear();
    },
  };
}
