/** Messages between the embedder (main thread) and its worker thread. */

export interface LoadRequest {
  type: 'load';
  modelDir: string;
  /** Backend candidates in order (default: the app's order, fastest first). */
  prefer?: string[];
  /** Background work only (a re-embedding): the thread lowers its own priority (Linux). */
  background?: boolean;
}

export interface EmbedRequest {
  type: 'embed';
  id: number;
  /** count x inputSize x inputSize x channels normalised floats (HWC). */
  inputs: Float32Array;
  count: number;
}

/** The stages from `fromStage` on, over trunk rows an earlier pass cached (an adapted child's re-embedding). */
export interface HeadRequest {
  type: 'head';
  id: number;
  /** count x (height x width x channels) trunk features of the stage before `fromStage` (HWC). */
  rows: Float32Array;
  count: number;
  fromStage: number;
  shape: [number, number, number];
}

export type EmbedWorkerRequest = LoadRequest | EmbedRequest | HeadRequest;

export interface LoadedReply {
  type: 'loaded';
  backend: string;
  inputSize: number;
  channels: 1 | 3;
  embeddingDim: number;
  /** Trunk features the worker returns with each batch (for adapted children to re-embed from); null: none. */
  trunk: { key: string; rowLength: number } | null;
  /** The thread's nice value once lowered for background work; null when it runs at the app's priority. */
  nice: number | null;
}

export interface EmbeddedReply {
  type: 'embedded';
  id: number;
  /** count x embeddingDim, L2-normalised. */
  vectors: Float32Array;
  /** count x rowLength trunk features when the loaded reply named a trunk. */
  trunk?: Float32Array;
}

export interface FailedReply {
  type: 'failed';
  /** The embed request that failed; null when loading failed. */
  id: number | null;
  code: string;
  message: string;
}

export type EmbedWorkerReply = LoadedReply | EmbeddedReply | FailedReply;
