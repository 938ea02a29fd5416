import { migration001 } from './001_initial';
import { migration002 } from './002_meta_failures_seen';
import { migration003 } from './003_models_embeddings';
import { migration004 } from './004_feedback';
import { migration005 } from './005_classes_trunk_features';
import { migration006 } from './006_paths_change_counter';
import { migration007 } from './007_trunk_rows_8bit';
import { migration008 } from './008_dicom_hierarchy';
import { migration009 } from './009_dicomweb_sources';
import { migration010 } from './010_team_sync';
import { migration011 } from './011_dicomweb_gone';
import { migration012 } from './012_embedding_ids_index';
import { migration013 } from './013_paths_removed_counter';
import type { Migration } from './types';

export type { Migration } from './types';

/** Every migration in order; append new ones, never edit applied ones. */
export const migrations: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration010, migration011, migration012, migration013];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;
