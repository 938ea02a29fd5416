/**
 * The embedding job's pipeline: batch k+1's network pass is under way while batch k is stored and
 * inserted, and a stop or a failure with a batch taken ahead loses nothing already stored.
 * A real catalogue and model; the engine's embedder and index are wrapped to record the order of events.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../main/app/services';
import type { GraphIndex } from '../../main/index/graphIndex';
import type { JobCounts } from '../../main/jobs/jobQueue';
import type { ModelRecord } from '../../main/catalogue/repositories/models';
import { createEmbedRunner } from '../../main/search/embedJob';
import type { Embedder } from '../../main/search/embedder';
import type { SearchEngine } from '../../main/search/searchEngine';
import { copyClasses, importFolder, installTinyModel, openTestServices, tempDir } from './searchFixture';

const CLASSES = ['CXR', 'Hand', 'HeadCT'];
const PER_CLASS = 4;
const TOTAL = CLASSES.length * PER_CLASS;
const BATCH = 3;

interface Recording {
  events: string[];
  /** Called when batch `n` (1-based) starts its network pass; a throw fails that pass. */
  onEmbed?: (n: number) => void;
}

/** The engine with its embedder and index wrapped: each network pass and each insert is logged in order. */
function recordingEngine(engine: SearchEngine, recording: Recording): SearchEngine {
  let passes = 0;
  let inserts = 0;
  const wrapEmbedder = (embedder: Embedder): Embedder => ({
    ...embedder,
    embedInputsWithTrunk: async (inputs, count) => {
      const n = ++passes;
      recording.events.push(`embed ${n} start`);
      recording.onEmbed?.(n);
      const result = await embedder.embedInputsWithTrunk(inputs, count);
      recording.events.push(`embed ${n} end`);
      return result;
    },
  });
  const wrapIndex = (index: GraphIndex): GraphIndex =>
    new Proxy(index, {
      get(target, key, receiver) {
        if (key === 'addYielding') {
          return async (ids: number[], vectors: Float32Array) => {
            const n = ++inserts;
            recording.events.push(`insert ${n} start`);
            await target.addYielding(ids, vectors);
            recording.events.push(`insert ${n} end`);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(engine, {
    get(target, key, receiver) {
      if (key === 'embedder') return async (model: ModelRecord) => wrapEmbedder(await target.embedder(model));
      if (key === 'index') return async (model: ModelRecord) => wrapIndex(await target.index(model));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

describe('embedding job pipeline (tiny random model: mechanics)', () => {
  let work: ReturnType<typeof tempDir>;
  let services: Services;
  let importJob: number;

  beforeAll(async () => {
    work = tempDir('embed-pipeline');
    const archive = copyClasses(work.dir, CLASSES, PER_CLASS);
    services = openTestServices(path.join(work.dir, 'home'), { batch: BATCH });
    await importFolder(services, archive);
    importJob = services.catalogue.jobs.listRecent(1)[0]!.id;
  }, 60_000);
  afterAll(async () => {
    await services?.close();
    work?.cleanup();
  });

  // Each test embeds with a model of its own (seed), so it starts with no vectors.
  const run = (modelId: number, recording: Recording, signal = new AbortController().signal) => {
    const runner = createEmbedRunner({ catalogue: services.catalogue, engine: recordingEngine(services.engine, recording), batchSize: BATCH });
    return runner({ jobId: importJob, params: { modelId }, signal, report: (_counts: JobCounts) => undefined });
  };

  it("starts the next batch's network pass before this batch's insert, and stores every batch once, in order", async () => {
    const modelId = await installTinyModel(services, 11);
    const recording: Recording = { events: [] };
    const outcome = await run(modelId, recording);
    expect(outcome.summary).toMatchObject({ embedded: TOTAL, failed: 0, cancelled: false });
    expect(services.catalogue.embeddings.count(modelId)).toBe(TOTAL);
    const { events } = recording;
    const batches = TOTAL / BATCH;
    expect(events.filter((e) => e.endsWith('start') && e.startsWith('embed'))).toHaveLength(batches);
    expect(events.filter((e) => e.endsWith('start') && e.startsWith('insert'))).toHaveLength(batches);
    // Overlap: pass k+1 is requested before insert k begins (before, the workers waited for each insert).
    for (let k = 1; k < batches; k++) expect(events.indexOf(`embed ${k + 1} start`)).toBeLessThan(events.indexOf(`insert ${k} start`));
    // Order: batch k is inserted after its own pass ended, and inserts do not overlap one another.
    for (let k = 1; k <= batches; k++) expect(events.indexOf(`insert ${k} start`)).toBeGreaterThan(events.indexOf(`embed ${k} end`));
    for (let k = 1; k < batches; k++) expect(events.indexOf(`insert ${k + 1} start`)).toBeGreaterThan(events.indexOf(`insert ${k} end`));
    // Never more than one pass ahead of the stores.
    for (let k = 1; k + 2 <= batches; k++) expect(events.indexOf(`embed ${k + 2} start`)).toBeGreaterThan(events.indexOf(`insert ${k} start`));
  }, 60_000);

  it('a failed network pass of the batch taken ahead fails the job after the batch before it is stored', async () => {
    const modelId = await installTinyModel(services, 12);
    const recording: Recording = {
      events: [],
      onEmbed: (n) => {
        if (n === 2) throw new Error('worker lost');
      },
    };
    await expect(run(modelId, recording)).rejects.toThrow('worker lost');
    // Batch 1 was taken first and stored; batch 2's failure stops the job; nothing after it is stored.
    expect(services.catalogue.embeddings.count(modelId)).toBe(BATCH);
  }, 60_000);

  it('a stop with a batch taken ahead ends cancelled; what was stored stays and the rest is left for the next run', async () => {
    const modelId = await installTinyModel(services, 13);
    const stop = new AbortController();
    const recording: Recording = {
      events: [],
      onEmbed: (n) => {
        if (n === 2) stop.abort();
      },
    };
    const outcome = await run(modelId, recording, stop.signal);
    expect(outcome.cancelled).toBe(true);
    const stored = services.catalogue.embeddings.count(modelId);
    expect(stored).toBeGreaterThanOrEqual(BATCH);
    expect(stored).toBeLessThan(TOTAL);
    expect(outcome.summary).toMatchObject({ embedded: stored, cancelled: true });
    // The next run embeds exactly the rest.
    const rest = await run(modelId, { events: [] });
    expect(rest.summary).toMatchObject({ embedded: TOTAL - stored, cancelled: false });
    expect(services.catalogue.embeddings.count(modelId)).toBe(TOTAL);
  }, 60_000);
});
