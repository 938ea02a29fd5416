/**
 * The catalogue: one better-sqlite3 database (WAL, foreign keys, migrated on open) and its
 * repositories. The main process holds the only instance, so there is one writer.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrate';
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

export function openCatalogue(file: string): Catalogue {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
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
