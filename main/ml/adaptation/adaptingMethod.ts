/**
 * An evaluation method that adapts per episode: fine-tune a network's adaptable group on the
 * episode's support set (fewShotAdapt), embed the query pool with the adapted weights, release them.
 * Trunk features are cached for the whole run (the trunk is frozen), so each episode only runs the
 * adaptable stages. "sft", "maml" and "ours" are this method with different networks and settings.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpisodeEmbedder, Method } from '../evaluation/method';
import type { InputSource } from '../evaluation/inputSource';
import { TrunkFeatureCache } from '../meta/trunkFeatureCache';
import type { EmbeddingNet } from '../models/embeddingNet';
import { adaptationFromStage, fewShotAdapt, type AdaptationConfig } from './fewShotAdapt';

export interface AdaptingMethodOptions {
  batchSize?: number;
  /** Dispose the network with the method (when the method loaded it). */
  disposeNet?: boolean;
}

export interface AdaptingMethod<Id> extends Method<Id> {
  readonly config: AdaptationConfig;
  /** Mean adaptation seconds per episode so far. */
  readonly meanAdaptSeconds: number;
  /** Episodes per adapted group (with group 'auto': which depth each episode chose). */
  readonly chosenGroups: Readonly<Record<string, number>>;
}

export function adaptingMethod<Id>(name: string, net: EmbeddingNet, inputs: InputSource<Id>, config: AdaptationConfig, options: AdaptingMethodOptions = {}): AdaptingMethod<Id> {
  // 'auto' caches the shallowest candidate's rows; every depth runs from them (the frozen stages in between included).
  const fromStage = adaptationFromStage(net, config.group);
  const cache = new TrunkFeatureCache(net, fromStage, inputs, { batchSize: options.batchSize });
  const batchSize = options.batchSize ?? 64;
  let adaptSeconds = 0;
  let episodes = 0;
  const chosenGroups: Record<string, number> = {};
  return {
    name,
    config,
    get meanAdaptSeconds() {
      return episodes > 0 ? adaptSeconds / episodes : 0;
    },
    chosenGroups,
    async prepare(episode) {
      const ids = episode.support.map((item) => item.itemId);
      const labels = episode.support.map((item) => episode.classes.indexOf(item.classKey));
      const features = await cache.tensor(ids);
      let adapted;
      try {
        adapted = fewShotAdapt(net, { features, fromStage, labels, ids }, config);
      } finally {
        features.dispose();
      }
      adaptSeconds += adapted.seconds;
      episodes++;
      chosenGroups[adapted.group] = (chosenGroups[adapted.group] ?? 0) + 1;
      const embedder: EpisodeEmbedder<Id> = {
        async embed(queryIds) {
          const rows: Float32Array[] = [];
          for (let start = 0; start < queryIds.length; start += batchSize) {
            const x = await cache.tensor(queryIds.slice(start, start + batchSize));
            const out = tf.tidy(() => net.embedFromStage(x, fromStage, { overrides: adapted.weights }));
            x.dispose();
            const values = (await out.data()) as Float32Array;
            out.dispose();
            for (let i = 0; i < values.length / net.embeddingDim; i++) rows.push(values.slice(i * net.embeddingDim, (i + 1) * net.embeddingDim));
          }
          return rows;
        },
        release: () => adapted.dispose(),
      };
      return embedder;
    },
    dispose() {
      cache.clear();
      if (options.disposeNet) net.dispose();
    },
  };
}
