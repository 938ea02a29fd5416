import { describe, expect, it } from 'vitest';
import { createClassBalancedSampler } from '../../main/ml/samplers/classBalancedSampler';

// 10 classes of uneven size: class c has 2 + c images (classes 0 and 1 have fewer than K = 4).
const labels = Array.from({ length: 10 }, (_, c) => Array.from({ length: 2 + c }, () => c)).flat();

function sampler(seed: number) {
  const result = createClassBalancedSampler(labels, { classesPerBatch: 3, samplesPerClass: 4, seed });
  if (!result.ok) throw new Error(result.message);
  return result.sampler;
}

describe('class-balanced sampler', () => {
  it('gives P distinct classes x K images each', () => {
    const s = sampler(3);
    for (let b = 0; b < 50; b++) {
      const batch = s.nextBatch();
      expect(batch).toHaveLength(12);
      const groups = [0, 1, 2].map((g) => batch.slice(g * 4, g * 4 + 4).map((i) => labels[i]));
      for (const group of groups) expect(new Set(group).size).toBe(1);
      expect(new Set(groups.map((g) => g[0])).size).toBe(3);
    }
  });

  it('draws without replacement when a class has K or more images', () => {
    const s = sampler(5);
    for (let b = 0; b < 30; b++) {
      const batch = s.nextBatch();
      for (let g = 0; g < 3; g++) {
        const group = batch.slice(g * 4, g * 4 + 4);
        if (labels[group[0]!]! >= 2) expect(new Set(group).size).toBe(4);
      }
    }
  });

  it('visits classes evenly', () => {
    const s = sampler(9);
    const counts = new Array(10).fill(0);
    for (let b = 0; b < 100; b++) for (const i of s.nextBatch().filter((_, j) => j % 4 === 0)) counts[labels[i]!]++;
    // 300 class slots over 10 classes: rounds keep every class within one round of 30.
    for (const count of counts) expect(Math.abs(count - 30)).toBeLessThanOrEqual(2);
  });

  it('is reproducible from its seed and differs across seeds', () => {
    const a = sampler(42);
    const b = sampler(42);
    const c = sampler(43);
    const runA = [a.nextBatch(), a.nextBatch()];
    expect([b.nextBatch(), b.nextBatch()]).toEqual(runA);
    expect([c.nextBatch(), c.nextBatch()]).not.toEqual(runA);
  });

  it('returns an error value for impossible requests', () => {
    const tooMany = createClassBalancedSampler(labels, { classesPerBatch: 11, samplesPerClass: 2 });
    expect(tooMany).toMatchObject({ ok: false, code: 'too-few-classes' });
    expect(createClassBalancedSampler(labels, { classesPerBatch: 0, samplesPerClass: 2 })).toMatchObject({ ok: false, code: 'bad-options' });
  });

  it('with class groups, gives each group an equal share of the batches whatever its class count', () => {
    // 40 classes in group 0, 4 classes in group 1, 5 images each.
    const many = Array.from({ length: 44 }, (_, c) => Array.from({ length: 5 }, () => c)).flat();
    const groups = new Map(Array.from({ length: 44 }, (_, c) => [c, c < 40 ? 0 : 1]));
    const made = createClassBalancedSampler(many, { classesPerBatch: 4, samplesPerClass: 2, seed: 5, classGroups: groups });
    if (!made.ok) throw new Error(made.message);
    let small = 0;
    let total = 0;
    for (let b = 0; b < 400; b++) {
      const batch = made.sampler.nextBatch();
      const classes = new Set(batch.map((i) => many[i] as number));
      expect(classes.size).toBe(4);
      for (const c of classes) if (c >= 40) small++;
      total += classes.size;
    }
    // Without groups the 4 small classes would get 4/44 = 9% of the slots; with groups about half.
    expect(small / total).toBeGreaterThan(0.4);
    expect(small / total).toBeLessThan(0.6);
  });
});
