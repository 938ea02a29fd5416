import { describe, expect, it } from 'vitest';
import { libraryChangeBatcher, type LibraryChange } from '../../main/ingest/libraryChanges';

describe('libraryChangeBatcher', () => {
  it('reports images in batches per interval with their folders, and what is left on flush', () => {
    const seen: LibraryChange[] = [];
    const slow = libraryChangeBatcher((c) => seen.push(c), 60_000);
    for (const folder of [1, 2, 2, 3]) slow.imported(folder);
    expect(seen).toEqual([]); // within the interval: held back
    slow.flush();
    expect(seen).toEqual([{ added: 4, folderIds: [1, 2, 3] }]);
    slow.flush();
    expect(seen).toHaveLength(1); // nothing pending: nothing reported

    const eager: LibraryChange[] = [];
    const fast = libraryChangeBatcher((c) => eager.push(c), 0);
    fast.imported(5);
    fast.imported(6);
    expect(eager).toEqual([{ added: 1, folderIds: [5] }, { added: 1, folderIds: [6] }]);
  });
});
