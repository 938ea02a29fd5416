/** Content-addressed files under the data home: <dir>/<hash[0..2]>/<hash>.<ext>, written atomically. */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export function shardedPath(dir: string, hash: string, ext: string): string {
  return path.join(dir, hash.slice(0, 2), `${hash}.${ext}`);
}

export function thumbnailPath(thumbnailsDir: string, hash: string): string {
  return shardedPath(thumbnailsDir, hash, 'webp');
}

/** Writes via a temp file + rename, so a crash never leaves a half-written file under the final name. */
export async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, data);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
