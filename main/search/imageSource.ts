/**
 * Bytes of an image (a catalogued file or an upload) -> what the one preprocessing function reads:
 * the same content sniffing and decoder registry as import, DICOM through its own decoder (the middle
 * frame's full-range modality values, MONOCHROME1 flipped so bright means the same as in MONOCHROME2;
 * colour DICOM as rendered RGB), everything else as bytes for sharp. Failures are values with a reason.
 */
import { promises as fs } from 'node:fs';
import type { Catalogue } from '../catalogue/catalogue';
import { displayToSharp, middleFrame } from '../ingest/decoders/dicomDecoder';
import type { DecoderRegistry } from '../ingest/decoders/registry';
import { DEFAULT_LIMITS } from '../ingest/decoders/types';
import { decodeDicom, renderFrame } from '../ingest/dicom';
import { SNIFF_BYTES, sniff } from '../ingest/sniff';
import type { ImageSource } from '../ml/data/preprocess';
import { parseRemotePath } from '../../shared/teamPaths';

export type SourceResult = { ok: true; source: ImageSource } | { ok: false; code: string; message: string };

export async function sourceFromBytes(registry: DecoderRegistry, bytes: Buffer): Promise<SourceResult> {
  if (bytes.length === 0) return { ok: false, code: 'empty_file', message: 'The file is empty.' };
  const sniffed = sniff(bytes.subarray(0, SNIFF_BYTES));
  if (!sniffed) return { ok: false, code: 'unsupported_format', message: 'The content is not an image format Simila recognises.' };
  if (!registry.find(sniffed)) return { ok: false, code: 'unsupported_format', message: `The file is ${sniffed.format.toUpperCase()}, which this version of Simila cannot decode.` };
  if (sniffed.format !== 'dicom') return { ok: true, source: bytes };
  const decoded = await decodeDicom(bytes, { maxPixels: DEFAULT_LIMITS.maxPixels });
  if (!decoded.ok) return { ok: false, code: decoded.code, message: decoded.message };
  const image = decoded.image;
  const framed = await image.frame(middleFrame(image.frames));
  if (!framed.ok) return { ok: false, code: framed.code, message: framed.message };
  const frame = framed.frame;
  if (frame.kind === 'rgb') {
    const png = await displayToSharp(renderFrame(image, frame)).png({ compressionLevel: 1 }).toBuffer();
    return { ok: true, source: png };
  }
  const data = image.invert ? frame.data.map((v) => -v) : frame.data;
  return { ok: true, source: { kind: 'modality-frame', width: image.columns, height: image.rows, data } };
}

/** The first catalogued path of an image that is still readable with its recorded size. */
export async function readCataloguedImage(catalogue: Catalogue, imageId: number): Promise<{ ok: true; bytes: Buffer; path: string } | { ok: false; code: string; message: string }> {
  const paths = catalogue.paths.listForImage(imageId);
  if (paths.length === 0) return { ok: false, code: 'not_found', message: `Image ${imageId} has no file in the library any more.` };
  let lastError = '';
  for (const p of paths) {
    const remote = parseRemotePath(p.path);
    if (remote) {
      lastError = `the file is on another workstation (${remote.workstation})`;
      continue;
    }
    try {
      const bytes = await fs.readFile(p.path);
      if (bytes.length === p.size) return { ok: true, bytes, path: p.path };
      lastError = `${p.path} changed since it was imported`;
    } catch (error) {
      lastError = `${p.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
  }
  return { ok: false, code: 'read_error', message: `No file of image ${imageId} is readable unchanged: ${lastError}.` };
}
