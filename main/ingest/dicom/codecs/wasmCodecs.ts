// Loads each Emscripten codec once, on first use, and runs one frame through it.
import type { CharlsModule, LibJpegTurboModule, OpenJpegModule, OpenJphModule, WasmDecoder, WasmFrameInfo } from './wasmTypes';
import { CodecError } from './samples';

// OpenJPEG logs every tile to stdout; errors reach us as exceptions instead.
const quiet = { print: () => {}, printErr: () => {} };

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= load().catch((e: unknown) => {
      promise = undefined; // allow a retry after a transient failure
      throw e;
    });
    return promise;
  };
}

export const loadCharls = once(async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(quiet) as Promise<CharlsModule>);
export const loadLibJpegTurbo = once(
  async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(quiet) as Promise<LibJpegTurboModule>,
);
export const loadOpenJpeg = once(async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(quiet) as Promise<OpenJpegModule>);
export const loadOpenJph = once(async () => (await import('@cornerstonejs/codec-openjph/wasmjs')).default(quiet) as Promise<OpenJphModule>);

export interface WasmDecodeOutput<D extends WasmDecoder> {
  bytes: Uint8Array;
  info: WasmFrameInfo;
  decoder: D;
}

/**
 * Runs the decoder on one encoded frame. The decoded buffer is a view into wasm memory, so it is
 * copied before the decoder is deleted. `inspect` may read codec-specific facts before deletion.
 */
export function runWasmDecoder<D extends WasmDecoder, R>(
  decoder: D,
  encoded: Uint8Array,
  finish: (bytes: Uint8Array, info: WasmFrameInfo, decoder: D) => R,
): R {
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (e) {
      throw new CodecError(typeof e === 'number' ? `codec aborted (code ${e})` : e instanceof Error ? e.message : String(e));
    }
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    return finish(bytes, info, decoder);
  } finally {
    decoder.delete();
  }
}
