/**
 * Learnt step sizes in `simila eval` (issue 10): "ours" adapts with the model's configuration, its
 * per-tensor step sizes included; "sft" (and "maml" without an init) fine-tune with the same settings
 * but one learning rate, so the step sizes count as what meta-learning contributes.
 */
import { describe, expect, it } from 'vitest';
import { adaptingMethod, type AdaptingMethod } from '../../../main/ml/adaptation/adaptingMethod';
import type { AdaptationConfig } from '../../../main/ml/adaptation/fewShotAdapt';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { sampleEpisodes, type Episode } from '../../../main/ml/episodes/episodeSampler';
import { preprocessedInputs } from '../../../main/ml/evaluation/inputSource';
import type { Method } from '../../../main/ml/evaluation/method';
import { createMethods, withoutStepSizes } from '../../../main/ml/evaluation/methods';
import { useShapesPool } from './support/shapesFolder';

const shapes = useShapesPool('methods-step-sizes', 4, 6);

async function embeddingsOf(method: Method<string>, episode: Episode<string>): Promise<number[][]> {
  const embedder = await method.prepare(episode);
  const rows = await embedder.embed(episode.query.map((q) => q.itemId));
  embedder.release?.();
  return rows.map((row) => Array.from(row));
}

describe('learnt step sizes in the compared methods', () => {
  it('ours adapts with them, sft and maml (no init) without them, and the notes say so', async () => {
    const net = shapes.net();
    const inputs = preprocessedInputs<string>(defaultPreprocessSpec(28, 3), (id) => id);
    const plain: AdaptationConfig = { group: 'last-stage-head', steps: 3, learningRate: 0.05, earlyStop: false };
    const learnt: AdaptationConfig = { ...plain, stepSizes: Object.fromEntries(net.parameterNames('last-stage-head').map((name, i) => [name, 0.5 + i * 0.25])) };
    expect(withoutStepSizes(learnt)).toEqual(plain);
    expect('stepSizes' in withoutStepSizes(learnt)).toBe(false);
    const plan = sampleEpisodes(shapes.pool(), { way: 3, shot: 2, queries: 3, episodes: 1, seed: 4 });
    if (!plan.ok) throw new Error(plan.message);
    const episode = plan.episodes[0]!;

    const notes: Record<string, string> = {};
    // No stage-1 parent: sft fine-tunes the evaluated network, so only the step sizes tell it from ours.
    const made = createMethods(['sft', 'maml', 'ours'], { net, inputs, seed: 1, adaptation: learnt, notes });
    if (!made.ok) throw new Error(made.message);
    const [sft, maml, ours] = made.methods as [Method<string>, Method<string>, AdaptingMethod<string>];
    const withPlain = adaptingMethod('plain', net, inputs, plain);
    const withLearnt = adaptingMethod('learnt', net, inputs, learnt);
    try {
      expect(ours.config).toEqual(learnt);
      const sftRows = await embeddingsOf(sft, episode);
      expect(sftRows).toEqual(await embeddingsOf(withPlain, episode));
      const oursRows = await embeddingsOf(ours, episode);
      expect(oursRows).toEqual(await embeddingsOf(withLearnt, episode));
      expect(oursRows).not.toEqual(sftRows);
      await embeddingsOf(maml, episode);
    } finally {
      for (const method of [...made.methods, withPlain, withLearnt]) method.dispose?.();
    }
    expect(notes.ours).toMatch(/learnt per-tensor step sizes alpha 0\.5-\d(\.\d+)? over \d+ tensors/);
    expect(notes.sft).not.toMatch(/step sizes/);
    expect(notes.maml).not.toMatch(/step sizes/);
    expect(notes.sft).toMatch(/3 steps, lr 0\.05/);
  }, 60_000);
});
