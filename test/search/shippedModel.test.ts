import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalogue } from '../../main/catalogue/catalogue';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { findShippedAlternatives, findShippedModel, installShippedModel } from '../../main/search/shippedModel';
import { useWasmWithProjectKernels } from '../ml/wasmBackend';

let root: string;

async function shipped(folder: string, name: string, inputSize: number, channels: 1 | 3): Promise<void> {
  const net = createEmbeddingNet({ arch: 'conv4', inputSize, channels, widths: [4, 4, 4, 4] });
  await saveModelPackage(path.join(root, 'assets', 'models', folder), net, {
    name,
    preprocess: defaultPreprocessSpec(inputSize, channels),
    provenance: { stage: 'meta', datasets: [], parent: null, created: new Date(0).toISOString(), backend: 'wasm', trainingSeconds: 0, steps: 0, complete: true },
    metrics: { loss: [], validation: [], final: null },
  });
  net.dispose();
}

beforeAll(async () => {
  await useWasmWithProjectKernels();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-shipped-'));
  await shipped('default', 'default', 16, 1);
  await shipped('characters-gray28', 'characters-gray28', 16, 3);
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('shipped models', () => {
  it('installs the default as the active profile and the character alternative beside it, inactive; twice changes nothing', async () => {
    const catalogue = openCatalogue(':memory:');
    const modelsDir = path.join(root, 'home-models');
    const defaultDir = findShippedModel(root);
    expect(defaultDir).toBe(path.join(root, 'assets', 'models', 'default'));
    const alternatives = findShippedAlternatives(root);
    expect(alternatives).toEqual([path.join(root, 'assets', 'models', 'characters-gray28')]);
    for (let run = 0; run < 2; run++) {
      const main = await installShippedModel(catalogue, modelsDir, defaultDir as string);
      const alternative = await installShippedModel(catalogue, modelsDir, alternatives[0] as string, { activate: false });
      expect(main.ok && alternative.ok).toBe(true);
      if (!main.ok || !alternative.ok) return;
      expect(main.installed).toBe(run === 0);
      expect(alternative.activated).toBe(false);
    }
    expect(catalogue.models.list().map((m) => m.name).sort()).toEqual(['characters-gray28', 'default']);
    expect(catalogue.models.active()?.name).toBe('default');
    catalogue.close();
  });

  it('an alternative alone is never made active, even with nothing else installed', async () => {
    const catalogue = openCatalogue(':memory:');
    const result = await installShippedModel(catalogue, path.join(root, 'home-models-2'), path.join(root, 'assets', 'models', 'characters-gray28'), { activate: false });
    expect(result.ok).toBe(true);
    expect(catalogue.models.active()).toBeUndefined();
    catalogue.close();
  });
});
