/**
 * New images reported to the UI in batches: an import adds hundreds per second, and the library view
 * refreshes once per batch (about once a second, and once at the end), not once per image.
 */
export interface LibraryChange {
  added: number;
  folderIds: number[];
}

export type LibraryChangeListener = (change: LibraryChange) => void;

export interface LibraryChangeBatcher {
  /** One image imported into `folderId`; reports the batch once `intervalMs` passed since the last. */
  imported(folderId: number): void;
  /** Reports what is pending now (the end of an import). */
  flush(): void;
}

export function libraryChangeBatcher(listener: LibraryChangeListener | undefined, intervalMs = 1000): LibraryChangeBatcher {
  let added = 0;
  const folders = new Set<number>();
  let lastFlush = performance.now();
  const flush = () => {
    if (added > 0) listener?.({ added, folderIds: [...folders] });
    added = 0;
    folders.clear();
    lastFlush = performance.now();
  };
  return {
    imported(folderId) {
      added++;
      folders.add(folderId);
      if (performance.now() - lastFlush >= intervalMs) flush();
    },
    flush,
  };
}
