import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withWriterLock } from '../../home/writerLock';
import { fsyncDir, fsyncTree } from './durableFiles';

/**
 * Fills a fresh temp folder beside `dir`, then swaps it in with renames, so a reader sees the old
 * folder or the new one, never half a package (a crash leaves at most a stale temp folder). Every file
 * of the temp folder is fsynced before the swap and the parent folder after it, so a power loss cannot
 * publish a folder whose files were never written out.
 */
export async function writeFolderAtomically(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const absolute = path.resolve(dir);
  await fs.mkdir(path.dirname(absolute), { recursive: true });
  // One writer at a time across processes (the swap's two renames must not interleave with another's).
  await withWriterLock(absolute, () => swapInFolder(absolute, fill));
}

async function swapInFolder(absolute: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  await recoverInterruptedSwap(absolute);
  const tag = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const temp = `${absolute}.tmp-${tag}`;
  const old = `${absolute}.old-${tag}`;
  await fs.mkdir(temp);
  try {
    await fill(temp);
    await fsyncTree(temp);
    let moved = false;
    try {
      await fs.rename(absolute, old);
      moved = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fs.rename(temp, absolute);
    await fsyncDir(path.dirname(absolute));
    if (moved) await fs.rm(old, { recursive: true, force: true });
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A kill between the swap's two renames leaves no folder under `dir` and the previous one as
 * `<dir>.old-*`: put the newest of those back (readers and the next write call this first).
 */
export async function recoverInterruptedSwap(dir: string): Promise<boolean> {
  const absolute = path.resolve(dir);
  try {
    await fs.access(absolute);
    return false;
  } catch {
    // missing: look for a folder the swap moved aside
  }
  const parent = path.dirname(absolute);
  const prefix = `${path.basename(absolute)}.old-`;
  let names: string[];
  try {
    names = (await fs.readdir(parent)).filter((n) => n.startsWith(prefix));
  } catch {
    return false;
  }
  if (names.length === 0) return false;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fs.stat(path.join(parent, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  await fs.rename(path.join(parent, dated[0]!.n), absolute);
  await fsyncDir(parent);
  return true;
}
