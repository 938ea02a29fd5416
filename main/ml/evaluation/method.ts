/**
 * A method of the evaluation protocol: given an episode, (optionally) adapt on its support set and
 * hand back an embedder for the episode's query pool. "random" and "dml" never adapt; "sft", "maml"
 * and "ours" (later issues) fine-tune a copy of their initialisation per episode and release it after.
 */
import * as tf from '@tensorflow/tfjs';
import type { Episode } from '../episodes/episodeSampler';
import type { EmbeddingNet } from '../models/embeddingNet';
import type { InputSource } from './inputSource';

export interface EpisodeEmbedder<Id> {
  /** One embedding row per id, in order (L2-normalised for the product's networks). */
  embed(ids: readonly Id[]): Promise<Float32Array[]>;
  /** Frees what this episode's preparation made (an adapted copy of the network). */
  release?(): void;
}

export interface Method<Id> {
  readonly name: string;
  prepare(episode: Episode<Id>): Promise<EpisodeEmbedder<Id>>;
  /** Frees the method's own resources at the end of a run. */
  dispose?(): void;
}

/** Embeds ids with a network in batches; the input source decodes and normalises them. */
export async function embedWithNet<Id>(net: EmbeddingNet, inputs: InputSource<Id>, ids: readonly Id[], batchSize = 64): Promise<Float32Array[]> {
  const { inputSize: side, channels } = net.config;
  const rows: Float32Array[] = [];
  for (let start = 0; start < ids.length; start += batchSize) {
    const chunk = ids.slice(start, start + batchSize);
    const pixels = await inputs.load(chunk);
    const output = tf.tidy(() => net.embed(tf.tensor4d(pixels, [chunk.length, side, side, channels])));
    const values = (await output.data()) as Float32Array;
    output.dispose();
    for (let i = 0; i < chunk.length; i++) rows.push(values.slice(i * net.embeddingDim, (i + 1) * net.embeddingDim));
  }
  return rows;
}

/**
 * A method whose network never changes between episodes: each image is embedded once per run and
 * the row reused by every later episode that draws it (600 episodes redraw the same images often).
 */
export function frozenNetMethod<Id>(name: string, net: EmbeddingNet, inputs: InputSource<Id>, options: { batchSize?: number; disposeNet?: boolean } = {}): Method<Id> & { readonly embedded: number } {
  const cache = new Map<Id, Float32Array>();
  const embedder: EpisodeEmbedder<Id> = {
    async embed(ids) {
      const missing = [...new Set(ids.filter((id) => !cache.has(id)))];
      const rows = await embedWithNet(net, inputs, missing, options.batchSize);
      missing.forEach((id, i) => cache.set(id, rows[i] as Float32Array));
      return ids.map((id) => cache.get(id) as Float32Array);
    },
  };
  return {
    name,
    prepare: async () => embedder,
    get embedded() {
      return cache.size;
    },
    dispose() {
      cache.clear();
      if (options.disposeNet) net.dispose();
    },
  };
}
