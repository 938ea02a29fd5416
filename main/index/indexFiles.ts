/**
 * Index files on disk: <dir>/<modelId>.hnsw plus <modelId>.hnsw.json (the sidecar). Both are written to
 * temporary names, fsynced, and renamed into place, index first (the folder is fsynced after the renames); the sidecar carries the index file's size and
 * SHA-256, so a torn or foreign pair is detected as corrupt before hnswlib ever reads it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../ml/package/durableFiles';
import type { HnswParams } from './hnswIndex';

export const SIDECAR_FORMAT = 1;

export interface IndexSidecar {
  format: typeof SIDECAR_FORMAT;
  modelId: number;
  dim: number;
  space: 'l2';
  params: HnswParams;
  /** Live vectors. */
  count: number;
  /** The source revision the index reflects (see VectorSource.revision). */
  revision: number;
  deleted: number[];
  bytes: number;
  sha256: string;
  savedAt: string;
}

export function indexPaths(dir: string, modelId: number): { index: string; sidecar: string } {
  const index = path.join(dir, `${modelId}.hnsw`);
  return { index, sidecar: `${index}.json` };
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface AtomicWriteHooks {
  /** Test seam: runs after the temporary files exist, before they are renamed into place. */
  beforeRename?: () => void | Promise<void>;
}

/**
 * Lets `writeIndexTo` write the graph to a temporary file (and describe what it wrote), then publishes graph and sidecar by rename.
 * On any failure the temporaries are removed and the previous pair, if any, is untouched.
 */
export async function writeIndexAtomically(
  dir: string,
  modelId: number,
  writeIndexTo: (file: string) => Promise<Omit<IndexSidecar, 'bytes' | 'sha256' | 'savedAt' | 'format'>>,
  hooks: AtomicWriteHooks = {},
): Promise<IndexSidecar> {
  await mkdir(dir, { recursive: true });
  const final = indexPaths(dir, modelId);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const tmpIndex = `${final.index}.${tag}`;
  const tmpSidecar = `${final.sidecar}.${tag}`;
  try {
    const sidecar = await writeIndexTo(tmpIndex);
    const full: IndexSidecar = {
      format: SIDECAR_FORMAT,
      ...sidecar,
      bytes: (await stat(tmpIndex)).size,
      sha256: await fileSha256(tmpIndex),
      savedAt: new Date().toISOString(),
    };
    await writeFile(tmpSidecar, JSON.stringify(full));
    await fsyncFile(tmpIndex);
    await fsyncFile(tmpSidecar);
    await hooks.beforeRename?.();
    await rename(tmpIndex, final.index);
    await rename(tmpSidecar, final.sidecar);
    await fsyncDir(dir);
    return full;
  } catch (error) {
    await rm(tmpIndex, { force: true });
    await rm(tmpSidecar, { force: true });
    throw error;
  }
}

export type SidecarCheck =
  | { ok: true; sidecar: IndexSidecar }
  | { ok: false; code: 'missing' | 'corrupt' | 'mismatch'; message: string };

/** Reads the sidecar and verifies the index file against it (size and checksum) and against the model. */
export async function checkIndexFiles(dir: string, modelId: number, dim: number): Promise<SidecarCheck> {
  const files = indexPaths(dir, modelId);
  let sidecar: IndexSidecar;
  try {
    sidecar = JSON.parse(await readFile(files.sidecar, 'utf8')) as IndexSidecar;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, code: missing ? 'missing' : 'corrupt', message: `Index sidecar ${files.sidecar}: ${(error as Error).message}` };
  }
  if (!isSidecar(sidecar)) return { ok: false, code: 'corrupt', message: `Index sidecar ${files.sidecar} is not in the expected form.` };
  if (sidecar.modelId !== modelId || sidecar.dim !== dim) {
    return { ok: false, code: 'mismatch', message: `Index ${files.index} is for model ${sidecar.modelId} (${sidecar.dim}-d), not ${modelId} (${dim}-d).` };
  }
  let bytes: number;
  try {
    bytes = (await stat(files.index)).size;
  } catch {
    return { ok: false, code: 'missing', message: `Index file ${files.index} is missing.` };
  }
  if (bytes !== sidecar.bytes || (await fileSha256(files.index)) !== sidecar.sha256) {
    return { ok: false, code: 'corrupt', message: `Index file ${files.index} does not match its checksum.` };
  }
  return { ok: true, sidecar };
}

function isSidecar(value: unknown): value is IndexSidecar {
  const s = value as Partial<IndexSidecar> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.format === SIDECAR_FORMAT &&
    typeof s.modelId === 'number' &&
    typeof s.dim === 'number' &&
    typeof s.count === 'number' &&
    typeof s.revision === 'number' &&
    typeof s.bytes === 'number' &&
    typeof s.sha256 === 'string' &&
    Array.isArray(s.deleted) &&
    typeof s.params === 'object' &&
    s.params !== null &&
    typeof s.params.m === 'number' &&
    typeof s.params.efConstruction === 'number' &&
    typeof s.params.ef === 'number'
  );
}
