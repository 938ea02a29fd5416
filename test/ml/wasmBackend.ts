import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { wasmBinaryFolder } from '../../main/ml/backend/wasmFiles';
import { registerWasmTrainingKernels } from '../../main/ml/kernels/wasm/registerWasmTrainingKernels';
import { seededRandom } from '../../main/ml/samplers/seededRandom';

export { seededRandom };

/** Test helper: wasm backend with the project kernels; the cpu backend stays available as reference. */
export async function useWasmWithProjectKernels(): Promise<void> {
  setWasmPaths(wasmBinaryFolder());
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
}

/** Runs fn on a named backend and returns plain arrays, so results of two backends can be compared. */
export async function onBackend<T>(name: string, fn: () => T): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/** max|a-b| / max|b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!Number.isFinite(a)) return Infinity;
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return diff / Math.max(scale, 1e-12);
}

export function randomValues(random: () => number, size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = random() * 2 - 1;
  return values;
}
