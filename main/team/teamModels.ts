/**
 * Models in the team store: a model is known by a key made of its name, version and a digest of its
 * manifest (the same shipped model installed on two workstations has the same key; two adapted
 * profiles that happen to share a name do not). Its package folder travels as one bytea: a JSON list of
 * files followed by their bytes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Catalogue } from '../catalogue/catalogue';
import type { ModelRecord } from '../catalogue/repositories/models';
import { TEAM_SCHEMA as S } from './teamStore';

export function teamModelKey(model: Pick<ModelRecord, 'name' | 'version' | 'manifest'>): string {
  const digest = createHash('sha256').update(JSON.stringify(model.manifest ?? {})).digest('hex').slice(0, 16);
  return `${model.name}@${model.version}:${digest}`;
}

/** The team key of a local model (recorded in team_model_keys on first use). */
export function localModelKey(catalogue: Catalogue, modelId: number): string | null {
  const known = catalogue.db.prepare<[number], string>('SELECT team_key FROM team_model_keys WHERE model_id = ?').pluck().get(modelId);
  if (known) return known;
  const model = catalogue.models.get(modelId);
  if (!model) return null;
  const key = teamModelKey(model);
  catalogue.db.prepare('INSERT OR IGNORE INTO team_model_keys (model_id, team_key) VALUES (?, ?)').run(modelId, key);
  return key;
}

/** The local model id of a team key: a mapped one, else a local model whose key matches. */
export function localModelOf(catalogue: Catalogue, key: string): number | null {
  const mapped = catalogue.db.prepare<[string], number>('SELECT model_id FROM team_model_keys WHERE team_key = ?').pluck().get(key);
  if (mapped !== undefined) return mapped;
  for (const model of catalogue.models.list()) {
    if (teamModelKey(model) === key) {
      catalogue.db.prepare('INSERT OR IGNORE INTO team_model_keys (model_id, team_key) VALUES (?, ?)').run(model.id, key);
      return model.id;
    }
  }
  return null;
}

export function packFolder(dir: string): Buffer {
  const files: { path: string; size: number }[] = [];
  const chunks: Buffer[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const bytes = readFileSync(path.join(dir, child));
        files.push({ path: child, size: bytes.length });
        chunks.push(bytes);
      }
    }
  };
  walk('');
  const header = Buffer.from(JSON.stringify(files));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([length, header, ...chunks]);
}

/** Writes a packed folder to `dir` (through a temporary sibling, renamed into place). */
export function unpackFolder(pack: Buffer, dir: string): void {
  const headerLength = pack.readUInt32LE(0);
  const files = JSON.parse(pack.subarray(4, 4 + headerLength).toString('utf8')) as { path: string; size: number }[];
  const temp = `${dir}.partial-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  let offset = 4 + headerLength;
  for (const file of files) {
    const target = path.resolve(temp, file.path);
    if (!target.startsWith(path.resolve(temp) + path.sep)) throw new Error(`A model package names a file outside its folder: ${file.path}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, pack.subarray(offset, offset + file.size));
    offset += file.size;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
}

/** Puts a local model (and its package, when the store has none yet) into the team store; returns its key. */
export async function pushModel(client: pg.PoolClient, catalogue: Catalogue, modelsDir: string, modelId: number): Promise<string | null> {
  const model = catalogue.models.get(modelId);
  const key = localModelKey(catalogue, modelId);
  if (!model || !key) return null;
  const exists = await client.query(`SELECT 1 FROM ${S}.models WHERE key = $1 AND package IS NOT NULL`, [key]);
  if (exists.rowCount) return key;
  const dir = path.join(modelsDir, model.dir);
  let pack: Buffer | null = null;
  try {
    if (statSync(dir).isDirectory()) pack = packFolder(dir);
  } catch {
    pack = null; // the package folder is gone: the record still names the model
  }
  const parentKey = model.parentId !== null ? localModelKey(catalogue, model.parentId) : null;
  await client.query(
    `INSERT INTO ${S}.models (key, name, version, stage, embedding_dim, parent_key, manifest, package)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (key) DO UPDATE SET package = COALESCE(${S}.models.package, excluded.package)`,
    [key, model.name, model.version, model.stage, model.embeddingDim, parentKey, JSON.stringify(model.manifest ?? {}), pack],
  );
  return key;
}

/** The local id of a team model, installing its package from the store when this home lacks it. */
export async function ensureLocalModel(store: { read<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> }, catalogue: Catalogue, modelsDir: string, key: string): Promise<number> {
  const local = localModelOf(catalogue, key);
  if (local !== null) return local;
  const row = await store.read(async (client) =>
    (
      await client.query<{ name: string; version: number; stage: string; embedding_dim: number; manifest: unknown; package: Buffer | null }>(
        `SELECT name, version, stage, embedding_dim, manifest, package FROM ${S}.models WHERE key = $1`,
        [key],
      )
    ).rows[0],
  );
  if (!row?.package) throw new Error(`The team store has no package for model ${key}.`);
  const dir = `team-${key.replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
  unpackFolder(row.package, path.join(modelsDir, dir));
  const taken = catalogue.db.prepare<[string, number], number>('SELECT 1 FROM models WHERE name = ? AND version = ?').pluck();
  let version = row.version;
  while (taken.get(row.name, version)) version += 1000;
  const existing = catalogue.models.findByDir(dir);
  const model = existing ?? catalogue.models.register({ name: row.name, version, stage: row.stage, dir, embeddingDim: row.embedding_dim, manifest: row.manifest });
  catalogue.db.prepare('INSERT OR REPLACE INTO team_model_keys (model_id, team_key) VALUES (?, ?)').run(model.id, key);
  return model.id;
}
