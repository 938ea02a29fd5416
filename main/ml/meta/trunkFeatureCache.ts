/**
 * Trunk features computed once per image: while only the stages from `fromStage` on adapt, the
 * stages before are frozen, so MAML's inner/outer loops, few-shot adaptation and re-embedding all
 * start from the cached output of stage fromStage - 1 instead of decoding and running the CNN again.
 */
import * as tf from '@tensorflow/tfjs';
import type { InputSource } from '../evaluation/inputSource';
import type { EmbeddingNet } from '../models/embeddingNet';

export interface TrunkFeatureCacheOptions {
  batchSize?: number;
  /** Items kept (oldest dropped first); default 40000. */
  maxItems?: number;
}

export class TrunkFeatureCache<Id> {
  private readonly rows = new Map<Id, Float32Array>();
  private shape: [number, number, number] | undefined;
  private readonly batchSize: number;
  private readonly maxItems: number;

  constructor(
    private readonly net: EmbeddingNet,
    /** The first adaptable stage; features are the output of the stage before it. */
    readonly fromStage: number,
    private readonly inputs: InputSource<Id>,
    options: TrunkFeatureCacheOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.maxItems = options.maxItems ?? 40_000;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Feature rows of the ids, computing the missing ones. */
  async rowsOf(ids: readonly Id[]): Promise<Float32Array[]> {
    const missing = [...new Set(ids.filter((id) => !this.rows.has(id)))];
    const { inputSize, channels } = this.net.config;
    const found = new Map<Id, Float32Array>();
    for (let start = 0; start < missing.length; start += this.batchSize) {
      const chunk = missing.slice(start, start + this.batchSize);
      const pixels = await this.inputs.load(chunk);
      const out = tf.tidy(() => this.net.trunkFeatures(tf.tensor4d(pixels, [chunk.length, inputSize, inputSize, channels]), this.fromStage - 1));
      this.shape ??= [out.shape[1], out.shape[2], out.shape[3]];
      const values = (await out.data()) as Float32Array;
      out.dispose();
      const length = values.length / chunk.length;
      chunk.forEach((id, i) => {
        const row = values.slice(i * length, (i + 1) * length);
        found.set(id, row);
        if (this.rows.size >= this.maxItems) this.rows.delete(this.rows.keys().next().value as Id);
        this.rows.set(id, row);
      });
    }
    return ids.map((id) => (this.rows.get(id) ?? found.get(id)) as Float32Array);
  }

  /** The ids' features as one tensor [n, h, w, c] (caller disposes). */
  async tensor(ids: readonly Id[]): Promise<tf.Tensor4D> {
    const rows = await this.rowsOf(ids);
    const shape = this.shape as [number, number, number];
    const length = shape[0] * shape[1] * shape[2];
    const flat = new Float32Array(rows.length * length);
    rows.forEach((row, i) => flat.set(row, i * length));
    return tf.tensor4d(flat, [rows.length, ...shape]);
  }

  clear(): void {
    this.rows.clear();
  }
}
