/**
 * Adaptation depth (issue 10 item 6): group 'auto' keeps the depth with the best held-out score, ties
 * going to the cheaper re-embedding; old settings still parse and run; the new group and the trunk
 * advance agree with the real network.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptationConfigSchema, adaptationFromStage, candidatesByCost, cheapestGroupOf, fewShotAdapt, pickDepth } from '../../../main/ml/adaptation/fewShotAdapt';
import { createMethods } from '../../../main/ml/evaluation/methods';
import type { InputSource } from '../../../main/ml/evaluation/inputSource';
import { createEmbeddingNet, l2Normalise, type EmbeddingNet, type ParameterGroup } from '../../../main/ml/models/embeddingNet';
import { seededRandom, useWasmWithProjectKernels } from '../wasmBackend';

/**
 * A two-stage linear "network" on 3-D rows: stage 1 = rectifier r (x * r) then A, stage 2 = B, then L2 norm.
 * A starts by dropping the third input dimension, which alone carries the class: the last stage (B) and the
 * rectifier (before A) only see nuisance dimensions; adapting A (the last two stages) can recover the class.
 */
function linearNet(): EmbeddingNet {
  const variables = new Map<string, tf.Variable>([
    ['stage1/r', tf.variable(tf.ones([3]))],
    ['stage1/A', tf.variable(tf.tensor2d([1, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3]))],
    ['stage2/B', tf.variable(tf.eye(3))],
  ]);
  const stageOf: Record<string, number> = { 'stage1/r': 1, 'stage1/A': 1, 'stage2/B': 2 };
  const groups: Record<ParameterGroup, string[]> = { all: ['stage1/A', 'stage2/B'], 'last-stage-head': ['stage2/B'], 'last-two-stages-head': ['stage1/A', 'stage2/B'], rectifiers: ['stage1/r'] };
  const read = (name: string, overrides?: ReadonlyMap<string, tf.Tensor>) => (overrides?.get(name) ?? variables.get(name)!) as tf.Tensor;
  const stage1 = (x: tf.Tensor2D, o?: ReadonlyMap<string, tf.Tensor>) => tf.matMul(tf.mul(x, read('stage1/r', o)) as tf.Tensor2D, read('stage1/A', o) as tf.Tensor2D);
  const net = {
    stages: 2,
    embeddingDim: 3,
    variables,
    parameterNames: (group: ParameterGroup) => [...groups[group]],
    groupVariables: (group: ParameterGroup) => groups[group].map((n) => variables.get(n)!),
    firstStageOf: (group: ParameterGroup) => Math.min(...groups[group].map((n) => stageOf[n]!)),
    advanceTrunk: (x: tf.Tensor4D, from: number, to: number) => tf.tidy(() => (from <= 1 && to >= 2 ? (stage1(x.reshape([x.shape[0], 3]) as tf.Tensor2D).reshape([x.shape[0], 1, 1, 3]) as tf.Tensor4D) : x.clone())),
    embedFromStage: (x: tf.Tensor4D, from: number, options: { overrides?: ReadonlyMap<string, tf.Tensor> } = {}) =>
      tf.tidy(() => {
        let h = x.reshape([x.shape[0], 3]) as tf.Tensor2D;
        if (from <= 1) h = stage1(h, options.overrides) as tf.Tensor2D;
        return l2Normalise(tf.matMul(h, read('stage2/B', options.overrides) as tf.Tensor2D));
      }),
    dispose: () => variables.forEach((v) => v.dispose()),
  };
  return net as unknown as EmbeddingNet;
}

/** Rows (nuisance, nuisance, class sign), per class `shots` of them, the last of each class held out by fewShotAdapt. */
function rows(shots: number, seed: number): { features: tf.Tensor4D; labels: number[] } {
  const random = seededRandom(seed);
  const values: number[] = [];
  const labels: number[] = [];
  for (let n = 0; n < shots; n++)
    for (const c of [0, 1]) {
      values.push(random() * 2 - 1, random() * 2 - 1, c === 0 ? 2 : -2);
      labels.push(c);
    }
  // Class-major order: fewShotAdapt holds out the last row of each class.
  const order = labels.map((_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
  return { features: tf.tensor4d(order.flatMap((i) => values.slice(i * 3, i * 3 + 3)), [labels.length, 1, 1, 3]), labels: order.map((i) => labels[i]!) };
}

describe('adaptation depth', () => {
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });

  it('pickDepth keeps the best score and gives ties (and all-unknown) to the cheaper, earlier candidate', () => {
    expect(pickDepth([0.2, 0.5, 0.3])).toBe(1);
    expect(pickDepth([0.5, 0.5, 0.5])).toBe(0);
    expect(pickDepth([0.5, 0.5 + 1e-9, 0.4])).toBe(0);
    expect(pickDepth([0.1, 0.6, 0.6])).toBe(1);
    expect(pickDepth([null, null])).toBe(0);
    expect(pickDepth([null, 0.1])).toBe(1);
  });

  it("'auto' picks the deeper group when only it can separate the classes on the held-out shots", () => {
    const net = linearNet();
    const { features, labels } = rows(5, 3);
    const count = tf.memory().numTensors;
    const config = { group: 'auto' as const, steps: 10, learningRate: 0.5, earlyStop: true };
    const adapted = fewShotAdapt(net, { features, fromStage: adaptationFromStage(net, 'auto'), labels }, config);
    const scores = Object.fromEntries(adapted.candidates!.map((c) => [c.group, c.score!]));
    expect(adapted.candidates!.map((c) => c.group)).toEqual(candidatesByCost(net));
    expect(scores['last-two-stages-head']).toBeGreaterThan(scores['last-stage-head']! + 0.1);
    expect(scores['last-two-stages-head']).toBeGreaterThan(scores.rectifiers! + 0.1);
    expect(adapted.group).toBe('last-two-stages-head');
    expect(adapted.fromStage).toBe(1);
    expect([...adapted.weights.keys()].sort()).toEqual(['stage1/A', 'stage2/B']);
    adapted.dispose();
    expect(tf.memory().numTensors).toBe(count);
    features.dispose();
    net.dispose();
  });

  it("'auto' falls back to the cheapest re-embedding on a tie, and without held-out shots tries only that one", () => {
    const net = linearNet();
    const { features, labels } = rows(5, 4);
    // No step at all: every depth scores the parent's margin, a tie.
    const tie = fewShotAdapt(net, { features, fromStage: 1, labels }, { group: 'auto', steps: 0, learningRate: 0.5, earlyStop: true });
    expect(tie.group).toBe(cheapestGroupOf(net, 'auto'));
    expect(tie.group).toBe('last-stage-head');
    expect(tie.fromStage).toBe(2);
    tie.dispose();
    features.dispose();
    const two = rows(2, 5); // 2 shots: nothing to hold out
    const blind = fewShotAdapt(net, { features: two.features, fromStage: 1, labels: two.labels }, { group: 'auto', steps: 3, learningRate: 0.5, earlyStop: true });
    expect(blind.candidates).toHaveLength(1);
    expect(blind.candidates![0]).toMatchObject({ group: 'last-stage-head', score: null });
    expect(blind.group).toBe('last-stage-head');
    blind.dispose();
    two.features.dispose();
    net.dispose();
  });

  it('old settings still load and run; the new ones parse', () => {
    expect(adaptationConfigSchema.parse({ group: 'last-stage-head', steps: 10, learningRate: 0.5, earlyStop: true }).group).toBe('last-stage-head');
    expect(adaptationConfigSchema.parse({ group: 'rectifiers', steps: 10, learningRate: 0.5, earlyStop: true }).group).toBe('rectifiers');
    expect(adaptationConfigSchema.parse({ group: 'last-two-stages-head', steps: 3, learningRate: 0.1, earlyStop: false }).group).toBe('last-two-stages-head');
    expect(adaptationConfigSchema.parse({ group: 'auto', steps: 3, learningRate: 0.1, earlyStop: false }).group).toBe('auto');
    expect(adaptationConfigSchema.safeParse({ group: 'deep', steps: 3, learningRate: 0.1, earlyStop: false }).success).toBe(false);
    const net = linearNet();
    const { features, labels } = rows(4, 6);
    const fixed = fewShotAdapt(net, { features: net.advanceTrunk(features, 1, 2), fromStage: 2, labels }, { group: 'last-stage-head', steps: 4, learningRate: 0.5, earlyStop: true });
    expect(fixed.group).toBe('last-stage-head');
    expect(fixed.fromStage).toBe(2);
    expect(fixed.candidates).toBeUndefined();
    fixed.dispose();
    features.dispose();
    net.dispose();
  });
});

describe('the last-two-stages-head group on Conv-4', () => {
  let net: EmbeddingNet;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [4, 4, 4, 4], projectionDim: 8, seed: 2 });
  });
  afterAll(() => net.dispose());

  it('holds stages 3-4 and the head (no rectifiers) and starts at stage 3; auto starts at the rectifiers\' stage 1', () => {
    const names = net.parameterNames('last-two-stages-head');
    expect(names.some((n) => n.startsWith('stage3/'))).toBe(true);
    expect(names.some((n) => n.startsWith('stage4/'))).toBe(true);
    expect(names).toContain('head/kernel');
    expect(names.some((n) => n.startsWith('stage2/') || n.includes('rectifier'))).toBe(false);
    expect(net.firstStageOf('last-two-stages-head')).toBe(3);
    expect(candidatesByCost(net)).toEqual(['last-stage-head', 'last-two-stages-head', 'rectifiers']);
    expect(adaptationFromStage(net, 'auto')).toBe(1);
    expect(adaptationFromStage(net, 'last-stage-head')).toBe(4);
  });

  it('eval names ours:GROUP methods and refuses an unknown group', () => {
    const inputs = { load: async () => new Float32Array(0), failures: new Map() } as unknown as InputSource<string>;
    const made = createMethods(['ours:auto', 'ours:last-two-stages-head'], { net, inputs, seed: 1 });
    expect(made.ok && made.methods.map((m) => m.name)).toEqual(['ours:auto', 'ours:last-two-stages-head']);
    expect(createMethods(['ours:deepest'], { net, inputs, seed: 1 })).toMatchObject({ ok: false, code: 'unknown-method' });
  });

  it('advanceTrunk from earlier rows gives the trunk of the later stage', () => {
    const images = tf.randomNormal([3, 16, 16, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    const early = net.trunkFeatures(images, 1);
    const direct = net.trunkFeatures(images, 3);
    const advanced = net.advanceTrunk(early, 2, 4);
    expect(advanced.shape).toEqual(direct.shape);
    const diff = tf.max(tf.abs(tf.sub(advanced, direct))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4);
    const fromImages = net.advanceTrunk(images, 1, 4);
    expect(tf.max(tf.abs(tf.sub(fromImages, direct))).dataSync()[0]!).toBeLessThan(1e-4);
    tf.dispose([images, early, direct, advanced, fromImages]);
  });
});
