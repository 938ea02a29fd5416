/** The analyst's settings over a model's recorded adaptation: learnt step sizes follow a changed rate. */
import { describe, expect, it } from 'vitest';
import { withOverride } from '../../main/adaptation/adaptableModel';
import type { AdaptationConfig } from '../../main/ml/adaptation/fewShotAdapt';

const recorded: AdaptationConfig = { group: 'last-stage-head', steps: 10, learningRate: 0.2, earlyStop: true, stepSizes: { 'stage4/conv/kernel': 0.4, 'stage4/bn/gamma': 0.1 } };

describe('withOverride', () => {
  it('keeps the learnt step sizes when the rate sent back is the recorded one', () => {
    expect(withOverride(recorded, { learningRate: 0.2, steps: 5 })).toEqual({ ...recorded, steps: 5 });
    expect(withOverride(recorded)).toEqual(recorded);
  });

  it('scales them with a changed rate, keeping their ratios', () => {
    const config = withOverride(recorded, { learningRate: 0.1 });
    expect(config.learningRate).toBe(0.1);
    expect(config.stepSizes!['stage4/conv/kernel']).toBeCloseTo(0.2, 12);
    expect(config.stepSizes!['stage4/bn/gamma']).toBeCloseTo(0.05, 12);
    expect(recorded.stepSizes!['stage4/conv/kernel']).toBe(0.4); // the recorded config is not changed
  });

  it('takes step sizes given explicitly as they are, and leaves a config without them without them', () => {
    expect(withOverride(recorded, { learningRate: 0.1, stepSizes: { 'stage4/bn/beta': 1 } }).stepSizes).toEqual({ 'stage4/bn/beta': 1 });
    const plain: AdaptationConfig = { group: 'last-stage-head', steps: 10, learningRate: 0.05, earlyStop: true };
    expect(withOverride(plain, { learningRate: 0.5 })).toEqual({ ...plain, learningRate: 0.5 });
  });
});
