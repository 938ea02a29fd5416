import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImageFolder } from '../../../main/ml/data/imageFolder';
import { labelledPoolFromImageFolder } from '../../../main/ml/episodes/labelledPool';
import { evaluate, type MethodReport } from '../../../main/ml/evaluation/evaluate';
import { preprocessedInputs } from '../../../main/ml/evaluation/inputSource';
import { createMethods } from '../../../main/ml/evaluation/methods';
import type { EmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { loadModelPackage } from '../../../main/ml/package/modelPackage';
import { useWasmWithProjectKernels } from '../wasmBackend';

// The shipped default model on novel Omniglot classes: a short run of the real protocol, so a broken
// model, preprocessing or metric shows up as "trained is not clearly above random".
const repoRoot = path.resolve(import.meta.dirname, '../../..');
const dataRoot = process.env.SIMILA_DATA ?? path.resolve(repoRoot, '../shared/data');
const omniglotEvaluation = path.join(dataRoot, 'omniglot', 'evaluation');
const shipped = path.join(repoRoot, 'assets', 'models', 'stage1-conv4');
const available = existsSync(omniglotEvaluation) && existsSync(path.join(shipped, 'manifest.json'));

let net: EmbeddingNet | undefined;

describe.skipIf(!available)('shipped stage-1 model on omniglot/evaluation (skipped without the data set or the model)', () => {
  beforeAll(async () => {
    await useWasmWithProjectKernels();
  });
  afterAll(() => net?.dispose());

  it('retrieves novel characters far better than the same network with random weights', async () => {
    const loaded = await loadModelPackage(shipped);
    if (!loaded.ok) throw new Error(loaded.message);
    net = loaded.net;
    const scanned = await scanImageFolder(omniglotEvaluation);
    if (!scanned.ok) throw new Error(scanned.message);
    const inputs = preprocessedInputs<string>(loaded.manifest.preprocess, (file) => file);
    const made = createMethods(['random', 'dml'], { net, inputs, seed: 1 });
    if (!made.ok) throw new Error(made.message);
    const result = await evaluate({ pool: labelledPoolFromImageFolder(scanned.folder), methods: made.methods, way: 5, shot: 5, queries: 15, episodes: 10, seed: 1 });
    for (const method of made.methods) method.dispose?.();
    if (!result.ok) throw new Error(result.message);
    const [random, dml] = result.report.results as [MethodReport, MethodReport];
    expect(inputs.failures.size).toBe(0);
    expect(dml.map_at_r).toBeGreaterThan(random.map_at_r + 0.15);
    expect(dml.recall_at_1).toBeGreaterThan(random.recall_at_1);
  }, 240_000);
});
