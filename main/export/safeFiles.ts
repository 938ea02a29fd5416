/**
 * Writing into the export folder only: names are generated and sanitised, every target is resolved
 * and checked to sit directly in the (real) folder, a file that exists is never overwritten, and files
 * appear whole (written to a temp name, then renamed over a name reserved with O_EXCL).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

export class ExportPathError extends Error {}

/** A file name safe on every platform: letters, digits, '.', '_' and '-', no leading dot, at most 80 characters. */
export function sanitiseName(name: string, fallback = 'file'): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .replace(/_+/g, '_')
    .slice(0, 80)
    .replace(/[._-]+$/, '');
  return cleaned || fallback;
}

/** The real path of the export folder, created if missing; an error when it is a file or cannot be made. */
export async function prepareFolder(folder: string): Promise<string> {
  const resolved = path.resolve(folder);
  try {
    const st = await fsp.stat(resolved);
    if (!st.isDirectory()) throw new ExportPathError(`${resolved} is a file, not a folder.`);
  } catch (e) {
    if (e instanceof ExportPathError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ExportPathError(`${resolved} cannot be used: ${(e as Error).message}`);
    await fsp.mkdir(resolved, { recursive: true });
  }
  return fsp.realpath(resolved);
}

/** `folder/name`, refused unless it lies directly inside `folder`. */
export function targetPath(folder: string, name: string): string {
  const target = path.resolve(folder, name);
  if (path.dirname(target) !== folder || path.basename(target) !== name || name === '.' || name === '..') {
    throw new ExportPathError(`The name ${JSON.stringify(name)} would leave the export folder.`);
  }
  return target;
}

export class TargetExistsError extends Error {}

/**
 * Writes `data` (or copies `source`) to `folder/name` without ever replacing an existing file: the name
 * is reserved with O_CREAT|O_EXCL ('wx'), the content goes to a temp file that is then renamed over the
 * reservation. On failure both are removed.
 */
export async function writeNew(folder: string, name: string, content: { data: Uint8Array | string } | { source: string }): Promise<string> {
  const target = targetPath(folder, name);
  let reserved: fsp.FileHandle;
  try {
    reserved = await fsp.open(target, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TargetExistsError(`${name} exists already in the export folder; it is not overwritten.`);
    throw e;
  }
  await reserved.close();
  const temp = targetPath(folder, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if ('data' in content) {
      const handle = await fsp.open(temp, 'wx');
      try {
        await handle.writeFile(content.data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      await fsp.copyFile(content.source, temp, constants.COPYFILE_EXCL);
    }
    await fsp.rename(temp, target);
    return target;
  } catch (e) {
    await fsp.rm(temp, { force: true });
    await fsp.rm(target, { force: true });
    throw e;
  }
}
