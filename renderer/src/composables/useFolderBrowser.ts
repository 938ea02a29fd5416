/**
 * State of the server-side folder browser. The renderer only ever holds opaque handles that main
 * issued (`fs.roots`, `fs.browse`); display paths are shown, never sent back.
 */
import type { Ref } from 'vue';
import { shallowRef } from 'vue';
import type { FolderEntry } from '@shared/rpc/contract';
import type { SimilaClient } from '../rpc/types';
import { errorMessage } from './useClient';

export interface FolderBrowser {
  /** null while the list of roots is shown. */
  folder: Ref<FolderEntry | null>;
  parent: Ref<FolderEntry | null>;
  /** Roots, or the sub-folders of `folder`. */
  entries: Ref<FolderEntry[]>;
  /** Breadcrumbs from the root the user started at down to `folder`. */
  trail: Ref<FolderEntry[]>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  showRoots(): Promise<void>;
  open(entry: FolderEntry): Promise<void>;
  up(): Promise<void>;
  goToCrumb(index: number): Promise<void>;
}

export function createFolderBrowser(client: SimilaClient): FolderBrowser {
  const folder = shallowRef<FolderEntry | null>(null);
  const parent = shallowRef<FolderEntry | null>(null);
  const entries = shallowRef<FolderEntry[]>([]);
  const trail = shallowRef<FolderEntry[]>([]);
  const loading = shallowRef(false);
  const error = shallowRef<string | null>(null);
  let request = 0;

  /** Runs one navigation; `current()` turns false once a newer navigation started. */
  async function navigate(load: (current: () => boolean) => Promise<void>): Promise<void> {
    const ticket = ++request;
    const current = () => ticket === request;
    loading.value = true;
    error.value = null;
    try {
      await load(current);
    } catch (e) {
      if (current()) error.value = errorMessage(e);
    } finally {
      if (current()) loading.value = false;
    }
  }

  function browse(handle: string, nextTrail: (folder: FolderEntry) => FolderEntry[]): Promise<void> {
    return navigate(async (current) => {
      const result = await client.call('fs.browse', { handle });
      if (!current()) return;
      folder.value = result.folder;
      parent.value = result.parent;
      entries.value = result.entries;
      trail.value = nextTrail(result.folder);
    });
  }

  function showRoots(): Promise<void> {
    return navigate(async (current) => {
      const roots = await client.call('fs.roots', {});
      if (!current()) return;
      folder.value = null;
      parent.value = null;
      entries.value = roots;
      trail.value = [];
    });
  }

  return {
    folder,
    parent,
    entries,
    trail,
    loading,
    error,
    showRoots,
    open(entry) {
      const base = trail.value;
      return browse(entry.handle, (current) => [...base, current]);
    },
    up() {
      const up = parent.value;
      if (!up) return showRoots();
      const base = trail.value;
      return browse(up.handle, (current) =>
        base.length >= 2 && base[base.length - 2]?.handle === up.handle ? [...base.slice(0, -2), current] : [current],
      );
    },
    goToCrumb(index) {
      const crumb = trail.value[index];
      if (!crumb) return showRoots();
      const base = trail.value.slice(0, index);
      return browse(crumb.handle, (current) => [...base, current]);
    },
  };
}
