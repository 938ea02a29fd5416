import path from 'node:path';
import type { ModelRecord, NewModel } from '../../catalogue/repositories/models';
import type { ModelManifest } from './manifest';

/** The part of the catalogue's models repository that registration needs. */
export interface ModelsRegistry {
  register(model: NewModel): ModelRecord;
  findByDir(dir: string): ModelRecord | undefined;
}

export type RegisterResult = { ok: true; model: ModelRecord; created: boolean } | { ok: false; code: 'outside-models-folder' | 'register-failed'; message: string };

/**
 * Records a package in the catalogue with its lineage (the manifest's parent id). `packageDir` must
 * lie inside the data home's models folder; a package already registered is returned as it is.
 */
export function registerModelPackage(models: ModelsRegistry, modelsRoot: string, packageDir: string, manifest: ModelManifest): RegisterResult {
  const relative = path.relative(path.resolve(modelsRoot), path.resolve(packageDir));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return { ok: false, code: 'outside-models-folder', message: `${packageDir} is not inside the models folder ${modelsRoot}` };
  }
  const dir = relative.split(path.sep).join('/');
  const existing = models.findByDir(dir);
  if (existing) return { ok: true, model: existing, created: false };
  try {
    const model = models.register({
      name: manifest.name,
      parentId: manifest.provenance.parent?.id ?? null,
      stage: manifest.provenance.stage,
      dir,
      embeddingDim: manifest.embeddingDim,
      manifest,
    });
    return { ok: true, model, created: true };
  } catch (error) {
    return { ok: false, code: 'register-failed', message: `could not register ${manifest.name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
