/**
 * Bytes of an image -> the network's input, as the model's preprocess spec says. Decoding untrusted
 * bytes (an upload for search, a file added to a class) can crash or hang a decoder, so the app does it
 * in the sandboxed decode worker pool, the same processes that decode imports (the pool implements
 * `InputPreparer`); tests and tools may prepare in this process. Failures are values with a reason.
 */
import type { DecoderRegistry } from '../ingest/decoders/registry';
import { normalisePixels, toInputPixels, type InputPixels } from '../ml/data/preprocess';
import type { PreprocessSpec } from '../ml/data/preprocessSpec';
import { sourceFromBytes } from './imageSource';

export type Prepared = { ok: true; inputs: Float32Array } | { ok: false; code: string; message: string };

/**
 * The step before normalisation: decoded, resized pixels (8-bit for ordinary images). The decode
 * processes answer with these, a quarter of the float inputs' bytes for the IPC channel to carry.
 */
export type PreparedPixels = { ok: true; pixels: InputPixels } | { ok: false; code: string; message: string };

export interface InputPreparer {
  prepare(bytes: Buffer, spec: PreprocessSpec): Promise<Prepared>;
}

/** Content sniffing, the DICOM decoder or sharp, then the one preprocessing function. */
export async function prepareInputs(registry: DecoderRegistry, bytes: Buffer, spec: PreprocessSpec): Promise<Prepared> {
  const prepared = await preparePixels(registry, bytes, spec);
  return prepared.ok ? { ok: true, inputs: normalisePixels(prepared.pixels, spec) } : prepared;
}

/** `prepareInputs` without the normalisation (see `PreparedPixels`). */
export async function preparePixels(registry: DecoderRegistry, bytes: Buffer, spec: PreprocessSpec): Promise<PreparedPixels> {
  const source = await sourceFromBytes(registry, bytes);
  if (!source.ok) return source;
  try {
    return { ok: true, pixels: await toInputPixels(source.source, spec) };
  } catch (error) {
    return { ok: false, code: 'decode_error', message: `The image could not be decoded: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function inProcessPreparer(registry: DecoderRegistry): InputPreparer {
  return { prepare: (bytes, spec) => prepareInputs(registry, bytes, spec) };
}
