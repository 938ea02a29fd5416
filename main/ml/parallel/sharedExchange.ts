import { BARRIER_CELLS, SharedBarrier } from './barrier';
import type { ShardPlan } from './shardPlan';
import type { ShardExchange } from './shardedMetricStep';

/**
 * The shared memory of one data-parallel trainer: the batch the coordinator writes, and the
 * embeddings, gradients and batch-norm statistics the workers swap. Plain SharedArrayBuffers, so a
 * step moves no message payloads; the barrier orders the reads after the writes.
 */
export interface SharedBuffers {
  control: SharedArrayBuffer;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  embeddings: SharedArrayBuffer;
  gradients: SharedArrayBuffer;
  statistics: SharedArrayBuffer;
}

export interface SharedSizes {
  /** Floats of one input image (H x W x C). */
  imageLength: number;
  embeddingDim: number;
  /** Floats of the trained parameters, flattened in variable order. */
  parameterCount: number;
  /** Floats of one shard's batch-norm statistics. */
  statisticsLength: number;
}

const F32 = Float32Array.BYTES_PER_ELEMENT;

export function allocateSharedBuffers(plan: ShardPlan, sizes: SharedSizes): SharedBuffers {
  return {
    control: new SharedArrayBuffer(BARRIER_CELLS * Int32Array.BYTES_PER_ELEMENT),
    images: new SharedArrayBuffer(plan.batchSize * sizes.imageLength * F32),
    labels: new SharedArrayBuffer(plan.batchSize * Int32Array.BYTES_PER_ELEMENT),
    embeddings: new SharedArrayBuffer(plan.batchSize * sizes.embeddingDim * F32),
    gradients: new SharedArrayBuffer(plan.workers * sizes.parameterCount * F32),
    statistics: new SharedArrayBuffer(plan.shards * Math.max(1, sizes.statisticsLength) * F32),
  };
}

/** A worker's side of the exchange: publish its part, wait for the rest, read everyone's. */
export class SharedExchange implements ShardExchange {
  private readonly barrier: SharedBarrier;
  private readonly embeddings: Float32Array;
  private readonly gradients: Float32Array;
  private readonly statistics: Float32Array;

  constructor(
    buffers: SharedBuffers,
    private readonly plan: ShardPlan,
    private readonly worker: number,
    private readonly sizes: SharedSizes,
  ) {
    this.barrier = new SharedBarrier(new Int32Array(buffers.control), plan.workers);
    this.embeddings = new Float32Array(buffers.embeddings);
    this.gradients = new Float32Array(buffers.gradients);
    this.statistics = new Float32Array(buffers.statistics);
  }

  gatherEmbeddings(start: number, rows: Float32Array, batchSize: number, dim: number): Float32Array {
    this.embeddings.set(rows, start * dim);
    this.barrier.wait();
    return this.embeddings.slice(0, batchSize * dim);
  }

  reduce(gradient: Float32Array, firstShard: number, shardStatistics: Float32Array[]): { gradient: Float32Array; statistics: Float32Array[] } {
    const count = this.sizes.parameterCount;
    const length = this.sizes.statisticsLength;
    if (gradient.length !== count) throw new Error(`gradient has ${gradient.length} values, expected ${count}`);
    this.gradients.set(gradient, this.worker * count);
    shardStatistics.forEach((values, i) => this.statistics.set(values, (firstShard + i) * length));
    this.barrier.wait();
    // Every worker sums in the same (worker) order, so every worker gets the same bits.
    const summed = this.gradients.slice(0, count);
    for (let w = 1; w < this.plan.workers; w++) {
      const offset = w * count;
      for (let i = 0; i < count; i++) summed[i] = (summed[i] as number) + (this.gradients[offset + i] as number);
    }
    const statistics = Array.from({ length: this.plan.shards }, (_, s) => this.statistics.slice(s * length, (s + 1) * length));
    return { gradient: summed, statistics };
  }
}
