import { describe, expect, it, vi } from 'vitest';

// No worker support: every index thread fails to start.
vi.mock('../../main/threads/startModuleWorker', () => ({
  startModuleWorker: () => {
    throw new Error('worker threads are not available here');
  },
}));

describe('graphs where no index thread can start', () => {
  it('are made in this thread instead, said once, and answer the same', async () => {
    const { onIndexThreads } = await import('../../main/index/threadedIndex');
    const { HnswIndex } = await import('../../main/index/hnswIndex');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const params = { m: 8, efConstruction: 32, ef: 32 };
      const index = await onIndexThreads.create(4, params, 16);
      const second = await onIndexThreads.create(4, params, 16);
      expect(index).toBeInstanceOf(HnswIndex);
      expect(second).toBeInstanceOf(HnswIndex);
      const said = stderr.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('no index thread'));
      expect(said).toHaveLength(1);
      await index.addYielding([1, 2, 3], Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]));
      expect((await index.nearest([0.9, 0.1, 0, 0], 2)).map((n) => n.id)).toEqual([1, 2]);
      expect((await index.nearestMany([[0, 0, 1, 0]], 1))[0]![0]!.id).toBe(3);
    } finally {
      stderr.mockRestore();
    }
  });
});
