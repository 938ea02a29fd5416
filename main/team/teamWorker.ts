/**
 * `simila worker --team URL`: takes shards from the team queue, decodes and embeds each image with the
 * job's model, and writes records and vectors back to the team store. The worker's data home is its local
 * working copy (images, thumbnails, the model package). Per image: hash first; an image the store already
 * holds a vector for (this model) is skipped without decoding, so a retried shard only does what the dead
 * worker had not committed. Records and vectors of a batch are written in one transaction with upserts
 * keyed by content hash: an image is recorded once whoever wins (a re-write only counts `writes`). Each
 * record carries the image's thumbnail, so a workstation that syncs it can list it without the file.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { Services } from '../app/services';
import { placeImage } from '../catalogue/hierarchyPlacement';
import { encodeVector } from '../catalogue/repositories/vectorBlob';
import { DEFAULT_LIMITS } from '../ingest/decoders/types';
import { thumbnailPath, writeFileAtomic } from '../ingest/thumbnails';
import { SHARD_QUEUE, type ShardJobData } from './teamJobs';
import { ensureLocalModel } from './teamModels';
import { SHARD_SOURCES, type ShardItem, type ShardSpec } from './shards';
import { TEAM_SCHEMA as S, type TeamStore } from './teamStore';

export interface WorkerOptions {
  store: TeamStore;
  boss: PgBoss;
  services: Services;
  /** Name recorded with each shard (default host:pid). */
  name?: string;
  /** Images per embedding batch and per team write (default 16). */
  batchSize?: number;
  /** Files read and decoded at once (default 2). */
  concurrency?: number;
  onShard?: (event: { jobId: number; shardNo: number; recorded: number; skipped: number; failed: number; errors: string[]; seconds: number }) => void;
  /** Called after each batch is committed (tests use it to kill a worker mid-shard). */
  onBatch?: (recorded: number) => void;
}

export interface RunningWorker {
  /** Stops taking shards; the shard in hand is finished first. */
  stop(): Promise<void>;
  /** True while a shard is in hand. */
  busy(): boolean;
}

export async function startTeamWorker(options: WorkerOptions): Promise<RunningWorker> {
  const me = options.name ?? `${os.hostname()}:${process.pid}`;
  let current: Promise<void> | null = null;
  let stopping = false;
  await options.boss.work<ShardJobData>(SHARD_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    if (stopping) throw new Error('This worker is stopping: the shard goes back to the queue.');
    const run = (async () => {
      for (const job of jobs) await processShard(options, me, job.data);
    })();
    current = run;
    try {
      await run;
    } finally {
      current = null;
    }
  });
  return {
    async stop() {
      stopping = true;
      await options.boss.offWork(SHARD_QUEUE).catch(() => undefined);
      await (current as Promise<void> | null)?.catch(() => undefined);
    },
    busy: () => current !== null,
  };
}

interface Pending {
  id: number;
  hash: string;
  source: string;
}

export async function processShard(options: WorkerOptions, me: string, data: ShardJobData): Promise<void> {
  const { store, services } = options;
  const { catalogue, engine } = services;
  const started = performance.now();
  const shard = await store.read(async (client) => {
    await client.query(
      `UPDATE ${S}.shards SET state = 'running', attempts = attempts + 1, worker = $3, updated_at = now() WHERE job_id = $1 AND shard_no = $2`,
      [data.jobId, data.shardNo, me],
    );
    const row = await client.query<{ spec: ShardSpec; model_key: string }>(
      `SELECT s.spec, j.model_key FROM ${S}.shards s JOIN ${S}.jobs j ON j.id = s.job_id WHERE s.job_id = $1 AND s.shard_no = $2`,
      [data.jobId, data.shardNo],
    );
    return row.rows[0];
  });
  if (!shard) return; // the job was removed
  const source = SHARD_SOURCES[shard.spec.kind];
  if (!source) throw new Error(`This worker cannot read shards of kind ${shard.spec.kind}.`);
  const modelId = await ensureLocalModel(store, catalogue, services.layout.models, shard.model_key);
  const model = catalogue.models.get(modelId)!;
  const spec = engine.manifestOf(model).preprocess;
  const inputLength = spec.inputSize * spec.inputSize * spec.channels;
  const embedder = await engine.embedder(model);
  const batchSize = Math.max(1, options.batchSize ?? 16);
  let recorded = 0;
  let skipped = 0;
  let failed = 0;
  const errors: string[] = [];
  const noteFailure = (what: string, message: string) => {
    failed++;
    if (errors.length < 3) errors.push(`${what}: ${message}`);
  };
  const batch: Pending[] = [];

  const has = async (hash: string) =>
    (await store.read((c) => c.query(`SELECT 1 FROM ${S}.vectors WHERE model_key = $1 AND hash = $2`, [shard.model_key, hash]))).rowCount! > 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const items = batch.splice(0, batch.length);
    const prepared = await Promise.all(items.map((p) => engine.prepareImage(p.id, spec)));
    const ok = items.filter((_, i) => prepared[i]!.ok);
    prepared.forEach((p, i) => {
      if (!p.ok) noteFailure(items[i]!.source, p.message);
    });
    if (ok.length === 0) return;
    const inputs = new Float32Array(ok.length * inputLength);
    let at = 0;
    for (const p of prepared) if (p.ok) inputs.set(p.inputs, at++ * inputLength);
    const vectors = await embedder.embedInputs(inputs, ok.length);
    const dim = embedder.embeddingDim;
    catalogue.embeddings.putMany(modelId, ok.map((p, i) => ({ imageId: p.id, vector: vectors.subarray(i * dim, (i + 1) * dim) })));
    const written = await store.write(async (client) => {
      // Under the write lock: an image another worker recorded meanwhile (a shard given to two workers
      // after its holder overran the visibility timeout) is not written again.
      const there = await client.query<{ hash: string }>(`SELECT hash FROM ${S}.vectors WHERE model_key = $1 AND hash = ANY($2)`, [shard.model_key, ok.map((p) => p.hash)]);
      const skip = new Set(there.rows.map((r) => r.hash));
      const fresh = ok.map((p, i) => ({ p, i })).filter(({ p }) => !skip.has(p.hash));
      if (fresh.length === 0) return 0;
      const rows = fresh.map(({ p }) => imageRecord(services, p));
      const cols = Array.from({ length: 17 }, (_, c) => rows.map((r) => r[c]));
      await client.query(
        `INSERT INTO ${S}.images (hash, width, height, format, byte_size, meta, source, series_key, study_key, series_kind, modality, body_part, study_date, series_description, sop_uid, instance_number, thumbnail, recorded_by)
         SELECT *, $18 FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::bigint[], $6::jsonb[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::int[], $17::bytea[])
         ON CONFLICT (hash) DO UPDATE SET writes = ${S}.images.writes + 1`,
        [...cols, me],
      );
      await client.query(
        `INSERT INTO ${S}.vectors (model_key, hash, vector) SELECT $1, * FROM unnest($2::text[], $3::bytea[])
         ON CONFLICT (model_key, hash) DO UPDATE SET writes = ${S}.vectors.writes + 1`,
        [shard.model_key, fresh.map(({ p }) => p.hash), fresh.map(({ i }) => encodeVector(vectors.subarray(i * dim, (i + 1) * dim)))],
      );
      await client.query(`UPDATE ${S}.shards SET recorded = recorded + $3, updated_at = now() WHERE job_id = $1 AND shard_no = $2`, [data.jobId, data.shardNo, fresh.length]);
      return fresh.length;
    });
    recorded += written;
    skipped += ok.length - written;
    options.onBatch?.(recorded);
  };

  const handle = async (item: ShardItem): Promise<Pending | null> => {
    const content = await services.reader.open(item.file, 1024 * 1024 * 1024);
    try {
      const hashed = await content.hash();
      if (!hashed.ok) {
        noteFailure(item.source, hashed.message);
        return null;
      }
      if (await has(hashed.hash)) {
        skipped++;
        return null;
      }
      const folderId = catalogue.folders.ensure(path.dirname(item.file.path));
      const known = catalogue.images.findByHash(hashed.hash);
      if (known) {
        catalogue.paths.upsert({ path: item.file.path, imageId: known.id, folderId, size: item.file.size, mtimeMs: item.file.mtimeMs, seenByJob: 0 });
        return { id: known.id, hash: hashed.hash, source: item.source };
      }
      const thumbnailFile = thumbnailPath(services.layout.thumbnails, hashed.hash);
      const result = await content.decode(DEFAULT_LIMITS, thumbnailFile);
      if (!result.ok) {
        noteFailure(item.source, result.message);
        return null;
      }
      if (result.image.thumbnailFile !== thumbnailFile) await writeFileAtomic(thumbnailFile, result.image.thumbnail);
      const { width, height, format } = result.image;
      const { patient_digest: _digest, ...meta } = result.image.meta;
      const placement = placeImage(result.image.meta, format, { id: folderId, path: path.dirname(item.file.path) });
      const id = catalogue.transaction(() => {
        const imageId = catalogue.images.insert({ hash: hashed.hash, width, height, format, byteSize: hashed.size, meta });
        catalogue.hierarchy.file(imageId, placement);
        catalogue.paths.upsert({ path: item.file.path, imageId, folderId, size: item.file.size, mtimeMs: item.file.mtimeMs, seenByJob: 0 });
        return imageId;
      });
      return { id, hash: hashed.hash, source: item.source };
    } finally {
      content.release();
    }
  };

  const iterator = source.items(shard.spec)[Symbol.asyncIterator]();
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const lane = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const pending = await handle(next.value);
      if (pending && !batch.some((p) => p.hash === pending.hash)) batch.push(pending);
      if (batch.length >= batchSize) await flush();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await flush();
  await store.read((client) =>
    client.query(`UPDATE ${S}.shards SET state = 'done', failed = $3, updated_at = now() WHERE job_id = $1 AND shard_no = $2`, [data.jobId, data.shardNo, failed]),
  );
  options.onShard?.({ jobId: data.jobId, shardNo: data.shardNo, recorded, skipped, failed, errors, seconds: (performance.now() - started) / 1000 });
}

function imageRecord(services: Services, p: Pending): unknown[] {
  const { catalogue } = services;
  const image = catalogue.images.get(p.id)!;
  const instance = catalogue.hierarchy.instance(p.id);
  const series = instance ? catalogue.hierarchy.series(instance.seriesId) : undefined;
  return [
    p.hash,
    image.width,
    image.height,
    image.format,
    image.byteSize,
    JSON.stringify(image.meta),
    p.source,
    series?.seriesKey ?? null,
    series?.studyKey ?? null,
    series?.kind ?? null,
    series?.modality ?? null,
    series?.bodyPart ?? null,
    series?.studyDate ?? null,
    series?.seriesDescription ?? null,
    instance?.sopUid ?? null,
    instance?.instanceNumber ?? null,
    thumbnailOf(services, p.hash),
  ];
}

/** The image's thumbnail (written by the decode), shared so that homes without the file can list it. */
function thumbnailOf(services: Services, hash: string): Buffer | null {
  try {
    return readFileSync(thumbnailPath(services.layout.thumbnails, hash));
  } catch {
    return null;
  }
}
