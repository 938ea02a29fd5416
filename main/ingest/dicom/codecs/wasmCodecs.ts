// Loads each Emscripten codec once, on first use, and runs one frame through it.
import type { CharlsModule, LibJpegTurboModule, OpenJpegModule, OpenJphModule, WasmDecoder, WasmFrameInfo } from './wasmTypes';
import { CodecError } from './samples';

// OpenJPEG logs every tile; keep only the last error line for messages. Emscripten adopts the
// object it is given as its Module, so every codec gets a fresh one.
let lastCodecError = '';
const quiet = () => ({
  print: () => {},
  printErr: (line: string) => {
    if (/error/i.test(line)) lastCodecError = line.replace(/^\[ERROR\]\s*/, '').trim();
  },
});

/** The codec's last logged error since the previous call (empty when none). */
export function takeCodecError(): string {
  const message = lastCodecError;
  lastCodecError = '';
  return message;
}

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

export const loadCharls = once(async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(quiet()) as Promise<CharlsModule>);
export const loadLibJpegTurbo = once(
  async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(quiet()) as Promise<LibJpegTurboModule>,
);
export const loadOpenJpeg = once(async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(quiet()) as Promise<OpenJpegModule>);
export const loadOpenJph = once(async () => (await import('@cornerstonejs/codec-openjph/wasmjs')).default(quiet()) as Promise<OpenJphModule>);

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
    takeCodecError();
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    try {
      decoder.decode();
    } catch (e) {
      const logged = takeCodecError();
      throw new CodecError(logged || (typeof e === 'number' ? `codec aborted (code ${e})` : e instanceof Error ? e.message : String(e)));
    }
    const info = decoder.getFrameInfo();
    const bytes = decoder.getDecodedBuffer().slice();
    if (bytes.length === 0) throw new CodecError(takeCodecError() || 'the codec produced no pixels');
    return finish(bytes, info, decoder);
  } finally {
    decoder.delete();
  }
}
