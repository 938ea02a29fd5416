// JPEG-LS (lossless and near-lossless) through CharLS.
import { bytesToSamples, interleavePlanes, type DecodedSamples, type FrameGeometry } from './samples';
import { loadCharls, runWasmDecoder } from './wasmCodecs';

export async function decodeJpegLs(encoded: Uint8Array, geom: FrameGeometry): Promise<DecodedSamples> {
  const charls = await loadCharls();
  return runWasmDecoder(new charls.JpegLSDecoder(), encoded, (bytes, info, decoder) => {
    const samples = bytesToSamples(bytes, info.bitsPerSample, false);
    // Interleave mode 0 (none) decodes plane by plane.
    const planar = info.componentCount > 1 && decoder.getInterleaveMode() === 0;
    return { samples: planar ? interleavePlanes(samples, info.width * info.height, info.componentCount) : samples, rgbAlready: false };
  });
}
