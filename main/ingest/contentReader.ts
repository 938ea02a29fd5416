/**
 * How the importer reads a file's content: `open` reserves a reader for one file, which hashes it
 * (reading it once) and, only when the content is new, decodes it. Two implementations: in this
 * process (tests, tools) and in the decode worker pool (the app and CLI: crash and hang isolation,
 * both cores, hashing off the event loop).
 */
import { promises as fs } from 'node:fs';
import type { DecoderRegistry } from './decoders/registry';
import type { DecodeFailure, DecodeLimits, DecodeResult } from './decoders/types';
import { decodeToThumbnail, sha256 } from './decodeBytes';
import { describeFsError, describeUnreadable } from './fsErrors';
import type { ScannedFile } from './scanner';

export type HashResult = { ok: true; hash: string; size: number } | DecodeFailure;

export interface FileContent {
  hash(): Promise<HashResult>;
  /**
   * Decodes the content. With `thumbnailFile` the reader may write the thumbnail there itself
   * (the result then says so in image.thumbnailFile); otherwise the caller stores image.thumbnail.
   */
  decode(limits: DecodeLimits, thumbnailFile?: string): Promise<DecodeResult>;
  /** Frees the reader (and the bytes it holds) for the next file. */
  release(): void;
}

export interface ContentReader {
  open(file: ScannedFile, maxFileBytes: number): Promise<FileContent>;
  close(): Promise<void>;
}

export { describeFsError };

/** Reads a file for hashing with the empty/too-large/read-error reasons every reader shares. */
export async function readForHash(path: string, maxFileBytes: number): Promise<{ ok: true; bytes: Buffer } | DecodeFailure> {
  let bytes: Buffer;
  try {
    const stat = await fs.stat(path);
    if (stat.size > maxFileBytes) {
      return { ok: false, code: 'too_large', message: `The file is ${stat.size} bytes, more than the ${maxFileBytes}-byte limit.` };
    }
    bytes = await fs.readFile(path);
  } catch (error) {
    return { ok: false, ...describeUnreadable(error, 'file') };
  }
  if (bytes.length === 0) return { ok: false, code: 'empty_file', message: 'The file is empty (0 bytes).' };
  return { ok: true, bytes };
}

export function createInProcessReader(registry: DecoderRegistry): ContentReader {
  return {
    async open(file, maxFileBytes) {
      let bytes: Buffer | null = null;
      return {
        async hash() {
          const read = await readForHash(file.path, maxFileBytes);
          if (!read.ok) return read;
          bytes = read.bytes;
          return { ok: true, hash: sha256(bytes), size: bytes.length };
        },
        async decode(limits, thumbnailFile) {
          if (!bytes) {
            const read = await readForHash(file.path, maxFileBytes);
            if (!read.ok) return read;
            bytes = read.bytes;
          }
          return decodeToThumbnail(registry, file.path, bytes, limits, thumbnailFile);
        },
        release() {
          bytes = null;
        },
      };
    },
    async close() {},
  };
}
