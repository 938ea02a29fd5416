/** Server-side folder browser behind fs.roots / fs.browse: sub-folders only, sorted, hidden ones left out. */
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderEntry } from '../../shared/rpc/contract';
import { AppError } from './errors';
import type { FolderHandles } from './folderHandles';
import { packageRoot } from './packageRoot';


/** The data sets folder (env SIMILA_DATA, else ../shared/data beside the repository) if it exists. */
export function dataSetsFolder(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidate = env.SIMILA_DATA ? path.resolve(env.SIMILA_DATA) : path.resolve(packageRoot(), '..', 'shared', 'data');
  return isDirectory(candidate) ? candidate : null;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface FolderBrowser {
  roots(): FolderEntry[];
  browse(handle: string): Promise<{ folder: FolderEntry; parent: FolderEntry | null; entries: FolderEntry[] }>;
  /** Absolute path behind a handle, or a not_found AppError. */
  resolve(handle: string): string;
  entryFor(absolutePath: string, name?: string): FolderEntry;
}

export function createFolderBrowser(handles: FolderHandles, env: NodeJS.ProcessEnv = process.env): FolderBrowser {
  const entryFor = (absolutePath: string, name?: string): FolderEntry => ({
    handle: handles.issue(absolutePath),
    name: name ?? (path.basename(absolutePath) || absolutePath),
    display: absolutePath,
  });
  const resolve = (handle: string): string => {
    const folder = handles.resolve(handle);
    if (!folder) throw new AppError('not_found', 'That folder is not known (the link may be from an earlier run).');
    return folder;
  };

  return {
    entryFor,
    resolve,
    roots() {
      const candidates: [string, string][] = [
        ['Home', os.homedir()],
        ['Working folder', process.cwd()],
      ];
      const data = dataSetsFolder(env);
      if (data) candidates.push(['Data sets', data]);
      candidates.push(['File system', path.parse(process.cwd()).root]);
      const seen = new Set<string>();
      const roots: FolderEntry[] = [];
      for (const [name, p] of candidates) {
        const abs = path.resolve(p);
        if (seen.has(abs) || !existsSync(abs)) continue;
        seen.add(abs);
        roots.push(entryFor(abs, name));
      }
      return roots;
    },
    async browse(handle) {
      const folder = resolve(handle);
      let names: string[];
      try {
        const dirents = await fs.readdir(folder, { withFileTypes: true });
        const checks = dirents
          .filter((d) => !d.name.startsWith('.'))
          .map(async (d) => {
            if (d.isDirectory()) return d.name;
            if (d.isSymbolicLink() && isDirectory(path.join(folder, d.name))) return d.name;
            return null;
          });
        names = (await Promise.all(checks)).filter((n): n is string => n !== null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('not_found', `The folder ${folder} no longer exists.`);
        if (code === 'EACCES' || code === 'EPERM') throw new AppError('forbidden', `Simila may not read the folder ${folder}.`);
        throw error;
      }
      names.sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }));
      const parentPath = path.dirname(folder);
      return {
        folder: entryFor(folder),
        parent: parentPath === folder ? null : entryFor(parentPath),
        entries: names.map((n) => entryFor(path.join(folder, n), n)),
      };
    },
  };
}
