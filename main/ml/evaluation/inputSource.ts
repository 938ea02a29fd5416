/**
 * Network input for evaluation items, through the app's one preprocessing function (main/ml/data),
 * with the model manifest's spec. Decoded pixels of recent items are kept so that the methods of one
 * episode (random, dml, ...) decode each image once.
 */
import { normalisePixels, toInputPixels, type ImageSource, type InputPixels } from '../data/preprocess';
import type { PreprocessSpec } from '../data/preprocessSpec';

export interface InputSource<Id> {
  /** Normalised HWC floats of the ids, image after image ([n, size, size, channels] flattened). */
  load(ids: readonly Id[]): Promise<Float32Array>;
  /** Items that could not be decoded, with the reason; they enter the network as a blank image. */
  readonly failures: ReadonlyMap<Id, string>;
}

export interface PreprocessedInputOptions {
  /** Decoded images kept (oldest dropped first); default 4096. */
  cacheImages?: number;
}

export function preprocessedInputs<Id>(spec: PreprocessSpec, sourceOf: (id: Id) => ImageSource, options: PreprocessedInputOptions = {}): InputSource<Id> {
  const limit = Math.max(0, options.cacheImages ?? 4096);
  const cache = new Map<Id, InputPixels>();
  const failures = new Map<Id, string>();
  const imageLength = spec.inputSize * spec.inputSize * spec.channels;

  const pixelsOf = async (id: Id): Promise<InputPixels | undefined> => {
    const hit = cache.get(id);
    if (hit) return hit;
    if (failures.has(id)) return undefined;
    try {
      const pixels = await toInputPixels(sourceOf(id), spec);
      if (limit > 0) {
        if (cache.size >= limit) cache.delete(cache.keys().next().value as Id);
        cache.set(id, pixels);
      }
      return pixels;
    } catch (error) {
      failures.set(id, error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };

  return {
    async load(ids) {
      const decoded = await Promise.all(ids.map(pixelsOf));
      const out = new Float32Array(ids.length * imageLength);
      decoded.forEach((pixels, i) => {
        if (pixels) normalisePixels(pixels, spec, out, i * imageLength);
      });
      return out;
    },
    failures,
  };
}
