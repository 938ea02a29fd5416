// Uploaded bytes (a search by an image from outside the archive) are decoded in the sandboxed decode
// pool, the same worker processes as imports, never in the app's own process.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../main/app/services';
import type { DecodePool } from '../../main/ingest/pool/decodePool';
import { copyClasses, installTinyModel, tempDir } from './searchFixture';

describe('uploads for search', () => {
  let work: ReturnType<typeof tempDir>;
  let services: Services;
  let archive: string;

  beforeAll(async () => {
    work = tempDir('uploads-pool');
    archive = copyClasses(work.dir, ['Hand'], 1);
    services = openServices({ home: path.join(work.dir, 'home'), env: {}, decodeWorkers: 1, progressThrottleMs: 0, shippedModelsRoot: null, preferBackends: ['wasm'] });
    await installTinyModel(services);
  }, 60_000);
  afterAll(async () => {
    await services?.close();
    work?.cleanup();
  });

  it('are decoded by a decode worker process, and a file that is no image gets its reason', async () => {
    const pool = services.reader as DecodePool;
    expect(services.preparer).toBe(pool);
    expect(pool.started).toBe(0); // nothing imported: no worker yet
    const dir = path.join(archive, 'Hand');
    const bytes = readFileSync(path.join(dir, readdirSync(dir)[0]!));
    const { vector } = await services.search.byBytesWithVector('q.jpeg', bytes, 3);
    expect(vector.length).toBeGreaterThan(0);
    expect(pool.started).toBe(1);
    await expect(services.search.byBytesWithVector('q.txt', Buffer.from('hello, not an image'), 3)).rejects.toThrow(/not an image format/);
  }, 60_000);
});
