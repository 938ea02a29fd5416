/** Folders that directly hold catalogued files (a file's parent directory). */
import type Database from 'better-sqlite3';

export interface FolderWithCount {
  id: number;
  path: string;
  imageCount: number;
}

export function createFoldersRepository(db: Database.Database) {
  const insert = db.prepare('INSERT OR IGNORE INTO folders (path) VALUES (?)');
  const byPath = db.prepare<[string], { id: number }>('SELECT id FROM folders WHERE path = ?');
  const byId = db.prepare<[number], { id: number; path: string }>('SELECT id, path FROM folders WHERE id = ?');
  const withCounts = db.prepare<[], { id: number; path: string; n: number }>(
    `SELECT f.id, f.path, COUNT(DISTINCT p.image_id) AS n
       FROM folders f JOIN image_paths p ON p.folder_id = f.id
      GROUP BY f.id ORDER BY f.path`,
  );

  return {
    /** Id of the folder, creating it on first sight. */
    ensure(path: string): number {
      insert.run(path);
      const row = byPath.get(path);
      if (!row) throw new Error(`Folder row missing after insert: ${path}`);
      return row.id;
    },
    get(id: number): { id: number; path: string } | undefined {
      return byId.get(id);
    },
    /** Folders holding at least one image, sorted by path. */
    listWithCounts(): FolderWithCount[] {
      return withCounts.all().map((r) => ({ id: r.id, path: r.path, imageCount: r.n }));
    },
  };
}

export type FoldersRepository = ReturnType<typeof createFoldersRepository>;
