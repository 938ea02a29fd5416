/** A small labelled archive copied from mednist into a temp folder, imported into a temp home, with a model. */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openServices, type Services } from '../../main/app/services';
import { IMPORT_JOB_KIND } from '../../main/ingest/importJob';
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

export { installTinyModel } from '../../bench/support/tinyModel';

export function openTestServices(home: string, options: { batch?: number; shipped?: string | null } = {}): Services {
  return openServices({ home, env: {}, decodeInProcess: true, progressThrottleMs: 0, shippedModelsRoot: options.shipped ?? null, preferBackends: ['wasm'], embedBatchSize: options.batch ?? 8 });
}

export { tempDir };
