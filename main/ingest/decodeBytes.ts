/**
 * Bytes -> decoded image or a reason: content sniffing picks the decoder (the file name says
 * nothing), and a decoder that throws is turned into a `decode_error` value. Shared by the
 * in-process reader and the decode worker processes.
 */
import { createHash } from 'node:crypto';
import { asResourceFault, describeFsError, ResourceFaultError } from './fsErrors';
import type { DecoderRegistry } from './decoders/registry';
import type { DecodeLimits, DecodeResult } from './decoders/types';
import { SNIFF_BYTES, sniff } from './sniff';
import { writeFileAtomic } from './thumbnails';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function decodeBytes(registry: DecoderRegistry, path: string, bytes: Buffer, limits: DecodeLimits): Promise<DecodeResult> {
  const sniffed = sniff(bytes.subarray(0, SNIFF_BYTES));
  if (!sniffed) {
    return { ok: false, code: 'unsupported_format', message: 'The content is not an image format Simila recognises (checked by its first bytes, not its name).' };
  }
  const decoder = registry.find(sniffed);
  if (!decoder) return { ok: false, code: 'unsupported_format', message: `The file is ${sniffed.format.toUpperCase()}, which this version of Simila cannot decode yet.` };
  try {
    return await decoder.decode({ path, bytes, sniffed }, limits);
  } catch (error) {
    return { ok: false, code: 'decode_error', message: `The ${decoder.name} decoder failed: ${String(error)}` };
  }
}

/**
 * Decodes and, when `thumbnailFile` is given, writes the thumbnail there itself (atomically) and
 * returns only the facts: the decode worker then sends no thumbnail bytes and the main process
 * does no file writes.
 */
export async function decodeToThumbnail(registry: DecoderRegistry, path: string, bytes: Buffer, limits: DecodeLimits, thumbnailFile?: string): Promise<DecodeResult> {
  const result = await decodeBytes(registry, path, bytes, limits);
  if (!result.ok || !thumbnailFile) return result;
  try {
    await writeFileAtomic(thumbnailFile, result.image.thumbnail);
  } catch (error) {
    const fault = asResourceFault(error, 'the thumbnail could not be written');
    if (fault instanceof ResourceFaultError) return { ok: false, code: fault.code, message: fault.message };
    return { ok: false, code: 'write_error', message: `The thumbnail could not be written: ${describeFsError(error)}` };
  }
  return { ok: true, image: { ...result.image, thumbnail: Buffer.alloc(0), thumbnailFile } };
}
