/**
 * Per-tensor step sizes in few-shot adaptation (issue 10: learnt in stage 2): names the configuration
 * lists step with their own alpha, the rest with learningRate, in the step selection and the final run,
 * for fixed groups and 'auto'; configurations recorded before the field existed parse and run as before.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptationConfigSchema, AUTO_CANDIDATES, fewShotAdapt, type AdaptationConfig } from '../../../main/ml/adaptation/fewShotAdapt';
import { createEmbeddingNet, type EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { useWasmWithProjectKernels } from '../wasmBackend';
import { classImages } from './classImages';

const arrays = (weights: ReadonlyMap<string, tf.Tensor>) => new Map([...weights].map(([name, t]) => [name, t.dataSync().slice()]));

describe('few-shot adaptation with per-tensor step sizes', () => {
  let net: EmbeddingNet;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8], seed: 4 });
  });
  afterAll(() => net.dispose());

  const adapt = (images: tf.Tensor4D, labels: number[], config: AdaptationConfig) => {
    const fromStage = config.group === 'auto' ? Math.min(...AUTO_CANDIDATES.map((g) => net.firstStageOf(g))) : net.firstStageOf(config.group);
    const features = net.trunkFeatures(images, fromStage - 1);
    const adapted = fewShotAdapt(net, { features, fromStage, labels }, config);
    features.dispose();
    const result = { steps: adapted.steps, stoppedEarly: adapted.stoppedEarly, group: adapted.group, candidates: adapted.candidates?.map(({ seconds: _s, ...c }) => c), weights: arrays(adapted.weights) };
    adapted.dispose();
    return result;
  };

  it('a configuration recorded without stepSizes parses without them and adapts as with every name at learningRate', () => {
    const recorded = JSON.parse('{"group":"last-stage-head","steps":3,"learningRate":0.5,"earlyStop":false}');
    const parsed = adaptationConfigSchema.parse(recorded);
    expect(parsed).toEqual(recorded);
    expect('stepSizes' in parsed).toBe(false);
    expect(adaptationConfigSchema.safeParse({ ...recorded, stepSizes: { x: 0 } }).success).toBe(false); // step sizes are positive
    const { images, labels } = classImages(2, 1);
    const count = tf.memory().numTensors;
    const plain = adapt(images, labels, parsed);
    const listed = adapt(images, labels, { ...parsed, stepSizes: Object.fromEntries(net.parameterNames('last-stage-head').map((name) => [name, 0.5])) });
    const empty = adapt(images, labels, { ...parsed, stepSizes: {} });
    expect(tf.memory().numTensors).toBe(count);
    expect(listed.weights).toEqual(plain.weights);
    expect(empty.weights).toEqual(plain.weights);
    images.dispose();
  });

  it('a listed tensor steps with its own alpha, the others with learningRate', () => {
    const { images, labels } = classImages(2, 2);
    const [listedName, ...others] = net.parameterNames('last-stage-head') as [string, ...string[]];
    const base: AdaptationConfig = { group: 'last-stage-head', steps: 1, learningRate: 0.1, earlyStop: false };
    const plain = adapt(images, labels, base);
    const scaled = adapt(images, labels, { ...base, stepSizes: { [listedName]: 0.3 } });
    const init = (net.variables.get(listedName) as tf.Variable).dataSync();
    // One step: theta - alpha g, so the listed tensor's displacement is 3x the common rate's.
    const delta = (weights: Map<string, Float32Array | Int32Array | Uint8Array>) => Array.from(weights.get(listedName)!, (v, i) => v - (init[i] as number));
    const ratio = delta(scaled.weights).map((d, i) => [d, 3 * (delta(plain.weights)[i] as number)]);
    expect(ratio.some(([, expected]) => Math.abs(expected as number) > 1e-4)).toBe(true);
    for (const [d, expected] of ratio) expect(d).toBeCloseTo(expected as number, 5);
    for (const name of others) expect(scaled.weights.get(name)).toEqual(plain.weights.get(name));
    images.dispose();
  });

  it('the held-out step selection uses them: every name at a wild alpha behaves as a wild learningRate', () => {
    const { images, labels } = classImages(4, 3);
    const base: AdaptationConfig = { group: 'last-stage-head', steps: 30, learningRate: 200, earlyStop: true };
    const wild = adapt(images, labels, base);
    expect(wild.stoppedEarly).toBe(true);
    const viaStepSizes = adapt(images, labels, { ...base, learningRate: 0.05, stepSizes: Object.fromEntries(net.parameterNames('last-stage-head').map((name) => [name, 200])) });
    expect(viaStepSizes).toEqual(wild);
    const tame = adapt(images, labels, { ...base, learningRate: 0.05 });
    expect(tame.steps).not.toBe(wild.steps);
    images.dispose();
  });

  it("group 'auto': every candidate's selection and the final run use the names listed", () => {
    const { images, labels } = classImages(4, 5);
    const names = [...new Set(AUTO_CANDIDATES.flatMap((g) => net.parameterNames(g)))];
    const base: AdaptationConfig = { group: 'auto', steps: 30, learningRate: 200, earlyStop: true };
    const wild = adapt(images, labels, base);
    expect(wild.candidates?.length).toBe(AUTO_CANDIDATES.length);
    expect(adapt(images, labels, { ...base, learningRate: 0.05, stepSizes: Object.fromEntries(names.map((name) => [name, 200])) })).toEqual(wild);
    // Listing only the last stage's tensors: that candidate runs as the wild one did, and a candidate
    // without them (the rectifiers) steps at learningRate alone, as without stepSizes.
    const lastStage = net.parameterNames('last-stage-head');
    expect(net.parameterNames('rectifiers').some((name) => lastStage.includes(name))).toBe(false);
    const mixed = adapt(images, labels, { ...base, learningRate: 0.05, stepSizes: Object.fromEntries(lastStage.map((name) => [name, 200])) });
    const candidate = (result: typeof wild, group: string) => result.candidates?.find((c) => c.group === group);
    expect(candidate(mixed, 'last-stage-head')).toEqual(candidate(wild, 'last-stage-head'));
    const tameRectifiers = adapt(images, labels, { ...base, learningRate: 0.05, group: 'rectifiers' });
    expect(candidate(mixed, 'rectifiers')?.steps).toBe(tameRectifiers.steps);
    expect(candidate(wild, 'rectifiers')?.steps).not.toBe(tameRectifiers.steps);
    images.dispose();
  });
});
