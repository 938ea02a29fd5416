import type { ResolvedConfig } from '../models/embeddingNet';
import type { SharedBuffers, SharedSizes } from './sharedExchange';
import type { ShardPlan } from './shardPlan';

/** A tensor as it crosses a thread boundary. */
export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface InitRequest {
  type: 'init';
  worker: number;
  plan: ShardPlan;
  buffers: SharedBuffers;
  sizes: SharedSizes;
  config: ResolvedConfig;
  /** Every variable of the network by short name (statistics included). */
  weights: NamedValues[];
  learningRate: number;
  /** Adam's state in tfjs getWeights() order ('iter' first), or null for a fresh optimiser. */
  optimizerState: NamedValues[] | null;
  /** Backend candidates (the coordinator's backend). */
  prefer: string[];
}

export interface StepRequest {
  type: 'step';
}

export interface SnapshotRequest {
  type: 'snapshot';
}

export type TrainWorkerRequest = InitRequest | StepRequest | SnapshotRequest;

export type TrainWorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'stepped'; loss: number }
  | { type: 'snapshot'; weights: NamedValues[]; optimizerState: NamedValues[] }
  | { type: 'failed'; message: string };
