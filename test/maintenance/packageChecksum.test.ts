/** Model packages carry the SHA-256 of weights.bin in the manifest and are verified on load; older packages without it still load. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { sha256OfFile } from '../../main/ml/package/durableFiles';
import { loadModelPackage, saveModelPackage } from '../../main/ml/package/modelPackage';
import { useWasmWithProjectKernels } from '../ml/wasmBackend';

let root: string;

beforeAll(async () => {
  await useWasmWithProjectKernels();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'simila-checksum-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function savePackage(name: string): Promise<string> {
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], seed: 1 });
  const dir = path.join(root, name);
  try {
    await saveModelPackage(dir, net, {
      name,
      preprocess: defaultPreprocessSpec(16, 1),
      provenance: { stage: 'random', datasets: [], parent: null, created: new Date(0).toISOString(), backend: 'wasm', trainingSeconds: 0, steps: 0, complete: true },
      metrics: { loss: [], validation: [], final: null },
    });
  } finally {
    net.dispose();
  }
  return dir;
}

describe('model package checksums', () => {
  it('records the SHA-256 of weights.bin, leaves no temporary folder, and loads', async () => {
    const dir = await savePackage('sound');
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as { weights: { sha256?: string } };
    expect(manifest.weights.sha256).toBe(await sha256OfFile(path.join(dir, 'weights.bin')));
    expect((await fs.readdir(root)).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
    const loaded = await loadModelPackage(dir);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) loaded.net.dispose();
  });

  it('refuses weights changed after writing (same length), naming the file', async () => {
    const dir = await savePackage('tampered');
    const weights = path.join(dir, 'weights.bin');
    const bytes = await fs.readFile(weights);
    bytes[8] = (bytes[8] ?? 0) ^ 0x01;
    await fs.writeFile(weights, bytes);
    const loaded = await loadModelPackage(dir);
    expect(loaded).toMatchObject({ ok: false, code: 'weights-corrupt' });
    if (!loaded.ok) expect(loaded.message).toContain(weights);
    if (!loaded.ok) expect(loaded.message).toMatch(/SHA-256/);
  });

  it('still loads a package written before checksums existed', async () => {
    const dir = await savePackage('old');
    const file = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8')) as { weights: { sha256?: string } };
    delete manifest.weights.sha256;
    await fs.writeFile(file, JSON.stringify(manifest));
    const loaded = await loadModelPackage(dir);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) loaded.net.dispose();
  });
});
