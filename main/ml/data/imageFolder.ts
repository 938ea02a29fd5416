import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Extensions the loader decodes with sharp; other files (PROVENANCE.txt, label maps) are skipped. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.tif', '.tiff', '.webp']);

export interface ImageFolderClass {
  name: string;
  images: string[];
}

export interface ImageFolder {
  root: string;
  /** Sorted by name; classes without images are left out. */
  classes: ImageFolderClass[];
}

export type ScanResult = { ok: true; folder: ImageFolder } | { ok: false; code: 'not-found' | 'not-a-folder' | 'no-classes'; message: string };

/** Reads the ImageFolder layout <root>/<class>/<image>: one sub-folder per class, images inside. */
export async function scanImageFolder(root: string): Promise<ScanResult> {
  const absolute = path.resolve(root);
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch {
    return { ok: false, code: 'not-found', message: `data folder ${absolute} does not exist` };
  }
  if (!stat.isDirectory()) return { ok: false, code: 'not-a-folder', message: `${absolute} is not a folder` };
  const entries = await fs.readdir(absolute, { withFileTypes: true });
  const classes: ImageFolderClass[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => compareNames(a.name, b.name))) {
    const classDir = path.join(absolute, entry.name);
    const files = await fs.readdir(classDir, { withFileTypes: true });
    const images = files
      .filter((f) => f.isFile() && IMAGE_EXTENSIONS.has(path.extname(f.name).toLowerCase()))
      .map((f) => f.name)
      .sort(compareNames)
      .map((name) => path.join(classDir, name));
    if (images.length > 0) classes.push({ name: entry.name, images });
  }
  if (classes.length === 0) return { ok: false, code: 'no-classes', message: `${absolute} has no class folders with images (expected <set>/<class>/<image>)` };
  return { ok: true, folder: { root: absolute, classes } };
}

// Plain code-point order: the same on every machine and locale, so class ids are stable.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
