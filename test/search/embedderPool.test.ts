import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from '../../main/search/embedder';
import { createEmbedderPool, embedWorkersFromEnv, splitRanges } from '../../main/search/embedderPool';
import { BACKGROUND_NICE, lowerThisThreadPriority } from '../../main/threads/threadPriority';

const MODEL_DIR = path.resolve(__dirname, '../../assets/models/default');

describe('splitRanges', () => {
  it('covers every item once, in order, in near-equal contiguous parts', () => {
    expect(splitRanges(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(splitRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(splitRanges(7, 1)).toEqual([[0, 7]]);
  });
});

describe('embedWorkersFromEnv', () => {
  it('takes a positive whole number and ignores anything else', () => {
    expect(embedWorkersFromEnv({ SIMILA_EMBED_WORKERS: '3' })).toBe(3);
    expect(embedWorkersFromEnv({ SIMILA_EMBED_WORKERS: '0' })).toBeUndefined();
    expect(embedWorkersFromEnv({ SIMILA_EMBED_WORKERS: 'many' })).toBeUndefined();
    expect(embedWorkersFromEnv({})).toBeUndefined();
  });
});

describe('embedder pool (shipped model, wasm workers)', () => {
  let single: Embedder;
  let pool: Embedder;

  beforeAll(async () => {
    [single, pool] = await Promise.all([createEmbedder({ modelDir: MODEL_DIR, prefer: ['wasm'] }), createEmbedderPool({ modelDir: MODEL_DIR, prefer: ['wasm'], workers: 3, minChunk: 4, waitForAllWorkers: true })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([single?.close(), pool?.close()]);
  });

  const inputsFor = (count: number) => {
    const length = single.inputSize * single.inputSize * single.channels;
    const inputs = new Float32Array(count * length);
    // Distinct, deterministic images: each a different ramp.
    for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 0.01 + Math.floor(i / length)) * 0.9;
    return inputs;
  };

  it('runs three workers and gives the same vectors and trunk rows as one, in input order', async () => {
    expect(pool.workers).toBe(3);
    const count = 25; // split 8 / 8 / 9
    const inputs = inputsFor(count);
    const [one, many] = await Promise.all([single.embedInputsWithTrunk(inputs, count), pool.embedInputsWithTrunk(inputs, count)]);
    expect(many.vectors.length).toBe(count * single.embeddingDim);
    for (let i = 0; i < one.vectors.length; i++) expect(many.vectors[i]).toBeCloseTo(one.vectors[i]!, 5);
    expect(one.trunk).not.toBeNull();
    expect(many.trunk?.length).toBe(one.trunk!.length);
    for (let i = 0; i < one.trunk!.length; i += 97) expect(many.trunk![i]).toBeCloseTo(one.trunk![i]!, 5);
  });

  it('runs a background embedder at a lower priority on its own thread only (Linux), with the same vectors', async () => {
    const before = os.getPriority();
    const background = await createEmbedder({ modelDir: MODEL_DIR, prefer: ['wasm'], background: true });
    try {
      expect(single.threadNice).toBeNull(); // the search pool's workers keep the app's priority
      if (process.platform === 'linux') expect(background.threadNice).toBe(Math.max(BACKGROUND_NICE, before));
      else expect(background.threadNice).toBeNull();
      expect(os.getPriority()).toBe(before); // this thread (and so the process's serving thread) is unchanged
      const inputs = inputsFor(3);
      expect(Array.from(await background.embedInputs(inputs, 3))).toEqual(Array.from(await single.embedInputs(inputs, 3)));
    } finally {
      await background.close();
    }
  });

  it('embeds a single query whole and rejects a wrong input length with a clear reason', async () => {
    const inputs = inputsFor(1);
    const [one, many] = await Promise.all([single.embedInputs(inputs, 1), pool.embedInputs(inputs, 1)]);
    expect(Array.from(many)).toEqual(Array.from(one));
    await expect(pool.embedInputs(new Float32Array(10), 20)).rejects.toThrow(/inputs need/);
  });

  it('serves from its first worker at once, and the others join when they are ready', async () => {
    const early = await createEmbedderPool({ modelDir: MODEL_DIR, prefer: ['wasm'], workers: 3, minChunk: 4 });
    try {
      // Resolved after the first worker: the other two cannot have loaded yet (each needs a thread and a wasm start).
      expect(early.workers).toBe(1);
      const count = 12;
      const inputs = inputsFor(count);
      const expected = await single.embedInputs(inputs, count);
      const whileStarting = await early.embedInputs(inputs, count);
      for (let i = 0; i < expected.length; i += 13) expect(whileStarting[i]).toBeCloseTo(expected[i]!, 5);
      await early.allStarted;
      expect(early.workers).toBe(3);
      const joined = await early.embedInputs(inputs, count);
      for (let i = 0; i < expected.length; i += 13) expect(joined[i]).toBeCloseTo(expected[i]!, 5);
    } finally {
      await early.close();
    }
    expect(early.alive).toBe(false);
  }, 120_000);
});

describe('lowerThisThreadPriority', () => {
  it('does nothing where the nice value belongs to the whole process', () => {
    const before = os.getPriority();
    expect(lowerThisThreadPriority('darwin')).toBeNull();
    expect(lowerThisThreadPriority('win32')).toBeNull();
    expect(os.getPriority()).toBe(before);
  });
});
