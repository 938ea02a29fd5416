/** A small labelled archive copied from mednist into a temp folder, imported into a temp home, with a model. */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { registerModelPackage } from '../../main/ml/package/registerModel';
import { tempDir } from '../ingest/support/fixtures';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const dataRoot = process.env.SIMILA_DATA ?? path.resolve(repoRoot, '../shared/data');
export const mednist = path.join(dataRoot, 'mednist');

/** Copies `perClass` images of each class (the first ones, sorted) into `<dir>/archive/<class>/`. */
export function copyClasses(dir: string, classes: readonly string[], perClass: number): string {
  const archive = path.join(dir, 'archive');
  for (const name of classes) {
    mkdirSync(path.join(archive, name), { recursive: true });
    const files = readdirSync(path.join(mednist, name)).filter((f) => f.endsWith('.jpeg')).sort().slice(0, perClass);
    for (const file of files) copyFileSync(path.join(mednist, name, file), path.join(archive, name, file));
  }
  return archive;
}

export async function importFolder(services: Services, root: string): Promise<void> {
  const jobId = services.jobs.enqueue(IMPORT_JOB_KIND, root, { root });
  const finished = await services.jobs.waitFor(jobId);
  if (finished.state !== 'done') throw new Error(`import ended ${finished.state}: ${finished.error}`);
}

/** A tiny randomly initialised Conv-4 package registered and made active (mechanics only, not quality). */
export async function installTinyModel(services: Services, seed = 7): Promise<number> {
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], seed });
  const dir = path.join(services.layout.models, `tiny-${seed}`);
  try {
    const manifest = await saveModelPackage(dir, net, {
      name: `tiny-${seed}`,
      preprocess: defaultPreprocessSpec(16, 1),
      provenance: { stage: 'random', datasets: [], parent: null, created: new Date().toISOString(), backend: 'test', trainingSeconds: 0, steps: 0, complete: true },
      metrics: { loss: [], validation: [], final: null },
    });
    const registered = registerModelPackage(services.catalogue.models, services.layout.models, dir, manifest);
    if (!registered.ok) throw new Error(registered.message);
    services.catalogue.models.setActive(registered.model.id);
    return registered.model.id;
  } finally {
    net.dispose();
  }
}

export function openTestServices(home: string, options: { batch?: number; shipped?: string | null } = {}): Services {
  return openServices({ home, env: {}, decodeInProcess: true, progressThrottleMs: 0, shippedModelsRoot: options.shipped ?? null, preferBackends: ['wasm'], embedBatchSize: options.batch ?? 8 });
}

export { tempDir };
