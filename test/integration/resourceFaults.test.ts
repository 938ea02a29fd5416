/**
 * Resource faults (issue 12, item 3) on real file systems: a tiny tmpfs that fills during an import,
 * an embedding and an index save; a home remounted read-only; paths with spaces and non-ASCII
 * characters; a folder renamed away mid-import; files the importing user may not read (as `nobody`).
 * The scenarios live in bench/reliability/diskFaults.ts (the bench runs them larger); every check of
 * every case is asserted here. Cases that need root (mount, runuser) are skipped with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  embedDiskFullCase,
  importDiskFullCase,
  mountSupport,
  permissionDeniedCase,
  readOnlyHomeCase,
  runuserSupport,
  SMALL_SCALE,
  unicodePathCase,
  unmountAll,
  vanishingFolderCase,
  type DiskCase,
} from '../../bench/reliability/diskFaults';

const mount = mountSupport();
const runuser = runuserSupport();
if (!mount.ok) console.warn(`[resourceFaults] full-disk and read-only cases skipped: ${mount.reason}`);
if (!runuser.ok) console.warn(`[resourceFaults] permission-denied case skipped: ${runuser.reason}`);

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'simila-faults-'));
});
afterAll(() => {
  unmountAll(); // always, also when a case failed part-way
  rmSync(work, { recursive: true, force: true });
});

/** Every check of the case, named, so a failure says which one (and the case's detail). */
function expectPassed(result: DiskCase): void {
  const failed = Object.entries(result.checks).filter(([, ok]) => !ok).map(([name]) => name);
  expect(failed, `${result.name}: ${JSON.stringify(result.detail, null, 1)}`).toEqual([]);
}

describe('resource faults', () => {
  it.skipIf(!mount.ok)('a full disk during import: failed with disk_full recorded, nothing half-written, the rest imported once the disk is larger', async () => {
    try {
      const result = await importDiskFullCase(work, SMALL_SCALE);
      expectPassed(result);
      expect(result.detail.error).toMatch(/The disk holding the data home is full/);
    } finally {
      unmountAll();
    }
  });

  it.skipIf(!mount.ok)('a full disk during embedding (SQLITE_FULL) and index save (ENOSPC): a sentence, vectors kept, both succeed after space is freed', async () => {
    try {
      expectPassed(await embedDiskFullCase(work, SMALL_SCALE));
    } finally {
      unmountAll();
    }
  });

  it.skipIf(!mount.ok)('a read-only home: list and search work, import and the app say it is read-only (no stack trace)', async () => {
    try {
      expectPassed(await readOnlyHomeCase(work));
    } finally {
      unmountAll();
    }
  });

  it('a home and an archive under "Données médicales/été 2026" import, embed and search', async () => {
    expectPassed(await unicodePathCase(work));
  });

  it('a folder that disappears mid-import: clear failures, earlier images kept, re-import completes', async () => {
    expectPassed(await vanishingFolderCase(work, SMALL_SCALE));
  });

  it.skipIf(!runuser.ok)('files and folders the user may not read (EACCES as nobody): permission_denied with a sentence, the rest imported', async () => {
    expectPassed(await permissionDeniedCase(work));
  });
});
