/**
 * Several embedding workers behind the one Embedder interface. The wasm backend runs on a single thread,
 * so on a machine with several cores one worker leaves the rest idle; the pool splits each batch into
 * contiguous chunks, embeds them in parallel and joins the results in input order. Native backends
 * (tfjs-node, tfjs-node-gpu) use all cores or the GPU themselves: the pool then keeps just the first worker.
 * The pool serves as soon as its first worker has loaded (a search need not wait for the others, ~0.6 s
 * each here); the others join as they become ready.
 */
import os from 'node:os';
import { createEmbedder, type Embedder, type EmbedderOptions } from './embedder';

export interface EmbedderPoolOptions extends EmbedderOptions {
  /** Workers to run (default: the cores this process may use, at most MAX_DEFAULT_WORKERS). */
  workers?: number;
  /** Batches smaller than this go to one worker whole (splitting them costs more than it saves). */
  minChunk?: number;
  /** Resolve only once every worker has started or failed (benchmarks); default: after the first. */
  waitForAllWorkers?: boolean;
}

export interface EmbedderPool extends Embedder {
  /** Settles when every worker beyond the first has joined the pool or failed to start. */
  readonly allStarted: Promise<void>;
}

/** Beyond a few workers the decode side, not the network, limits an embedding job. */
const MAX_DEFAULT_WORKERS = 4;
/** Backends that run on one thread per instance: only these gain from more workers. */
const SINGLE_THREADED_BACKENDS = new Set(['wasm', 'cpu']);

export function defaultEmbedWorkers(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, os.availableParallelism()));
}

/** Splits `count` items into at most `parts` contiguous [start, end) ranges of near-equal size. */
export function splitRanges(count: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, count));
  const ranges: [number, number][] = [];
  for (let i = 0; i < n; i++) ranges.push([Math.floor((i * count) / n), Math.floor(((i + 1) * count) / n)]);
  return ranges.filter(([start, end]) => end > start);
}

export async function createEmbedderPool(options: EmbedderPoolOptions): Promise<EmbedderPool> {
  const wanted = Math.max(1, Math.floor(options.workers ?? defaultEmbedWorkers()));
  const minChunk = Math.max(1, options.minChunk ?? 8);
  const first = await createEmbedder(options);
  // `first` is ours alone: it becomes the pool by gaining the one field a pool adds.
  if (wanted === 1 || !SINGLE_THREADED_BACKENDS.has(first.backend)) return Object.assign(first, { allStarted: Promise.resolve() });

  // The others load in parallel and join when ready; one that fails to start only makes the pool smaller.
  const members: Embedder[] = [first];
  let closed = false;
  const starting = Array.from({ length: wanted - 1 }, () =>
    createEmbedder({ ...options, prefer: [first.backend] }).then(async (member) => {
      if (closed) await member.close();
      else members.push(member);
    }),
  );
  const allStarted = Promise.allSettled(starting).then(() => undefined);
  if (options.waitForAllWorkers) await allStarted;

  const inputLength = first.inputSize * first.inputSize * first.channels;
  const dim = first.embeddingDim;
  const rowLength = first.trunk?.rowLength ?? 0;
  let turn = 0;

  const embedWithTrunk: Embedder['embedInputsWithTrunk'] = async (inputs, count) => {
    // Small requests (a search query) go whole to the next member in turn.
    if (count < 2 * minChunk) return members[turn++ % members.length]!.embedInputsWithTrunk(inputs, count);
    if (inputs.length !== count * inputLength) {
      // The member says why, with the same error as a single embedder.
      return first.embedInputsWithTrunk(inputs, count);
    }
    const ranges = splitRanges(count, Math.min(members.length, Math.floor(count / minChunk)));
    const parts = await Promise.all(ranges.map(([start, end], i) => members[i]!.embedInputsWithTrunk(inputs.subarray(start * inputLength, end * inputLength), end - start)));
    const vectors = new Float32Array(count * dim);
    const trunk = rowLength > 0 ? new Float32Array(count * rowLength) : null;
    parts.forEach((part, i) => {
      const [start] = ranges[i]!;
      vectors.set(part.vectors, start * dim);
      if (trunk && part.trunk) trunk.set(part.trunk, start * rowLength);
    });
    return { vectors, trunk: parts.every((part) => part.trunk) ? trunk : null };
  };

  return {
    backend: first.backend,
    inputSize: first.inputSize,
    channels: first.channels,
    embeddingDim: dim,
    trunk: first.trunk,
    get workers() {
      return members.length;
    },
    get alive() {
      return members.every((member) => member.alive);
    },
    async embedInputs(inputs, count) {
      return (await embedWithTrunk(inputs, count)).vectors;
    },
    embedInputsWithTrunk: embedWithTrunk,
    // A re-embedding sends one head pass at a time: each goes whole to the next member in turn.
    embedFromTrunk: (rows, count, fromStage, shape) => members[turn++ % members.length]!.embedFromTrunk(rows, count, fromStage, shape),
    allStarted,
    async close() {
      closed = true; // workers still starting close as soon as they are up
      await Promise.all(members.map((member) => member.close()));
      await allStarted;
    },
  };
}

/** SIMILA_EMBED_WORKERS, when it is a positive whole number (undefined: the default). */
export function embedWorkersFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env.SIMILA_EMBED_WORKERS);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}
