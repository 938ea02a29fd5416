import { describe, expect, it } from 'vitest';
import type { LabelledImage } from '../../../main/ml/data/labelledImages';
import { splitByClass } from '../../../main/ml/training/validationPool';

function images(classes: number, perClass: number): LabelledImage[] {
  return Array.from({ length: classes * perClass }, (_, i) => ({ path: `img${i}.png`, label: Math.floor(i / perClass) }));
}

describe('splitByClass', () => {
  it('holds out whole classes of every set, capped per class, and trains on the rest', () => {
    // Set 0: labels 0-39, set 1: labels 40-59.
    const classSets = Array.from({ length: 60 }, (_, label) => (label < 40 ? 0 : 1));
    const split = splitByClass(images(60, 20), classSets, { fraction: 0.1, imagesPerClass: 5, seed: 1 });
    const held = new Set(split.validation.map((i) => i.label));
    expect(split.validationClasses).toBe(6);
    expect(held.size).toBe(6);
    expect([...held].filter((l) => l < 40)).toHaveLength(4);
    expect([...held].filter((l) => l >= 40)).toHaveLength(2);
    expect(split.validation).toHaveLength(30);
    expect(split.train.some((i) => held.has(i.label))).toBe(false);
    expect(split.train).toHaveLength(54 * 20);
    // Same seed, same split; another seed, another one.
    expect(splitByClass(images(60, 20), classSets, { fraction: 0.1, imagesPerClass: 5, seed: 1 }).validation).toEqual(split.validation);
    expect(splitByClass(images(60, 20), classSets, { fraction: 0.1, imagesPerClass: 5, seed: 2 }).validation).not.toEqual(split.validation);
  });

  it('holds out nothing from a set too small to spare classes', () => {
    const split = splitByClass(images(3, 4), [0, 0, 0], { fraction: 0.5, imagesPerClass: 5, seed: 1 });
    expect(split.validation.length).toBeLessThanOrEqual(4);
    expect(new Set(split.train.map((i) => i.label)).size).toBeGreaterThanOrEqual(2);
  });
});
