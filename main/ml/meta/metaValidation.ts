/**
 * Meta-validation by retrieval (the evaluation protocol in miniature): fixed seeded episodes over
 * held-out classes; adapt on each support set as the trainer's inner loop does, rank the query pool,
 * mean MAP@R and Recall@1. The same episodes every time, so the curve compares like with like.
 */
import * as tf from '@tensorflow/tfjs';
import { fewShotAdapt, type AdaptationConfig } from '../adaptation/fewShotAdapt';
import type { Episode } from '../episodes/episodeSampler';
import { poolMetrics } from '../evaluation/retrievalMetrics';
import type { EmbeddingNet } from '../models/embeddingNet';
import type { ValidationMetrics } from '../training/validationPool';
import type { TrunkFeatureCache } from './trunkFeatureCache';

export async function metaValidate<Id>(net: EmbeddingNet, cache: TrunkFeatureCache<Id>, episodes: readonly Episode<Id>[], config: AdaptationConfig): Promise<ValidationMetrics> {
  let mapAtR = 0;
  let recallAt1 = 0;
  for (const episode of episodes) {
    const support = await cache.tensor(episode.support.map((s) => s.itemId));
    const adapted = fewShotAdapt(net, { features: support, fromStage: cache.fromStage, labels: episode.support.map((s) => episode.classes.indexOf(s.classKey)) }, config);
    support.dispose();
    const query = await cache.tensor(episode.query.map((q) => q.itemId));
    const out = tf.tidy(() => net.embedFromStage(query, cache.fromStage, { overrides: adapted.weights }));
    query.dispose();
    adapted.dispose();
    const values = (await out.data()) as Float32Array;
    out.dispose();
    const d = net.embeddingDim;
    const rows = episode.query.map((_, i) => values.slice(i * d, (i + 1) * d));
    const metrics = poolMetrics(rows, episode.query.map((q) => q.classKey), [1]);
    mapAtR += metrics.mapAtR;
    recallAt1 += metrics.recallAtK[1] ?? 0;
  }
  const n = Math.max(1, episodes.length);
  return { mapAtR: mapAtR / n, recallAt1: recallAt1 / n };
}
