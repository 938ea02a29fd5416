import { describe, expect, it } from 'vitest';
import { describeStepSizes, STEP_SIZE_BOUNDS, StepSizeLearner, stepSizeStateSchema } from '../../../main/ml/meta/stepSizes';

describe('StepSizeLearner (Adam on log alpha)', () => {
  it('starts at the initial values, per name with a fallback', () => {
    expect(new StepSizeLearner(['a', 'b'], 0.2, 0.01).stepSizes).toEqual({ a: expect.closeTo(0.2, 12), b: expect.closeTo(0.2, 12) });
    expect(new StepSizeLearner(['a', 'b'], { a: 0.5 }, 0.01, { fallback: 0.1 }).stepSizes).toEqual({ a: expect.closeTo(0.5, 12), b: expect.closeTo(0.1, 12) });
    expect(() => new StepSizeLearner(['a'], {}, 0.01)).toThrow(/no valid initial step size/);
  });

  it("Adam's first step moves log alpha by the learning rate against the gradient's sign; no gradient, no move", () => {
    const learner = new StepSizeLearner(['up', 'down', 'still'], 0.2, 0.05);
    learner.update(new Map([['up', -3], ['down', 0.001]]));
    const { up, down, still } = learner.stepSizes as Record<string, number>;
    expect(Math.log(up!) - Math.log(0.2)).toBeCloseTo(0.05, 6);
    expect(Math.log(down!) - Math.log(0.2)).toBeCloseTo(-0.05, 4);
    expect(still).toBeCloseTo(0.2, 12);
  });

  it('keeps alpha within its bounds', () => {
    const learner = new StepSizeLearner(['a', 'b'], { a: 1e-6, b: 100 }, 1);
    expect(learner.stepSizes.a).toBeCloseTo(STEP_SIZE_BOUNDS.min, 12);
    expect(learner.stepSizes.b).toBeCloseTo(STEP_SIZE_BOUNDS.max, 9);
    for (let i = 0; i < 30; i++) learner.update(new Map([['a', 1], ['b', -1]]));
    expect(learner.stepSizes.a).toBeGreaterThanOrEqual(STEP_SIZE_BOUNDS.min * (1 - 1e-12));
    expect(learner.stepSizes.b).toBeLessThanOrEqual(STEP_SIZE_BOUNDS.max * (1 + 1e-12));
  });

  it('a learner rebuilt from its JSON state continues exactly as the original', () => {
    const gradients = [0.3, -0.1, 0.7, 0.2, -0.4].map((g, i) => new Map([['a', g], ['b', g * (i - 2)]]));
    const straight = new StepSizeLearner(['a', 'b'], 0.2, 0.1);
    for (const g of gradients) straight.update(g);
    const first = new StepSizeLearner(['a', 'b'], 0.2, 0.1);
    for (const g of gradients.slice(0, 2)) first.update(g);
    const state = stepSizeStateSchema.parse(JSON.parse(JSON.stringify(first.state())));
    // The initial value is ignored where the state has the name.
    const resumed = new StepSizeLearner(['a', 'b'], 5, 0.1, { state });
    for (const g of gradients.slice(2)) resumed.update(g);
    expect(resumed.state()).toEqual(straight.state());
    expect(resumed.stepSizes).toEqual(straight.stepSizes);
  });

  it('describes a range', () => {
    expect(describeStepSizes({ a: 0.0123456, b: 0.31 })).toBe('alpha 0.0123-0.31 over 2 tensors');
    expect(describeStepSizes({ a: 0.2 })).toBe('alpha 0.2 over 1 tensor');
  });
});
