import * as tf from '@tensorflow/tfjs';
import type { LabelledImage } from '../data/labelledImages';
import { normalisePixels, toInputPixels, type InputPixels } from '../data/preprocess';
import type { PreprocessSpec } from '../data/preprocessSpec';
import { poolMetrics } from '../evaluation/retrievalMetrics';
import type { EmbeddingNet } from '../models/embeddingNet';
import { seededRandom, shuffleInPlace } from '../samplers/seededRandom';

export interface ValidationMetrics {
  recallAt1: number;
  mapAtR: number;
}

export interface TrainValidationSplit {
  train: LabelledImage[];
  validation: LabelledImage[];
  validationClasses: number;
}

/**
 * Holds out whole classes of every training set (a seeded fraction of each), so validation measures
 * retrieval of classes the network never trained on, as the product's use does.
 */
export function splitByClass(
  images: readonly LabelledImage[],
  classSets: readonly number[],
  options: { fraction: number; imagesPerClass: number; seed: number },
): TrainValidationSplit {
  const random = seededRandom(options.seed + 7727);
  const classesBySet = new Map<number, number[]>();
  classSets.forEach((set, label) => classesBySet.set(set, [...(classesBySet.get(set) ?? []), label]));
  const held = new Set<number>();
  for (const labels of classesBySet.values()) {
    const count = Math.min(labels.length - 2, Math.round(labels.length * options.fraction));
    if (count < 1) continue;
    for (const label of shuffleInPlace([...labels], random).slice(0, count)) held.add(label);
  }
  const train: LabelledImage[] = [];
  const validation: LabelledImage[] = [];
  const taken = new Map<number, number>();
  for (const image of images) {
    if (!held.has(image.label)) train.push(image);
    else if ((taken.get(image.label) ?? 0) < options.imagesPerClass) {
      validation.push(image);
      taken.set(image.label, (taken.get(image.label) ?? 0) + 1);
    }
  }
  return { train, validation, validationClasses: held.size };
}

/** A fixed validation pool, decoded once; scored by leave-one-out Recall@1 and MAP@R. */
export class ValidationPool {
  private pixels: InputPixels[] | undefined;

  constructor(
    private readonly images: readonly LabelledImage[],
    private readonly spec: PreprocessSpec,
  ) {}

  get size(): number {
    return this.images.length;
  }

  async evaluate(net: EmbeddingNet, batchSize = 64): Promise<ValidationMetrics> {
    this.pixels ??= await Promise.all(this.images.map((image) => toInputPixels(image.path, this.spec)));
    const side = this.spec.inputSize;
    const imageLength = side * side * this.spec.channels;
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < this.pixels.length; start += batchSize) {
      const chunk = this.pixels.slice(start, start + batchSize);
      const batch = new Float32Array(chunk.length * imageLength);
      chunk.forEach((p, i) => normalisePixels(p, this.spec, batch, i * imageLength));
      const output = tf.tidy(() => net.embed(tf.tensor4d(batch, [chunk.length, side, side, this.spec.channels])));
      const values = (await output.data()) as Float32Array;
      output.dispose();
      for (let i = 0; i < chunk.length; i++) embeddings.push(values.slice(i * net.embeddingDim, (i + 1) * net.embeddingDim));
    }
    const metrics = poolMetrics(embeddings, this.images.map((image) => image.label), [1]);
    return { recallAt1: metrics.recallAtK[1] ?? 0, mapAtR: metrics.mapAtR };
  }
}
