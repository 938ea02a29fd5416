/**
 * The embedding engine as the rest of the app sees it: a worker thread that holds one model and embeds
 * batches of preprocessed inputs. Requests queue in order; a crashed worker fails what it had in flight
 * (and later calls) with an error value in the thrown Error, never a hang.
 */
import { startModuleWorker } from '../threads/startModuleWorker';
import type { EmbedWorkerReply, EmbedWorkerRequest } from './embedProtocol';

export interface EmbedderOptions {
  modelDir: string;
  /** Backend candidates in order (default: tfjs-node-gpu, tfjs-node, wasm, cpu). */
  prefer?: string[];
  /** For background work only (a re-embedding): the worker thread runs at a lower priority (Linux). */
  background?: boolean;
}

export interface Embedder {
  /** The tfjs backend that runs, e.g. 'wasm'. */
  readonly backend: string;
  readonly inputSize: number;
  readonly channels: 1 | 3;
  readonly embeddingDim: number;
  /** Worker threads that run the network (a pool has several, see embedderPool.ts). */
  readonly workers: number;
  /** The worker thread's nice value when it was lowered for background work (see threadPriority.ts). */
  readonly threadNice?: number | null;
  /** False once a worker has crashed or the embedder was closed: it answers only errors from then on. */
  readonly alive: boolean;
  /** `count` preprocessed images (HWC, normalised) -> count x embeddingDim L2-normalised vectors. */
  embedInputs(inputs: Float32Array, count: number): Promise<Float32Array>;
  /** The trunk whose features `embedInputsWithTrunk` returns (null: the model caches none). */
  readonly trunk: { key: string; rowLength: number } | null;
  /** embedInputs plus the trunk features of the same pass (null when `trunk` is null). */
  embedInputsWithTrunk(inputs: Float32Array, count: number): Promise<{ vectors: Float32Array; trunk: Float32Array | null }>;
  /**
   * The stages from `fromStage` on (pooling, head, L2 norm) over `count` cached trunk rows of `shape`:
   * an adapted child's re-embedding, off the event loop that serves the UI.
   */
  embedFromTrunk(rows: Float32Array, count: number, fromStage: number, shape: [number, number, number]): Promise<Float32Array>;
  close(): Promise<void>;
}

export class EmbedderError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EmbedderError';
  }
}

export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const worker = startModuleWorker(import.meta.url, 'embedWorkerMain');
  const pending = new Map<number, { resolve: (v: { vectors: Float32Array; trunk: Float32Array | null }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: EmbedderError | null = null;

  const failAll = (error: EmbedderError) => {
    dead ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };

  const loaded = new Promise<Extract<EmbedWorkerReply, { type: 'loaded' }>>((resolve, reject) => {
    worker.on('message', (reply: EmbedWorkerReply) => {
      if (reply.type === 'loaded') return resolve(reply);
      if (reply.type === 'failed' && reply.id === null) return reject(new EmbedderError(reply.code, reply.message));
      if (reply.id === null) return;
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      if (reply.type === 'embedded') waiter.resolve({ vectors: reply.vectors, trunk: reply.trunk ?? null });
      else waiter.reject(new EmbedderError(reply.code, reply.message));
    });
    const lost = (why: string) => {
      const error = new EmbedderError('worker_crashed', `The embedding worker stopped: ${why}`);
      reject(error);
      failAll(error);
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
  });

  const send = (request: EmbedWorkerRequest, transfer: ArrayBuffer[] = []) => worker.postMessage(request, transfer);
  send({ type: 'load', modelDir: options.modelDir, prefer: options.prefer, background: options.background });
  let info: Extract<EmbedWorkerReply, { type: 'loaded' }>;
  try {
    info = await loaded;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const inputLength = info.inputSize * info.inputSize * info.channels;

  /** Sends one request with a copy of `floats` (transferred: the caller keeps its buffer). */
  const request = (floats: Float32Array, make: (id: number, copy: Float32Array) => EmbedWorkerRequest): Promise<{ vectors: Float32Array; trunk: Float32Array | null }> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const copy = floats.slice();
      send(make(id, copy), [copy.buffer as ArrayBuffer]);
    });
  };

  const embedWithTrunk = (inputs: Float32Array, count: number): Promise<{ vectors: Float32Array; trunk: Float32Array | null }> => {
    if (dead) return Promise.reject(dead);
    if (count < 1) return Promise.resolve({ vectors: new Float32Array(0), trunk: null });
    if (inputs.length !== count * inputLength) {
      return Promise.reject(new EmbedderError('bad_input', `${count} inputs need ${count * inputLength} floats, got ${inputs.length}.`));
    }
    return request(inputs, (id, copy) => ({ type: 'embed', id, inputs: copy, count }));
  };

  const embedFromTrunk: Embedder['embedFromTrunk'] = async (rows, count, fromStage, shape) => {
    if (dead) throw dead;
    if (count < 1) return new Float32Array(0);
    if (rows.length !== count * shape[0] * shape[1] * shape[2]) {
      throw new EmbedderError('bad_input', `${count} trunk rows of ${shape.join('x')} need ${count * shape[0] * shape[1] * shape[2]} floats, got ${rows.length}.`);
    }
    return (await request(rows, (id, copy) => ({ type: 'head', id, rows: copy, count, fromStage, shape }))).vectors;
  };

  return {
    backend: info.backend,
    inputSize: info.inputSize,
    channels: info.channels,
    embeddingDim: info.embeddingDim,
    workers: 1,
    threadNice: info.nice,
    get alive() {
      return dead === null;
    },
    trunk: info.trunk ?? null,
    async embedInputs(inputs, count) {
      return (await embedWithTrunk(inputs, count)).vectors;
    },
    embedInputsWithTrunk: embedWithTrunk,
    embedFromTrunk,
    async close() {
      failAll(new EmbedderError('closed', 'The embedder was closed.'));
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
