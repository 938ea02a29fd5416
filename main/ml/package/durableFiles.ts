/**
 * fsync helpers for "written whole or not at all": a rename only publishes what the file system has
 * been told to keep, so file contents are fsynced before the rename and the folder after it (the rename
 * itself is an entry of the folder). Folder fsync is not possible on Windows; there it is skipped.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

/** Flushes a file's contents to stable storage. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (renames, creations) to stable storage; a no-op where folders cannot be opened. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder (EINVAL); the rename stands, only its durability is weaker.
  } finally {
    await handle.close();
  }
}

/** fsyncs every file below `dir` and every folder, deepest first. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(full);
    else if (entry.isFile()) await fsyncFile(full);
  }
  await fsyncDir(dir);
}

/** Writes `data` to `file` through a temporary file beside it: write, fsync, rename, fsync the folder. */
export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    await fsyncDir(path.dirname(file));
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** SHA-256 (hex) of a file's bytes, streamed. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
