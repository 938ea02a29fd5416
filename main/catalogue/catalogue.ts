/**
 * The catalogue: one better-sqlite3 database (WAL, foreign keys, migrated on open) and its
 * repositories. The main process holds the only instance, so there is one writer.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate, schemaVersion } from './migrate';
import { migrations } from './migrations';
import { createClassesRepository } from './repositories/classes';
import { createEmbeddingsRepository } from './repositories/embeddings';
import { createFailuresRepository } from './repositories/failures';
import { createFoldersRepository } from './repositories/folders';
import { createHierarchyRepository } from './repositories/hierarchy';
import { createImagesRepository } from './repositories/images';
import { createJobsRepository } from './repositories/jobs';
import { createJudgementsRepository } from './repositories/judgements';
import { createModelsRepository } from './repositories/models';
import { createPathsRepository } from './repositories/paths';
import { createResultListsRepository } from './repositories/resultLists';
import { createTrunkFeaturesRepository } from './repositories/trunkFeatures';

export interface Catalogue {
  readonly db: Database.Database;
  readonly images: ReturnType<typeof createImagesRepository>;
  readonly folders: ReturnType<typeof createFoldersRepository>;
  readonly paths: ReturnType<typeof createPathsRepository>;
  readonly jobs: ReturnType<typeof createJobsRepository>;
  readonly failures: ReturnType<typeof createFailuresRepository>;
  readonly models: ReturnType<typeof createModelsRepository>;
  readonly embeddings: ReturnType<typeof createEmbeddingsRepository>;
  readonly judgements: ReturnType<typeof createJudgementsRepository>;
  readonly resultLists: ReturnType<typeof createResultListsRepository>;
  readonly classes: ReturnType<typeof createClassesRepository>;
  readonly trunkFeatures: ReturnType<typeof createTrunkFeaturesRepository>;
  readonly hierarchy: ReturnType<typeof createHierarchyRepository>;
  /** Runs `fn` in one transaction (rolled back if it throws). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenCatalogueOptions {
  /** Open for reading only (a read-only data home): no migration, every write fails with SQLITE_READONLY. */
  readonly?: boolean | undefined;
}

/**
 * A WAL-mode database on read-only media: SQLite opens it read-only only when its -shm file is there
 * (a clean close removes it) or with an immutable URI, which this build does not take. Then the
 * catalogue is read into memory as a rollback-journal copy (header bytes 18-19 = 1), opened read-only.
 */
function openReadOnly(file: string): Database.Database {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      return db;
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw error;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw error;
  }
  const bytes = readFileSync(file);
  if (bytes.length >= 20) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return new Database(bytes, { readonly: true });
}

export function openCatalogue(file: string, options: OpenCatalogueOptions = {}): Catalogue {
  let db: Database.Database;
  if (options.readonly) {
    db = openReadOnly(file);
    db.pragma('foreign_keys = ON');
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    const version = schemaVersion(db);
    if (version !== latest) {
      db.close();
      throw Object.assign(
        new Error(`The catalogue ${file} has schema version ${version} and this Simila needs ${latest}: it cannot be ${version < latest ? 'upgraded' : 'read'} while the data home is read-only.`),
        { code: 'SQLITE_READONLY' },
      );
    }
  } else {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  }
  return {
    db,
    images: createImagesRepository(db),
    folders: createFoldersRepository(db),
    paths: createPathsRepository(db),
    jobs: createJobsRepository(db),
    failures: createFailuresRepository(db),
    models: createModelsRepository(db),
    embeddings: createEmbeddingsRepository(db),
    judgements: createJudgementsRepository(db),
    resultLists: createResultListsRepository(db),
    classes: createClassesRepository(db),
    trunkFeatures: createTrunkFeaturesRepository(db),
    hierarchy: createHierarchyRepository(db),
    transaction: (fn) => db.transaction(fn)(),
    close: () => {
      if (db.open) db.close();
    },
  };
}
