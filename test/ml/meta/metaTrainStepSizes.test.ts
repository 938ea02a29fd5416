/**
 * Stage 2 learning only the inner step sizes (issue 10): the weights stay the init's bit for bit, the
 * step sizes move and are the model's adaptation, meta-validation adapts with the current ones, and
 * --resume continues them as an uninterrupted run would.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptationConfigSchema } from '../../../main/ml/adaptation/fewShotAdapt';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { metaTrain, type MetaTrainOptions } from '../../../main/ml/meta/metaTrain';
import { STEP_SIZE_BOUNDS, stepSizeStateSchema } from '../../../main/ml/meta/stepSizes';
import { createEmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { loadModelPackage, saveModelPackage } from '../../../main/ml/package/modelPackage';
import { writeShapesFolder } from '../evaluation/support/shapesFolder';
import { useWasmWithProjectKernels } from '../wasmBackend';

let root: string;
let data: string;
let init: string;
let groupNames: string[];

beforeAll(async () => {
  await useWasmWithProjectKernels();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-meta-step-sizes-'));
  data = await writeShapesFolder(path.join(root, 'shapes'), 8, 10, 20, 3);
  init = path.join(root, 'init');
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 3, widths: [4, 4, 4, 4], seed: 3 });
  groupNames = net.parameterNames('last-stage-head');
  await saveModelPackage(init, net, {
    name: 'init',
    preprocess: defaultPreprocessSpec(16, 3),
    provenance: { stage: 'pretrain', datasets: [], parent: null, created: new Date().toISOString(), backend: 'test', trainingSeconds: 0, steps: 0, complete: true },
    metrics: { loss: [], validation: [], final: null },
  });
  net.dispose();
}, 60_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const common = (out: string): MetaTrainOptions => ({
  init,
  datasets: [data],
  out,
  way: 3,
  shot: 2,
  queries: 2,
  metaBatch: 2,
  innerSteps: 2,
  innerLearningRate: 0.2,
  validationFraction: 0.5,
  validationEpisodes: 2,
  validateEverySteps: 2,
  learnStepSizes: true,
  stepSizeLearningRate: 0.3,
  backend: 'wasm',
});

async function weightsOf(dir: string): Promise<Map<string, Float32Array>> {
  const loaded = await loadModelPackage(dir);
  if (!loaded.ok) throw new Error(loaded.message);
  const values = new Map([...loaded.net.variables].map(([name, v]) => [name, (v as tf.Variable).dataSync().slice() as Float32Array]));
  loaded.net.dispose();
  return values;
}

async function adaptationOf(dir: string) {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
  return { options: manifest.provenance.options, adaptation: adaptationConfigSchema.parse(manifest.provenance.options.adaptation), validation: manifest.metrics.validation as { step: number; mapAtR: number; recallAt1: number }[] };
}

const stateOf = async (checkpoint: string) => stepSizeStateSchema.parse(JSON.parse(await fs.readFile(path.join(checkpoint, 'trainer-state.json'), 'utf8')).extra.stepSizes);

describe('metaTrain with learnt step sizes', () => {
  it('frozen weights: the weights stay the init\'s bit for bit while the step sizes move and become the adaptation', async () => {
    const out = path.join(root, 'frozen');
    const result = await metaTrain({ ...common(out), steps: 4, freezeWeights: true });
    if (!result.ok) throw new Error(result.message);
    const initWeights = await weightsOf(init);
    expect(await weightsOf(out)).toEqual(initWeights);
    expect(await weightsOf(`${out}.checkpoint`)).toEqual(initWeights);

    // The checkpoint holds the last step's step sizes; every tensor of the group has one, within bounds.
    const last = await adaptationOf(`${out}.checkpoint`);
    expect(Object.keys(last.adaptation.stepSizes ?? {}).sort()).toEqual([...groupNames].sort());
    const values = Object.values(last.adaptation.stepSizes ?? {});
    expect(values.some((alpha) => Math.abs(Math.log(alpha / 0.2)) > 0.1)).toBe(true);
    for (const alpha of values) expect(alpha).toBeGreaterThanOrEqual(STEP_SIZE_BOUNDS.min);
    expect((await stateOf(`${out}.checkpoint`)).iterations).toBe(4);

    // The package: the selected step's step sizes, recorded with the options that made them.
    const packaged = await adaptationOf(out);
    expect(packaged.adaptation).toMatchObject({ group: 'last-stage-head', steps: 2, learningRate: 0.2, earlyStop: true });
    expect(packaged.adaptation.stepSizes).toEqual(result.stepSizes);
    expect(packaged.options).toMatchObject({ learnStepSizes: true, stepSizeLearningRate: 0.3, freezeWeights: true });
    // With the weights fixed, only the step sizes can change meta-validation: it adapts with the current ones.
    expect(packaged.validation.map((p) => p.step)).toEqual([0, 2, 4]);
    expect(new Set(packaged.validation.map((p) => `${p.mapAtR} ${p.recallAt1}`)).size).toBeGreaterThan(1);
  }, 120_000);

  it('resume continues the step sizes (and their Adam moments) as an uninterrupted run does', async () => {
    const straight = path.join(root, 'straight');
    const full = await metaTrain({ ...common(straight), steps: 4 });
    if (!full.ok) throw new Error(full.message);
    const split = path.join(root, 'split');
    const first = await metaTrain({ ...common(split), steps: 2 });
    if (!first.ok) throw new Error(first.message);
    expect((await stateOf(`${split}.checkpoint`)).iterations).toBe(2);
    const resumed = await metaTrain({ ...common(split), steps: 4, resume: true });
    if (!resumed.ok) throw new Error(resumed.message);
    const a = await stateOf(`${straight}.checkpoint`);
    const b = await stateOf(`${split}.checkpoint`);
    expect(b.iterations).toBe(4);
    for (const name of groupNames) {
      expect(b.logStepSizes[name]).toBeCloseTo(a.logStepSizes[name] as number, 6);
      expect(b.m[name]).toBeCloseTo(a.m[name] as number, 6);
    }
    // The weights were meta-trained too here (not frozen), and the step sizes moved from alpha.
    expect(await weightsOf(`${straight}.checkpoint`)).not.toEqual(await weightsOf(init));
    expect(Object.values(a.logStepSizes).some((value) => Math.abs(value - Math.log(0.2)) > 0.1)).toBe(true);
  }, 180_000);

  it('refuses frozen weights without learnt step sizes', async () => {
    const result = await metaTrain({ ...common(path.join(root, 'bad')), learnStepSizes: false, freezeWeights: true, steps: 1 });
    expect(result).toMatchObject({ ok: false, code: 'bad-options' });
  });
});
