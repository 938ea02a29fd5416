import { seededRandom, shuffleInPlace } from './seededRandom';

export interface ClassBalancedOptions {
  /** P: classes per batch. */
  classesPerBatch: number;
  /** K: images per class in a batch. */
  samplesPerClass: number;
  seed?: number;
}

export interface BatchSampler {
  /** Dataset indices of the next batch, grouped by class (P groups of K). */
  nextBatch(): number[];
  readonly batchSize: number;
}

export type SamplerResult = { ok: true; sampler: BatchSampler } | { ok: false; code: 'too-few-classes' | 'bad-options'; message: string };

/**
 * P x K batches for metric losses: every batch has positives for every anchor. Classes are visited
 * in shuffled rounds so all are seen equally often; a class with fewer than K images is sampled
 * with replacement (as pytorch-metric-learning's MPerClassSampler does), otherwise without.
 */
export function createClassBalancedSampler(labels: ArrayLike<number>, options: ClassBalancedOptions): SamplerResult {
  const { classesPerBatch: p, samplesPerClass: k } = options;
  if (!Number.isInteger(p) || !Number.isInteger(k) || p < 1 || k < 1) {
    return { ok: false, code: 'bad-options', message: `classesPerBatch and samplesPerClass must be positive integers (got ${p}, ${k})` };
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    const members = byClass.get(label) ?? [];
    members.push(i);
    byClass.set(label, members);
  }
  if (byClass.size < p) {
    return { ok: false, code: 'too-few-classes', message: `a batch needs ${p} classes but the data has ${byClass.size}` };
  }
  const random = seededRandom(options.seed ?? 1);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  let round: number[] = [];

  const nextClasses = (): number[] => {
    const chosen = new Set<number>();
    while (chosen.size < p) {
      if (round.length === 0) round = shuffleInPlace([...classes], random);
      // Across a round boundary a class may already be in this batch: skip it, keep it for later.
      const index = round.findIndex((c) => !chosen.has(c));
      if (index < 0) {
        round.push(...shuffleInPlace(classes.filter((c) => !chosen.has(c)), random));
        continue;
      }
      chosen.add(round.splice(index, 1)[0] as number);
    }
    return [...chosen];
  };

  const drawFrom = (members: number[]): number[] => {
    if (members.length < k) return Array.from({ length: k }, () => members[Math.floor(random() * members.length)] as number);
    return shuffleInPlace([...members], random).slice(0, k);
  };

  return {
    ok: true,
    sampler: {
      batchSize: p * k,
      nextBatch: () => nextClasses().flatMap((label) => drawFrom(byClass.get(label) as number[])),
    },
  };
}
