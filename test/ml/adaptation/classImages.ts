/** Test data for few-shot adaptation: three classes of noisy images, each a class-specific random pattern plus noise (class-major rows). */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../wasmBackend';

export function classImages(perClass: number, seed: number): { images: tf.Tensor4D; labels: number[] } {
  const random = seededRandom(seed);
  const side = 16;
  const patterns = [0, 1, 2].map(() => Array.from({ length: side * side }, () => random() * 2 - 1));
  const values: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let n = 0; n < perClass; n++) {
      for (const p of patterns[c] as number[]) values.push(p + (random() - 0.5) * 1.2);
      labels.push(c);
    }
  }
  return { images: tf.tensor4d(values, [labels.length, side, side, 1]), labels };
}
