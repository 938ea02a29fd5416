import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { rocchioScorer } from '../../main/feedback/feedbackScorers';
import { embedFeatures, refineOnJudgements, refineScorer } from '../../main/feedback/refineModel';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';

/**
 * Trunk features of an archive where the target class is two separate clusters (A1 around the query,
 * A2 far from it) and a distractor class B sits half-way between them: the Rocchio point of the query
 * and relevant images from both clusters lands near B, so moving the query cannot find the rest of A.
 */
function twoModeArchive(perCluster: number, shape: [number, number, number], seed: number, distractors = perCluster) {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const size = shape[0] * shape[1] * shape[2];
  const a1 = Array.from({ length: size }, () => 2 * rand());
  const a2 = Array.from({ length: size }, () => 2 * rand());
  const b = a1.map((x, i) => (x + a2[i]!) / 2);
  const rows: number[][] = [];
  const labels: string[] = [];
  const clusterOf: string[] = [];
  for (const [name, centre, label] of [['a1', a1, 'A'], ['a2', a2, 'A'], ['b', b, 'B']] as const) {
    for (let i = 0; i < (label === 'B' ? distractors : perCluster); i++) {
      rows.push(centre.map((x) => x + 0.6 * rand()));
      labels.push(label);
      clusterOf.push(name);
    }
  }
  return { features: tf.tensor4d(rows.flat(), [rows.length, ...shape]), labels, clusterOf };
}

function residualPrecision(scores: Float32Array, labels: readonly string[], judged: ReadonlySet<number>, k: number): number {
  const order = labels.map((_, i) => i).filter((i) => !judged.has(i));
  order.sort((x, y) => scores[y]! - scores[x]! || x - y);
  return order.slice(0, k).filter((i) => labels[i] === 'A').length / k;
}

describe('refine model with judgements', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ranks the far mode of a two-cluster class above the distractor between them, where Rocchio cannot', async () => {
    const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 16], seed: 3 });
    const fromStage = net.firstStageOf('last-stage-head');
    const { features, labels, clusterOf } = twoModeArchive(20, [2, 2, 8], 11, 40);
    const vectors = await embedFeatures(net, features, fromStage);
    const inCluster = (name: string) => clusterOf.map((c, i) => (c === name ? i : -1)).filter((i) => i >= 0);
    const [query, ...a1] = inCluster('a1');
    const judged = { query: query!, relevant: [...a1.slice(0, 3), ...inCluster('a2').slice(0, 3)], notRelevant: inCluster('b').slice(0, 4) };
    const seen = new Set([judged.query, ...judged.relevant, ...judged.notRelevant]);

    const before = tf.memory().numTensors;
    const config = { group: 'last-stage-head' as const, steps: 20, learningRate: 0.1, earlyStop: false };
    const refined = await refineScorer(net, features, fromStage, { config }).score(judged);
    expect(tf.memory().numTensors).toBe(before); // adapted weights and re-embeddings are all released
    const moved = await rocchioScorer(vectors).score(judged);

    const k = 30; // 33 relevant left: 16 near the query, 17 in the far mode
    const pRocchio = residualPrecision(moved, labels, seen, k);
    const pRefine = residualPrecision(refined, labels, seen, k);
    expect(pRocchio).toBeLessThan(0.8);
    expect(pRefine).toBeGreaterThan(pRocchio + 0.15);
    // The base weights are untouched: embedding again gives the same vectors.
    const again = await embedFeatures(net, features, fromStage);
    expect(Array.from(again[5]!)).toEqual(Array.from(vectors[5]!));
    features.dispose();
    net.dispose();
  });

  it('adapts with the target as one class and each rejected image as its own', () => {
    const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], seed: 1 });
    const fromStage = net.firstStageOf('last-stage-head');
    const { features } = twoModeArchive(4, [2, 2, 8], 5);
    const adapted = refineOnJudgements(net, { features, fromStage, target: [0, 1, 2], rejected: [8, 9] }, { group: 'last-stage-head', steps: 3, learningRate: 0.05, earlyStop: true });
    expect(adapted.steps).toBe(3); // singleton rejected classes leave nothing to hold out: no early stop
    expect(adapted.supportIds).toEqual([0, 1, 2, 8, 9]);
    expect(adapted.losses[2]!).toBeLessThan(adapted.losses[0]!);
    expect([...adapted.weights.keys()].sort()).toEqual(net.parameterNames('last-stage-head').sort());
    adapted.dispose();
    features.dispose();
    net.dispose();
  });
});
