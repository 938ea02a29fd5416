/**
 * `simila eval --tta flip`: horizontal-flip test-time averaging. Every ranked image (the episode's query
 * pool) is embedded as it is and mirrored left-right; the two embeddings are averaged and L2-normalised
 * again. Adaptation still runs on the support shots as they are (the support set is not ranked).
 *
 * The mirrored image is just another id of the input source (`flippedId`), so each method's own caches
 * (embedding rows, trunk rows) hold it beside the original, and decoding happens once per file.
 */
import type { InputSource } from './inputSource';
import type { EpisodeEmbedder, Method } from './method';

const FLIP_PREFIX = '\u0000flip\u0000';

/** The id of `id`'s left-right mirror image in a source wrapped by flippingInputs. */
export function flippedId(id: string): string {
  return `${FLIP_PREFIX}${id}`;
}

/** Mirrors a [side, side, channels] HWC image in place, left to right. */
export function mirrorInPlace(pixels: Float32Array, offset: number, side: number, channels: number): void {
  for (let y = 0; y < side; y++) {
    const row = offset + y * side * channels;
    for (let x = 0; x < side >> 1; x++) {
      const a = row + x * channels;
      const b = row + (side - 1 - x) * channels;
      for (let c = 0; c < channels; c++) {
        const t = pixels[a + c]!;
        pixels[a + c] = pixels[b + c]!;
        pixels[b + c] = t;
      }
    }
  }
}

/** An input source that also answers flippedId(id) with the mirrored image of id. */
export function flippingInputs(inputs: InputSource<string>, side: number, channels: number): InputSource<string> {
  const imageLength = side * side * channels;
  return {
    async load(ids) {
      const flipped = ids.map((id) => id.startsWith(FLIP_PREFIX));
      const pixels = await inputs.load(ids.map((id, i) => (flipped[i] ? id.slice(FLIP_PREFIX.length) : id)));
      flipped.forEach((isFlipped, i) => {
        if (isFlipped) mirrorInPlace(pixels, i * imageLength, side, channels);
      });
      return pixels;
    },
    get failures() {
      return inputs.failures;
    },
  };
}

/** Mean of two unit rows, normalised to unit length again. */
function averaged(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    out[i] = (a[i]! + b[i]!) / 2;
    norm += out[i]! * out[i]!;
  }
  const scale = 1 / Math.sqrt(norm + 1e-12);
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
  return out;
}

/** A method whose episode embeddings are the flip-averaged ones (its input source must be flippingInputs). */
export function flipAveraged(method: Method<string>): Method<string> {
  return {
    name: method.name,
    async prepare(episode) {
      const embedder = await method.prepare(episode);
      const wrapped: EpisodeEmbedder<string> = {
        async embed(ids) {
          const plain = await embedder.embed(ids);
          const mirrored = await embedder.embed(ids.map(flippedId));
          return plain.map((row, i) => averaged(row, mirrored[i] as Float32Array));
        },
        release: () => embedder.release?.(),
      };
      return wrapped;
    },
    dispose: () => method.dispose?.(),
  };
}
