import * as tf from '@tensorflow/tfjs';
import type { NamedValues } from './trainProtocol';

/** A tensor's values as they cross a thread boundary (copied out of the backend). */
export function toValues(name: string, tensor: tf.Tensor): NamedValues {
  return { name, shape: tensor.shape, values: Float32Array.from(tensor.dataSync()) };
}

/** Adam's state as values, in tfjs getWeights() order ('iter' first); null when it has no moments yet. */
export async function optimizerValues(optimizer: tf.Optimizer): Promise<NamedValues[] | null> {
  const weights = await optimizer.getWeights();
  const values = weights.map(({ name, tensor }) => toValues(name, tensor));
  weights[0]?.tensor.dispose(); // the iteration count is a fresh scalar; the moments are Adam's own
  return values.length > 1 ? values : null;
}

/** Puts optimizerValues() back into an optimiser (tfjs matches moments to variables by position). */
export async function restoreOptimizer(optimizer: tf.Optimizer, state: NamedValues[]): Promise<void> {
  const named = state.map((w) => ({ name: w.name, tensor: w.name === 'iter' ? tf.scalar(w.values[0] as number, 'int32') : tf.tensor(w.values, w.shape) }));
  await optimizer.setWeights(named);
  for (const { tensor } of named) tensor.dispose();
}

/** Copies values into a network's variables by short name; throws on names it does not have. */
export function assignValues(setWeights: (weights: ReadonlyMap<string, tf.Tensor>) => string[], values: NamedValues[]): void {
  tf.tidy(() => {
    const missing = setWeights(new Map(values.map((w) => [w.name, tf.tensor(w.values, w.shape)])));
    if (missing.length > 0) throw new Error(`weights the network does not have: ${missing.join(', ')}`);
  });
}
