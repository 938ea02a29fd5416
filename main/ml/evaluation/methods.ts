/**
 * The methods `simila eval --methods` knows, by name. Each factory gets the run's trained network
 * and input source; later issues register "sft", "maml" and "ours" here.
 */
import { createEmbeddingNet, type EmbeddingNet } from '../models/embeddingNet';
import type { InputSource } from './inputSource';
import { frozenNetMethod, type Method } from './method';

export interface MethodContext<Id> {
  /** The trained network under evaluation (owned by the caller; methods must not dispose it). */
  net: EmbeddingNet;
  inputs: InputSource<Id>;
  /** The run's seed (random weights are drawn from it). */
  seed: number;
  batchSize?: number;
}

type MethodFactory = <Id>(context: MethodContext<Id>) => Method<Id>;

const FACTORIES: Record<string, MethodFactory> = {
  // The floor any trained model must clear: the same architecture, seeded random weights.
  random: (context) => frozenNetMethod('random', createEmbeddingNet({ ...context.net.config, seed: context.seed }), context.inputs, { batchSize: context.batchSize, disposeNet: true }),
  // Deep metric learning without adaptation: the trained network as it is.
  dml: (context) => frozenNetMethod('dml', context.net, context.inputs, { batchSize: context.batchSize }),
};

export const KNOWN_METHODS = Object.keys(FACTORIES);

export type MethodsResult<Id> = { ok: true; methods: Method<Id>[] } | { ok: false; code: 'unknown-method'; message: string };

export function createMethods<Id>(names: readonly string[], context: MethodContext<Id>): MethodsResult<Id> {
  const unknown = names.filter((name) => !Object.hasOwn(FACTORIES, name));
  if (unknown.length > 0) return { ok: false, code: 'unknown-method', message: `unknown method ${unknown.join(', ')} (known: ${KNOWN_METHODS.join(', ')})` };
  return { ok: true, methods: names.map((name) => (FACTORIES[name] as MethodFactory)(context)) };
}
