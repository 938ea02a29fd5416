/**
 * The backup container: one file, read and written as a stream, every entry checksummed.
 *
 *   "SIMILABK"                      8 bytes, magic
 *   u32 LE  container version (1)
 *   u32 LE  manifest length M
 *   M bytes manifest, UTF-8 JSON (BackupManifest: entries with relative path, size, SHA-256)
 *   32 bytes SHA-256 of the manifest bytes
 *   entry data, in manifest order, each exactly `size` bytes, no padding
 *
 * Why not tar: no tar package is a direct dependency (tar / tar-stream sit in node_modules only as
 * transitive dependencies of the build tools, which a production install need not carry), and tar
 * carries no checksums of contents; see README.md beside this file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

export const ARCHIVE_MAGIC = Buffer.from('SIMILABK', 'ascii');
export const ARCHIVE_VERSION = 1;
/** A manifest larger than this is not one of ours (a million thumbnails is ~130 MB of JSON; be generous). */
const MAX_MANIFEST_BYTES = 1 << 30;

export interface ArchiveEntry {
  /** Relative to the data home, '/'-separated, never '..' or absolute. */
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: 'simila-backup';
  version: typeof ARCHIVE_VERSION;
  createdAt: string;
  appVersion: string;
  /** What the backup holds besides the catalogue. */
  includes: { models: boolean; uploads: boolean; thumbnails: boolean; indexes: boolean };
  entries: ArchiveEntry[];
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** Safe relative path: no absolute, no '..', no empty parts, no backslashes. */
export function isSafeEntryPath(p: string): boolean {
  if (p.length === 0 || p.length > 4096 || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((part) => part.length > 0 && part !== '.' && part !== '..');
}

/** Writes `sources` (entry path -> absolute file) into `out`; the files must not change meanwhile. */
export async function writeArchive(
  out: string,
  manifestBase: Omit<BackupManifest, 'entries' | 'format' | 'version'>,
  sources: { path: string; file: string }[],
  onProgress?: (doneBytes: number, totalBytes: number) => void,
): Promise<BackupManifest> {
  const entries: ArchiveEntry[] = [];
  for (const source of sources) {
    if (!isSafeEntryPath(source.path)) throw new ArchiveError(`refusing an unsafe entry path: ${source.path}`);
    const size = (await fs.stat(source.file)).size;
    entries.push({ path: source.path, size, sha256: await hashFile(source.file) });
  }
  const manifest: BackupManifest = { format: 'simila-backup', version: ARCHIVE_VERSION, ...manifestBase, entries };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const header = Buffer.alloc(16);
  ARCHIVE_MAGIC.copy(header, 0);
  header.writeUInt32LE(ARCHIVE_VERSION, 8);
  header.writeUInt32LE(manifestBytes.length, 12);
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  const handle = await fs.open(out, 'w');
  try {
    await handle.write(header);
    await handle.write(manifestBytes);
    await handle.write(createHash('sha256').update(manifestBytes).digest());
    let done = 0;
    for (let i = 0; i < sources.length; i++) {
      const entry = entries[i] as ArchiveEntry;
      const hash = createHash('sha256');
      let written = 0;
      for await (const chunk of createReadStream((sources[i] as { file: string }).file)) {
        const buf = chunk as Buffer;
        hash.update(buf);
        await handle.write(buf);
        written += buf.length;
        done += buf.length;
        onProgress?.(done, total);
      }
      if (written !== entry.size || hash.digest('hex') !== entry.sha256) {
        throw new ArchiveError(`${entry.path} changed while it was being backed up; run the backup again`);
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return manifest;
}

/** Reads and verifies the header and manifest; returns where the entry data starts. */
export async function readArchiveManifest(file: string): Promise<{ manifest: BackupManifest; dataOffset: number; fileSize: number }> {
  const handle = await fs.open(file, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const header = Buffer.alloc(16);
    const { bytesRead } = await handle.read(header, 0, 16, 0);
    if (bytesRead < 16 || !header.subarray(0, 8).equals(ARCHIVE_MAGIC)) throw new ArchiveError(`${file} is not a Simila backup`);
    const version = header.readUInt32LE(8);
    if (version !== ARCHIVE_VERSION) throw new ArchiveError(`${file} is a version ${version} backup; this Simila reads version ${ARCHIVE_VERSION}`);
    const length = header.readUInt32LE(12);
    if (length > MAX_MANIFEST_BYTES || 16 + length + 32 > fileSize) throw new ArchiveError(`${file} is truncated or damaged (manifest length ${length})`);
    const manifestBytes = Buffer.alloc(length);
    await handle.read(manifestBytes, 0, length, 16);
    const digest = Buffer.alloc(32);
    await handle.read(digest, 0, 32, 16 + length);
    if (!createHash('sha256').update(manifestBytes).digest().equals(digest)) throw new ArchiveError(`${file}: the backup's manifest does not match its checksum`);
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as BackupManifest;
    } catch {
      throw new ArchiveError(`${file}: the backup's manifest is not valid JSON`);
    }
    if (manifest.format !== 'simila-backup' || !Array.isArray(manifest.entries)) throw new ArchiveError(`${file}: the backup's manifest is not in the expected form`);
    const seen = new Set<string>();
    let total = 0;
    for (const e of manifest.entries) {
      if (typeof e.path !== 'string' || !isSafeEntryPath(e.path) || seen.has(e.path)) throw new ArchiveError(`${file}: unsafe or repeated entry path ${String(e.path)}`);
      if (!Number.isSafeInteger(e.size) || e.size < 0 || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw new ArchiveError(`${file}: entry ${e.path} is not described properly`);
      seen.add(e.path);
      total += e.size;
    }
    const dataOffset = 16 + length + 32;
    if (dataOffset + total !== fileSize) throw new ArchiveError(`${file} is truncated or damaged: ${fileSize} bytes, the manifest describes ${dataOffset + total}`);
    return { manifest, dataOffset, fileSize };
  } finally {
    await handle.close();
  }
}

/**
 * Extracts every entry under `targetDir`, verifying each entry's SHA-256 as it is written; throws an
 * ArchiveError naming the first entry that does not match (what was extracted so far stays in targetDir,
 * which the caller is expected to throw away).
 */
export async function extractArchive(file: string, targetDir: string, onProgress?: (doneBytes: number, totalBytes: number) => void): Promise<BackupManifest> {
  const { manifest, dataOffset } = await readArchiveManifest(file);
  const total = manifest.entries.reduce((sum, e) => sum + e.size, 0);
  let offset = dataOffset;
  let done = 0;
  for (const entry of manifest.entries) {
    const target = path.join(targetDir, ...entry.path.split('/'));
    await fs.mkdir(path.dirname(target), { recursive: true });
    const hash = createHash('sha256');
    const out = await fs.open(target, 'w');
    try {
      if (entry.size > 0) {
        for await (const chunk of createReadStream(file, { start: offset, end: offset + entry.size - 1 })) {
          const buf = chunk as Buffer;
          hash.update(buf);
          await out.write(buf);
          done += buf.length;
          onProgress?.(done, total);
        }
      }
      await out.sync();
    } finally {
      await out.close();
    }
    if (hash.digest('hex') !== entry.sha256) throw new ArchiveError(`${entry.path} in ${file} does not match its checksum: the backup is damaged`);
    offset += entry.size;
  }
  return manifest;
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
