/**
 * Few-shot adaptation (DESIGN §1 step 4): from an initialisation, fine-tune the adaptable group on
 * the support set of the target classes with MAML's inner loop (plain gradient steps, eq. 1).
 * Guards against over-fitting: a fixed small budget of steps at a small learning rate, and with
 * K >= 3 shots an early stop chosen on one held-out shot per class (the run on K - 1 shots picks the
 * step count, then all K shots are used for that many steps).
 * The result is the adapted group's weights only (substitutes for the base network's variables,
 * applied with `overrides`), so the base model stays shared and untouched.
 * Group 'auto' (issue 10 item 6) picks the depth: each candidate group runs the selection on the same
 * K - 1 shots and is scored on the same held-out shots; the best score wins, ties (within 1e-6) going
 * to the candidate whose re-embedding is cheaper (the later first stage, then fewer parameters).
 * Step sizes: one learning rate for the group, except parameters the configuration's `stepSizes` lists
 * (meta-learnt per tensor in stage 2); with 'auto' a deeper candidate's extra tensors use the common rate.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { innerLoop } from '../meta/maml';
import type { EmbeddingNet, ParameterGroup } from '../models/embeddingNet';
import { featureLoss } from './adaptationLoss';

/** Adaptable groups a configuration may name; 'auto' chooses among AUTO_CANDIDATES on the held-out shots. */
export const ADAPTATION_GROUPS = ['all', 'last-stage-head', 'last-two-stages-head', 'rectifiers', 'auto'] as const;
export type AdaptationGroup = (typeof ADAPTATION_GROUPS)[number];
/** Depths 'auto' tries (the whole network is left out: its children re-embed everything at the full cost). */
export const AUTO_CANDIDATES: readonly ParameterGroup[] = ['last-stage-head', 'last-two-stages-head', 'rectifiers'];
/** Held-out scores closer than this are a tie (the cheaper re-embedding wins). */
export const DEPTH_TIE = 1e-6;

export const adaptationConfigSchema = z.object({
  group: z.enum(ADAPTATION_GROUPS),
  steps: z.number().int().min(0).max(1000),
  learningRate: z.number().positive(),
  /** Early stop on a held-out shot per class when every class has at least 3 shots. */
  earlyStop: z.boolean(),
  /** Per-tensor step sizes by parameter name (learnt in stage 2); names not listed use learningRate. */
  stepSizes: z.record(z.string(), z.number().positive()).optional(),
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

/** One depth 'auto' tried: its held-out score (null without held-out shots) and the steps it chose. */
export interface DepthCandidate {
  group: ParameterGroup;
  fromStage: number;
  score: number | null;
  steps: number;
  seconds: number;
}

/**
 * Candidates in order of re-embedding cost, cheapest first: a later first adaptable stage re-embeds
 * from a later (smaller, cacheable) trunk; at the same stage, fewer parameters.
 */
export function candidatesByCost(net: EmbeddingNet, groups: readonly ParameterGroup[] = AUTO_CANDIDATES): ParameterGroup[] {
  return [...groups].sort((a, b) => net.firstStageOf(b) - net.firstStageOf(a) || net.parameterNames(a).length - net.parameterNames(b).length);
}

/** The first stage a configuration adapts from: for 'auto' the shallowest of its candidates (the trunk rows it needs). */
export function adaptationFromStage(net: EmbeddingNet, group: AdaptationGroup): number {
  return group === 'auto' ? Math.min(...AUTO_CANDIDATES.map((g) => net.firstStageOf(g))) : net.firstStageOf(group);
}

/** The group whose trunk a configuration's children re-embed from most cheaply ('auto': its cheapest candidate). */
export function cheapestGroupOf(net: EmbeddingNet, group: AdaptationGroup): ParameterGroup {
  return group === 'auto' ? candidatesByCost(net)[0]! : group;
}

/** Index of the best score; ties (within DEPTH_TIE) go to the earlier (cheaper) entry; all null: 0. */
export function pickDepth(scores: readonly (number | null)[]): number {
  let best = 0;
  scores.forEach((score, i) => {
    const current = scores[best];
    if (score === null) return;
    if (current === null || current === undefined || score > current + DEPTH_TIE) best = i;
  });
  return best;
}

export interface AdaptedWeights<Id> {
  group: ParameterGroup;
  /** The stage the adapted weights start at (embed rows of this stage's input with `overrides`). */
  fromStage: number;
  /** With group 'auto': every depth tried, cheapest first. */
  candidates?: DepthCandidate[];
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

interface Selection {
  steps: number;
  stoppedEarly: boolean;
  /** Best held-out margin (step 0 included); null when no shot could be held out. */
  score: number | null;
}

/** With K >= 3 shots per class: the run on K - 1 shots picks the step count on the last shot of each class. */
function selectSteps(net: EmbeddingNet, group: ParameterGroup, features: tf.Tensor4D, fromStage: number, labels: readonly number[], config: AdaptationConfig): Selection {
  const perClass = new Map<number, number[]>();
  labels.forEach((label, row) => perClass.set(label, [...(perClass.get(label) ?? []), row]));
  const minShots = Math.min(...[...perClass.values()].map((rows) => rows.length));
  if (!(config.earlyStop && minShots >= 3 && config.steps > 0)) return { steps: config.steps, stoppedEarly: false, score: null };
  const theta = groupWeights(net, group);
  // The last shot of each class is held out; the run on the rest picks the step count.
  const heldRows = [...perClass.values()].map((rows) => rows[rows.length - 1] as number);
  const trainRows = labels.map((_, row) => row).filter((row) => !heldRows.includes(row));
  const trainX = gatherRows(features, trainRows);
  const heldX = gatherRows(features, heldRows);
  const trainLabels = trainRows.map((row) => labels[row] as number);
  const heldLabels = heldRows.map((row) => labels[row] as number);
  const loss = featureLoss(net, fromStage, trainX, trainLabels);
  let current = new Map([...theta].map(([name, t]) => [name, tf.clone(t)]));
  let best = heldOutMargin(net, fromStage, heldX, heldLabels, trainX, trainLabels, current);
  let bestStep = 0;
  for (let step = 1; step <= config.steps; step++) {
    const { fast } = innerLoop(current, loss, { steps: 1, learningRate: config.learningRate, stepSizes: config.stepSizes });
    for (const t of current.values()) t.dispose();
    current = fast;
    const score = heldOutMargin(net, fromStage, heldX, heldLabels, trainX, trainLabels, current);
    if (score > best) {
      best = score;
      bestStep = step;
    } else if (step - bestStep >= 2) break; // two steps without progress: stop looking
  }
  for (const t of current.values()) t.dispose();
  trainX.dispose();
  heldX.dispose();
  return { steps: bestStep, stoppedEarly: bestStep < config.steps, score: best };
}

function finalRun<Id>(net: EmbeddingNet, group: ParameterGroup, features: tf.Tensor4D, fromStage: number, labels: readonly number[], config: AdaptationConfig, selection: Selection, ids: readonly Id[], started: number, candidates?: DepthCandidate[]): AdaptedWeights<Id> {
  const { fast, losses } = innerLoop(groupWeights(net, group), featureLoss(net, fromStage, features, [...labels]), { steps: selection.steps, learningRate: config.learningRate, stepSizes: config.stepSizes });
  return {
    group,
    fromStage,
    ...(candidates ? { candidates } : {}),
    weights: fast,
    steps: selection.steps,
    stoppedEarly: selection.stoppedEarly,
    losses,
    supportIds: [...ids],
    seconds: (performance.now() - started) / 1000,
    dispose() {
      for (const t of fast.values()) t.dispose();
      fast.clear();
    },
  };
}

export function fewShotAdapt<Id>(net: EmbeddingNet, support: SupportSet<Id>, config: AdaptationConfig): AdaptedWeights<Id> {
  const started = performance.now();
  const labels = [...support.labels];
  const ids = support.ids ?? [];
  if (config.group !== 'auto') {
    const selection = selectSteps(net, config.group, support.features, support.fromStage, labels, config);
    return finalRun(net, config.group, support.features, support.fromStage, labels, config, selection, ids, started);
  }
  // 'auto': every candidate on the same shots, rows of its own first stage derived from the shallowest ones.
  const order = candidatesByCost(net);
  const candidates: DepthCandidate[] = [];
  const selections: Selection[] = [];
  for (const group of order) {
    const fromStage = net.firstStageOf(group);
    if (fromStage < support.fromStage) throw new Error(`group ${group} adapts from stage ${fromStage}, before the rows given (stage ${support.fromStage})`);
    const candidateStarted = performance.now();
    const features = net.advanceTrunk(support.features, support.fromStage, fromStage);
    try {
      const selection = selectSteps(net, group, features, fromStage, labels, config);
      selections.push(selection);
      candidates.push({ group, fromStage, score: selection.score, steps: selection.steps, seconds: (performance.now() - candidateStarted) / 1000 });
      // Without held-out shots nothing can tell the depths apart: the cheapest one is kept, the rest not tried.
      if (selection.score === null) break;
    } finally {
      features.dispose();
    }
  }
  const chosen = pickDepth(candidates.map((c) => c.score));
  const group = order[chosen]!;
  const fromStage = net.firstStageOf(group);
  const features = net.advanceTrunk(support.features, support.fromStage, fromStage);
  try {
    return finalRun(net, group, features, fromStage, labels, config, selections[chosen]!, ids, started, candidates);
  } finally {
    features.dispose();
  }
}
