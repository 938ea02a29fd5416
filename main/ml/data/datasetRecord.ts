import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ImageFolder } from './imageFolder';

/** How a model manifest names a training set: by name and content, never by this machine's path. */
export interface DatasetRecord {
  /** The set's folder name with its parent (e.g. `omniglot/background`, `tiny_imagenet`). */
  name: string;
  /** SHA-256 over every image's class/file name and content digest, in sorted order. */
  digest: string;
  classes: number;
  images: number;
}

/**
 * Describes an ImageFolder set for provenance. The digest changes when any image, file name or class
 * changes, so two machines can tell whether they trained on the same data without sharing paths.
 */
export function describeDataset(folder: ImageFolder): Promise<DatasetRecord> {
  // `train full` scans the same sets in every stage of every round: hash each listing once per process.
  const key = `${folder.root}\0${folder.classes.map((c) => `${c.name}:${c.images.length}`).join('|')}`;
  let record = described.get(key);
  if (!record) {
    record = hashDataset(folder);
    described.set(key, record);
    record.catch(() => described.delete(key));
  }
  return record;
}

const described = new Map<string, Promise<DatasetRecord>>();

async function hashDataset(folder: ImageFolder): Promise<DatasetRecord> {
  const whole = createHash('sha256');
  let images = 0;
  for (const cls of folder.classes) {
    for (const file of cls.images) {
      const content = createHash('sha256').update(await fs.readFile(file)).digest('hex');
      whole.update(`${cls.name}/${path.basename(file)}\0${content}\n`);
      images++;
    }
  }
  return { name: datasetName(folder.root), digest: `sha256:${whole.digest('hex')}`, classes: folder.classes.length, images };
}

/** `omniglot/background` for a set inside a collection folder, `caltech101` for a top-level one. */
export function datasetName(root: string): string {
  const base = path.basename(root);
  const parent = path.basename(path.dirname(root));
  // Sets whose own name says little (background, evaluation, train, test) keep their collection's name.
  return /^(background|evaluation|train|training|test|val|validation)$/i.test(base) ? `${parent}/${base}` : base;
}
