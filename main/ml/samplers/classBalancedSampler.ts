import { seededRandom, shuffleInPlace } from './seededRandom';

export interface ClassBalancedOptions {
  /** P: classes per batch. */
  classesPerBatch: number;
  /** K: images per class in a batch. */
  samplesPerClass: number;
  seed?: number;
  /**
   * Group (e.g. data set) of each class label. When given, every class slot of a batch first draws a
   * group uniformly, then that group's next class: a set of 964 characters and one of 101 photo
   * classes then get equal shares of the batches instead of shares by class count.
   */
  classGroups?: ReadonlyMap<number, number>;
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
  const groupOf = (label: number) => options.classGroups?.get(label) ?? 0;
  const groups = [...new Set(classes.map(groupOf))].sort((a, b) => a - b);
  const members = new Map(groups.map((g) => [g, classes.filter((c) => groupOf(c) === g)]));
  const rounds = new Map<number, number[]>(groups.map((g) => [g, []]));

  // Classes of a group are visited in shuffled rounds; across a round boundary a class may already be
  // in this batch: skip it, keep it for later.
  const nextOfGroup = (group: number, chosen: Set<number>): number | undefined => {
    const round = rounds.get(group) as number[];
    const available = (members.get(group) as number[]).filter((c) => !chosen.has(c));
    if (available.length === 0) return undefined;
    if (round.length === 0) round.push(...shuffleInPlace([...(members.get(group) as number[])], random));
    let index = round.findIndex((c) => !chosen.has(c));
    if (index < 0) {
      round.push(...shuffleInPlace(available, random));
      index = round.findIndex((c) => !chosen.has(c));
    }
    return round.splice(index, 1)[0] as number;
  };

  const nextClasses = (): number[] => {
    const chosen = new Set<number>();
    while (chosen.size < p) {
      const open = groups.filter((g) => (members.get(g) as number[]).some((c) => !chosen.has(c)));
      const group = groups.length === 1 ? (groups[0] as number) : (open[Math.floor(random() * open.length)] as number);
      const label = nextOfGroup(group, chosen);
      if (label !== undefined) chosen.add(label);
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
