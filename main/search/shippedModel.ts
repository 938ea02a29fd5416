/**
 * The shipped default model: assets/models/default (the meta-learnt model of a later issue), else
 * assets/models/stage1-conv4. On start it is copied into <home>/models/<name>-<hash of its weights>
 * (once per distinct weights file), registered, and made active when no model is active or when the
 * active model is an earlier copy of the same shipped package. A user's own active model is kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import { writeFolderAtomically } from '../ml/package/atomicFolder';
import { MANIFEST_FILE, readModelManifest } from '../ml/package/modelPackage';
import { registerModelPackage } from '../ml/package/registerModel';

/** Shipped package folders, preferred first (relative to the package root). */
export const SHIPPED_MODEL_CANDIDATES = [path.join('assets', 'models', 'default'), path.join('assets', 'models', 'stage1-conv4')];

/**
 * Shipped alternatives for archives the default serves less well (the earlier 28 px grayscale model stays
 * best on handwritten characters): installed and listed as profiles beside the default, never made
 * active by themselves.
 */
export const SHIPPED_ALTERNATIVES = [path.join('assets', 'models', 'characters-gray28')];

export function findShippedAlternatives(packageRoot: string): string[] {
  return SHIPPED_ALTERNATIVES.map((candidate) => path.join(packageRoot, candidate)).filter((dir) => existsSync(path.join(dir, MANIFEST_FILE)));
}

export function findShippedModel(packageRoot: string): string | null {
  for (const candidate of SHIPPED_MODEL_CANDIDATES) {
    const dir = path.join(packageRoot, candidate);
    if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
  }
  return null;
}

async function fileHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type InstallResult = { ok: true; model: ModelRecord; installed: boolean; activated: boolean } | { ok: false; code: string; message: string };

/**
 * Copies, registers and (if nothing else is in use) activates the shipped package `sourceDir`;
 * `activate: false` (an alternative) registers it only.
 */
export async function installShippedModel(catalogue: Catalogue, modelsRoot: string, sourceDir: string, options: { activate?: boolean } = {}): Promise<InstallResult> {
  const read = await readModelManifest(sourceDir);
  if (!read.ok) return read;
  const { manifest } = read;
  let weightsHash: string;
  try {
    weightsHash = await fileHash(path.join(sourceDir, manifest.weights.file));
  } catch (error) {
    return { ok: false, code: 'weights-missing', message: `The shipped model's weights cannot be read: ${String(error)}` };
  }
  const prefix = `${manifest.name}-`;
  const folderName = `${prefix}${weightsHash.slice(0, 12)}`;
  const target = path.join(modelsRoot, folderName);
  let installed = false;
  if (!catalogue.models.findByDir(folderName)) {
    // Copy the manifest and weights only (a checkpoint's trainer state is not needed to embed).
    await writeFolderAtomically(target, async (temp) => {
      await fs.copyFile(path.join(sourceDir, MANIFEST_FILE), path.join(temp, MANIFEST_FILE));
      await fs.copyFile(path.join(sourceDir, manifest.weights.file), path.join(temp, manifest.weights.file));
    });
    installed = true;
  }
  const registered = registerModelPackage(catalogue.models, modelsRoot, target, manifest);
  if (!registered.ok) return registered;
  const active = catalogue.models.active();
  const earlierShipped = active !== undefined && active.id !== registered.model.id && active.dir.startsWith(prefix) && /^[0-9a-f]{12}$/.test(active.dir.slice(prefix.length));
  let activated = false;
  if (options.activate !== false && (!active || (earlierShipped && installed))) {
    catalogue.models.setActive(registered.model.id);
    activated = true;
  }
  return { ok: true, model: catalogue.models.get(registered.model.id)!, installed, activated };
}
