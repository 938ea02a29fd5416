/**
 * Streamed recursive folder walk. Yields regular files one at a time (depth first, names sorted
 * within a folder), so an archive of any size never sits in memory; only the folder stack and the
 * identities of visited folders do. Hidden entries (dot-names) are skipped; symbolic links are
 * followed, but a folder reached twice (a link loop or a second link to it) is walked once.
 */
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called for entries that could not be read (permissions, vanished while walking). */
  onError?: (path: string, error: NodeJS.ErrnoException) => void;
}

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

async function readSortedEntries(dir: string): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  const handle = await fs.opendir(dir);
  for await (const entry of handle) {
    if (!isHidden(entry.name)) entries.push(entry);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function* scanFolder(root: string, options: ScanOptions = {}): AsyncGenerator<ScannedFile> {
  const visited = new Set<string>();
  const rootStat = await fs.stat(root);
  if (!rootStat.isDirectory()) throw Object.assign(new Error(`Not a folder: ${root}`), { code: 'ENOTDIR' });
  visited.add(`${rootStat.dev}:${rootStat.ino}`);
  // Each stack frame is one folder's sorted entries and the position reached in them.
  const stack: { dir: string; entries: Dirent[]; next: number }[] = [];
  const push = async (dir: string) => {
    try {
      stack.push({ dir, entries: await readSortedEntries(dir), next: 0 });
    } catch (error) {
      options.onError?.(dir, error as NodeJS.ErrnoException);
    }
  };
  await push(root);

  while (stack.length > 0) {
    if (options.signal?.aborted) return;
    const frame = stack[stack.length - 1]!;
    const entry = frame.entries[frame.next++];
    if (!entry) {
      stack.pop();
      continue;
    }
    const full = path.join(frame.dir, entry.name);
    if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) continue; // sockets, fifos, devices
    let stat;
    try {
      stat = await fs.stat(full); // follows links; a dangling link fails here
    } catch (error) {
      options.onError?.(full, error as NodeJS.ErrnoException);
      continue;
    }
    if (stat.isDirectory()) {
      const id = `${stat.dev}:${stat.ino}`;
      if (visited.has(id)) continue;
      visited.add(id);
      await push(full);
    } else if (stat.isFile()) {
      yield { path: full, size: stat.size, mtimeMs: stat.mtimeMs };
    }
  }
}

/** Counts the files scanFolder would yield (for a total and an ETA while the import runs). */
export async function countFiles(root: string, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for await (const _ of scanFolder(root, { signal })) n++;
  return n;
}
