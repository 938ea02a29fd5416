import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPreprocessSpec } from '../../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../../main/ml/models/embeddingNet';
import { loadModelPackage, saveModelPackage, type ManifestInput } from '../../../main/ml/package/modelPackage';
import { useWasmWithProjectKernels } from '../wasmBackend';

let root: string;

function manifestInput(inputSize: number): ManifestInput {
  return {
    name: 'test-model',
    preprocess: defaultPreprocessSpec(inputSize, 1),
    provenance: { stage: 'random', datasets: [], parent: null, created: new Date(0).toISOString(), backend: 'wasm', trainingSeconds: 0, steps: 0, complete: true },
    metrics: { loss: [], validation: [], final: null },
  };
}

beforeAll(async () => {
  await useWasmWithProjectKernels();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-package-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('model package', () => {
  it('round-trips to identical embeddings, batch-norm statistics included', async () => {
    const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], projectionDim: 5, seed: 3 });
    // Move the running statistics away from their initial values so that saving them matters.
    const x = tf.randomNormal([6, 16, 16, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    tf.tidy(() => net.embed(x, { training: true }));
    const dir = path.join(root, 'roundtrip');
    const written = await saveModelPackage(dir, net, manifestInput(16));
    expect(written.embeddingDim).toBe(5);
    expect(written.parameterGroups['all']?.length).toBeGreaterThan(0);
    const loaded = await loadModelPackage(dir);
    if (!loaded.ok) throw new Error(loaded.message);
    const expected = tf.tidy(() => net.embed(x)).arraySync();
    const actual = tf.tidy(() => loaded.net.embed(x)).arraySync();
    expect(actual).toEqual(expected);
    // A freshly seeded net of another seed embeds differently: equality above is not a given.
    const other = createEmbeddingNet({ ...net.config, seed: 4 });
    expect(tf.tidy(() => other.embed(x)).arraySync()).not.toEqual(expected);
    expect(loaded.manifest.architecture).toEqual(net.config);
    expect((await fs.readdir(root)).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    for (const n of [net, loaded.net, other]) n.dispose();
    x.dispose();
  });

  it('round-trips a dwsconv4 with a projection head (depthwise filters, both batch norms of a unit)', async () => {
    const net = createEmbeddingNet({ arch: 'dwsconv4', inputSize: 16, channels: 3, widths: [4, 8, 8, 12], projectionDim: 6, seed: 5 });
    const x = tf.randomNormal([6, 16, 16, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    tf.tidy(() => net.embed(x, { training: true }));
    const dir = path.join(root, 'dwsconv4');
    const written = await saveModelPackage(dir, net, { ...manifestInput(16), preprocess: defaultPreprocessSpec(16, 3) });
    expect(written.architecture).toMatchObject({ arch: 'dwsconv4', widths: [4, 8, 8, 12], projectionDim: 6 });
    expect(written.embeddingDim).toBe(6);
    const loaded = await loadModelPackage(dir);
    if (!loaded.ok) throw new Error(loaded.message);
    expect(loaded.manifest.architecture).toEqual(net.config);
    expect(tf.tidy(() => loaded.net.embed(x)).arraySync()).toEqual(tf.tidy(() => net.embed(x)).arraySync());
    // The same weights read as another architecture are refused, not half-loaded.
    const file = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>;
    manifest.architecture.arch = 'conv4';
    await fs.writeFile(file, JSON.stringify(manifest));
    const misread = await loadModelPackage(dir);
    expect(misread.ok).toBe(false);
    manifest.architecture.arch = 'mobilenet';
    await fs.writeFile(file, JSON.stringify(manifest));
    expect((await loadModelPackage(dir)).ok).toBe(false);
    for (const n of [net, loaded.net]) n.dispose();
    x.dispose();
  });

  it('answers a missing package, a corrupt or invalid manifest and short weights with clear error values', async () => {
    const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [4, 4, 4, 4] });
    const dir = path.join(root, 'broken');
    await saveModelPackage(dir, net, manifestInput(16));
    net.dispose();

    expect(await loadModelPackage(path.join(root, 'absent'))).toMatchObject({ ok: false, code: 'package-missing' });

    const manifestFile = path.join(dir, 'manifest.json');
    const good = await fs.readFile(manifestFile, 'utf8');
    await fs.writeFile(manifestFile, good.slice(0, good.length / 2));
    const corrupt = await loadModelPackage(dir);
    expect(corrupt).toMatchObject({ ok: false, code: 'manifest-corrupt' });
    if (!corrupt.ok) expect(corrupt.message).toContain('manifest.json');

    await fs.writeFile(manifestFile, JSON.stringify({ ...JSON.parse(good), embeddingDim: 'wide' }));
    const invalid = await loadModelPackage(dir);
    expect(invalid).toMatchObject({ ok: false, code: 'manifest-invalid' });
    if (!invalid.ok) expect(invalid.message).toContain('embeddingDim');

    await fs.writeFile(manifestFile, good);
    const weights = path.join(dir, 'weights.bin');
    await fs.truncate(weights, 100);
    expect(await loadModelPackage(dir)).toMatchObject({ ok: false, code: 'weights-corrupt' });
    await fs.rm(weights);
    expect(await loadModelPackage(dir)).toMatchObject({ ok: false, code: 'weights-missing' });
  });
});

describe('model package versions', () => {
  it('writes version 2 and still loads a version-1 package (data sets recorded by path)', async () => {
    const dir = path.join(root, 'v1');
    const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [4, 4, 4, 4] });
    const written = await saveModelPackage(dir, net, manifestInput(16));
    net.dispose();
    expect(written.formatVersion).toBe(2);
    const file = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>;
    manifest.formatVersion = 1;
    manifest.provenance.datasets = [{ path: '/work/shared/data/caltech101', classes: 101, images: 4722 }];
    await fs.writeFile(file, JSON.stringify(manifest));
    const loaded = await loadModelPackage(dir);
    expect(loaded.ok, loaded.ok ? '' : loaded.message).toBe(true);
    if (loaded.ok) {
      expect(loaded.manifest.formatVersion).toBe(1);
      expect(loaded.manifest.provenance.datasets[0]?.path).toBe('/work/shared/data/caltech101');
      loaded.net.dispose();
    }
    manifest.formatVersion = 3; // from a future version: refused, not misread
    await fs.writeFile(file, JSON.stringify(manifest));
    expect((await loadModelPackage(dir)).ok).toBe(false);
  });
});

