// A query vector from a cached trunk row (while an adapted profile re-embeds the archive) equals the
// model's full pass on the image, within the 8-bit row's precision; no row: null (the file is embedded).
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trunkSpecOf } from '../../main/adaptation/trunkKey';
import { openCatalogue, type Catalogue } from '../../main/catalogue/catalogue';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet, type EmbeddingNet } from '../../main/ml/models/embeddingNet';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { registerModelPackage } from '../../main/ml/package/registerModel';
import { createTrunkVectors, type TrunkVectors } from '../../main/search/trunkVectors';
import { tempDir } from '../ingest/support/fixtures';
import { seededRandom, useWasmWithProjectKernels } from '../ml/wasmBackend';

describe('query vectors from cached trunk rows', () => {
  let work: ReturnType<typeof tempDir>;
  let catalogue: Catalogue;
  let net: EmbeddingNet;
  let trunkVectors: TrunkVectors;
  beforeAll(async () => {
    await useWasmWithProjectKernels();
    work = tempDir('trunk-vectors');
    catalogue = openCatalogue(path.join(work.dir, 'catalogue.sqlite'));
    net = createEmbeddingNet({ arch: 'conv4', inputSize: 28, channels: 1, seed: 11 });
    trunkVectors = createTrunkVectors({ catalogue, modelsDir: path.join(work.dir, 'models'), preferBackends: ['wasm'] });
  });
  afterAll(() => {
    trunkVectors?.close();
    net?.dispose();
    catalogue?.close();
    work?.cleanup();
  });

  it('runs the adapted stages on the row and matches a full pass', async () => {
    const modelsDir = path.join(work.dir, 'models');
    const dir = path.join(modelsDir, 'm');
    const manifest = await saveModelPackage(dir, net, {
      name: 'm',
      preprocess: defaultPreprocessSpec(28, 1),
      provenance: { stage: 'pretrain', datasets: [], parent: null, created: '2026-01-01', backend: 'test', trainingSeconds: 0, steps: 0, complete: true },
      metrics: { loss: [], validation: [], final: null },
    });
    const registered = registerModelPackage(catalogue.models, modelsDir, dir, manifest);
    if (!registered.ok) throw new Error(registered.message);
    const model = registered.model;
    const imageId = Number(catalogue.db.prepare("INSERT INTO images (hash, width, height, format, byte_size, added_at, meta) VALUES ('ab', 28, 28, 'png', 1, '', '{}')").run().lastInsertRowid);

    const random = seededRandom(12);
    const image = tf.tensor4d(Float32Array.from({ length: 28 * 28 }, () => random() * 2 - 1), [1, 28, 28, 1]);
    const { key, fromStage } = trunkSpecOf(net, manifest);
    const row = tf.tidy(() => net.trunkFeatures(image, fromStage - 1));
    catalogue.trunkFeatures.putMany(key, [imageId], new Float32Array(row.dataSync()));
    row.dispose();
    const full = tf.tidy(() => net.embed(image));
    const expected = new Float32Array(full.dataSync());
    full.dispose();
    image.dispose();

    const vector = await trunkVectors.vectorOf(model, imageId);
    expect(vector).not.toBeNull();
    expect(vector!.length).toBe(expected.length);
    let dot = 0;
    expected.forEach((v, i) => (dot += v * vector![i]!));
    expect(dot).toBeGreaterThan(0.995); // both L2-normalised; 8-bit rows cost a little
    expect(await trunkVectors.vectorOf(model, imageId + 1)).toBeNull();
  }, 60_000);
});
