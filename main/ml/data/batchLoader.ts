import type { BatchSampler } from '../samplers/classBalancedSampler';
import { seededRandom } from '../samplers/seededRandom';
import { augment, type AugmentationOptions } from './augmentation';
import type { LabelledImage } from './labelledImages';
import { normalisePixels, toInputPixels, type InputPixels } from './preprocess';
import type { PreprocessSpec } from './preprocessSpec';

export interface Batch {
  /** B x inputSize x inputSize x channels, normalised (HWC per image). */
  images: Float32Array;
  labels: Int32Array;
  size: number;
}

export interface BatchLoaderOptions {
  images: readonly LabelledImage[];
  spec: PreprocessSpec;
  sampler: BatchSampler;
  /** Random translation of up to this many pixels, edges replicated (no flips: they change characters). */
  maxShift?: number;
  /** Crop / flip / colour jitter for photographs (training only; see augmentation.ts). */
  augmentation?: AugmentationOptions;
  /** Batches decoded ahead of the one being trained on (default 2). */
  prefetch?: number;
  seed?: number;
}

export interface BatchLoader {
  next(): Promise<Batch>;
  /** Images that could not be decoded, with the reason; their batch slot is filled with a same-class image. */
  readonly failures: ReadonlyMap<string, string>;
  /** Decoded images held in memory. */
  readonly cachedImages: number;
}

/**
 * Batches from a sampler, decoded with sharp off the JS thread (libuv pool) while the previous batch
 * trains, so decoding overlaps the wasm compute. Decoded images stay cached as 8-bit pixels.
 */
export function createBatchLoader(options: BatchLoaderOptions): BatchLoader {
  const { images, spec, sampler } = options;
  const cache = new Map<number, InputPixels>();
  const failures = new Map<string, string>();
  const random = seededRandom((options.seed ?? 1) + 104729);
  const augmentation: AugmentationOptions = { ...options.augmentation, maxShift: options.augmentation?.maxShift ?? options.maxShift ?? 0 };
  const depth = Math.max(1, options.prefetch ?? 2);
  const imageLength = spec.inputSize * spec.inputSize * spec.channels;
  const queue: Promise<Batch>[] = [];

  const pixelsOf = async (index: number): Promise<InputPixels | undefined> => {
    const cached = cache.get(index);
    if (cached) return cached;
    const item = images[index] as LabelledImage;
    if (failures.has(item.path)) return undefined;
    try {
      const pixels = await toInputPixels(item.path, spec);
      cache.set(index, pixels);
      return pixels;
    } catch (error) {
      failures.set(item.path, error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };

  const load = async (indices: number[]): Promise<Batch> => {
    const decoded = await Promise.all(indices.map(pixelsOf));
    const batch = new Float32Array(indices.length * imageLength);
    const labels = new Int32Array(indices.length);
    indices.forEach((index, slot) => {
      const label = (images[index] as LabelledImage).label;
      labels[slot] = label;
      const pixels = decoded[slot] ?? decoded.find((p, other) => p && (images[indices[other] as number] as LabelledImage).label === label);
      if (!pixels) return; // zeros: nothing of this class decoded
      normalisePixels(augment(pixels, spec, random, augmentation), spec, batch, slot * imageLength);
    });
    return { images: batch, labels, size: indices.length };
  };

  return {
    next() {
      // The sampler runs in call order, so batches are reproducible whatever order decodes finish in.
      while (queue.length < depth + 1) queue.push(load(sampler.nextBatch()));
      return queue.shift() as Promise<Batch>;
    },
    failures,
    get cachedImages() {
      return cache.size;
    },
  };
}
