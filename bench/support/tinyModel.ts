/**
 * A tiny randomly initialised Conv-4 package registered and made active: mechanics only (vectors to
 * store, index and search), never quality. Shared by tests and benchmarks that need a model quickly.
 */
import path from 'node:path';
import type { Services } from '../../main/app/services';
import { defaultPreprocessSpec } from '../../main/ml/data/preprocessSpec';
import { createEmbeddingNet } from '../../main/ml/models/embeddingNet';
import { saveModelPackage } from '../../main/ml/package/modelPackage';
import { registerModelPackage } from '../../main/ml/package/registerModel';

export async function installTinyModel(services: Pick<Services, 'layout' | 'catalogue'>, seed = 7, backend = 'test'): Promise<number> {
  const net = createEmbeddingNet({ arch: 'conv4', inputSize: 16, channels: 1, widths: [8, 8, 8, 8], seed });
  const dir = path.join(services.layout.models, `tiny-${seed}`);
  try {
    const manifest = await saveModelPackage(dir, net, {
      name: `tiny-${seed}`,
      preprocess: defaultPreprocessSpec(16, 1),
      provenance: { stage: 'random', datasets: [], parent: null, created: new Date().toISOString(), backend, trainingSeconds: 0, steps: 0, complete: true },
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
