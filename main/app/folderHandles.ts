/**
 * Opaque folder handles for the server-side folder browser. Main issues them (random, unguessable,
 * valid for this run only) and keeps the handle -> absolute path map; the renderer can only name
 * folders main has shown it, so a forged or stale handle resolves to nothing.
 */
import { randomBytes } from 'node:crypto';

export interface FolderHandles {
  /** The handle for an absolute path (the same path always gets the same handle). */
  issue(absolutePath: string): string;
  resolve(handle: string): string | undefined;
}

export function createFolderHandles(): FolderHandles {
  const byHandle = new Map<string, string>();
  const byPath = new Map<string, string>();
  return {
    issue(absolutePath) {
      let handle = byPath.get(absolutePath);
      if (!handle) {
        handle = randomBytes(18).toString('base64url');
        byHandle.set(handle, absolutePath);
        byPath.set(absolutePath, handle);
      }
      return handle;
    },
    resolve(handle) {
      return byHandle.get(handle);
    },
  };
}
