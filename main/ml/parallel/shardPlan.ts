/**
 * How a batch of B images is cut into S shards (each with its own batch-norm statistics: "ghost
 * batches") and how the shards are dealt to W workers. The plan depends on B and S only, so the same
 * seed and data give the same training whatever W is: W changes who computes a shard, not what it is.
 */
export interface ShardPlan {
  batchSize: number;
  shards: number;
  workers: number;
  /** Row where shard s starts (length shards + 1; the last entry is batchSize). */
  shardStarts: number[];
  /** Shards of worker w: [firstShard[w], firstShard[w + 1]). */
  firstShard: number[];
}

export function planShards(batchSize: number, shards: number, workers: number): ShardPlan {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`shards must be a positive integer (got ${shards})`);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer (got ${workers})`);
  if (workers > shards) throw new Error(`${workers} workers need at least as many shards (got ${shards})`);
  if (shards * 2 > batchSize) throw new Error(`a batch of ${batchSize} cannot be cut into ${shards} shards of at least 2 images (batch norm needs 2)`);
  const shardStarts = Array.from({ length: shards + 1 }, (_, s) => Math.floor((s * batchSize) / shards));
  const firstShard = Array.from({ length: workers + 1 }, (_, w) => Math.floor((w * shards) / workers));
  return { batchSize, shards, workers, shardStarts, firstShard };
}

/** Rows [start, end) of the batch that worker w computes, and its shards' sizes. */
export function workerRows(plan: ShardPlan, worker: number): { start: number; end: number; shardSizes: number[]; firstShard: number } {
  const first = plan.firstShard[worker] as number;
  const last = plan.firstShard[worker + 1] as number;
  const shardSizes: number[] = [];
  for (let s = first; s < last; s++) shardSizes.push((plan.shardStarts[s + 1] as number) - (plan.shardStarts[s] as number));
  return { start: plan.shardStarts[first] as number, end: plan.shardStarts[last] as number, shardSizes, firstShard: first };
}
