import type { Migration } from './types';

/**
 * Team store sync state (issue 13). `team_sync_state` holds the per-store cursors (the last team seq
 * applied per table), the last sync time, and `capture`: '1' once this home syncs with a team store.
 * While capture is on, triggers append every local change that the team shares (new images, vectors,
 * classes, labels, marks, models) to `team_outbox`; a sync pushes the outbox and empties it. A pull
 * turns capture off inside its own transaction, so what came from the team is not pushed back.
 * Without a team store capture stays off and the triggers cost one indexed lookup per write.
 * `team_model_keys` maps local models to their key in the team store.
 */
export const migration010: Migration = {
  version: 10,
  name: 'team sync state',
  up(db) {
    const on = "(SELECT value FROM team_sync_state WHERE key = 'capture') = '1'";
    db.exec(`
      CREATE TABLE team_sync_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE team_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        a INTEGER,
        b INTEGER,
        c TEXT,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE INDEX team_outbox_by_key ON team_outbox(kind, a, b);
      CREATE TABLE team_model_keys (
        model_id INTEGER PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
        team_key TEXT NOT NULL UNIQUE
      );
      CREATE TRIGGER team_out_image AFTER INSERT ON images WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a) VALUES ('image', NEW.id);
      END;
      CREATE TRIGGER team_out_vector_ins AFTER INSERT ON embeddings WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b) VALUES ('vector', NEW.model_id, NEW.image_id);
      END;
      CREATE TRIGGER team_out_vector_upd AFTER UPDATE ON embeddings WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b) VALUES ('vector', NEW.model_id, NEW.image_id);
      END;
      CREATE TRIGGER team_out_model AFTER INSERT ON models WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a) VALUES ('model', NEW.id);
      END;
      CREATE TRIGGER team_out_class_ins AFTER INSERT ON target_classes WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, c) VALUES ('class', NEW.id, NEW.name);
      END;
      CREATE TRIGGER team_out_class_upd AFTER UPDATE ON target_classes WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, c) VALUES ('class_deleted', OLD.id, OLD.name);
        INSERT INTO team_outbox (kind, a, c) VALUES ('class', NEW.id, NEW.name);
      END;
      CREATE TRIGGER team_out_class_del AFTER DELETE ON target_classes WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, c) VALUES ('class_deleted', OLD.id, OLD.name);
      END;
      CREATE TRIGGER team_out_label_ins AFTER INSERT ON image_labels WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('label', NEW.class_id, NEW.image_id, (SELECT name FROM target_classes WHERE id = NEW.class_id));
      END;
      CREATE TRIGGER team_out_label_upd AFTER UPDATE ON image_labels WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('label', NEW.class_id, NEW.image_id, (SELECT name FROM target_classes WHERE id = NEW.class_id));
      END;
      CREATE TRIGGER team_out_label_del AFTER DELETE ON image_labels WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('label', OLD.class_id, OLD.image_id, (SELECT name FROM target_classes WHERE id = OLD.class_id));
      END;
      CREATE TRIGGER team_out_mark_ins AFTER INSERT ON feedback_judgements WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('mark', NEW.model_id, NEW.image_id, NEW.query_key);
      END;
      CREATE TRIGGER team_out_mark_upd AFTER UPDATE ON feedback_judgements WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('mark', NEW.model_id, NEW.image_id, NEW.query_key);
      END;
      CREATE TRIGGER team_out_mark_del AFTER DELETE ON feedback_judgements WHEN ${on} BEGIN
        INSERT INTO team_outbox (kind, a, b, c) VALUES ('mark', OLD.model_id, OLD.image_id, OLD.query_key);
      END;
    `);
  },
};
