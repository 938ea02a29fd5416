// JPEG 2000 through OpenJPEG and HTJ2K through OpenJPH. Both apply the inverse component transform
// (ICT/RCT) themselves, so YBR_ICT / YBR_RCT come out as RGB.
import { bytesToSamples, type DecodedSamples, type FrameGeometry } from './samples';
import { loadOpenJpeg, loadOpenJph, runWasmDecoder } from './wasmCodecs';
import type { WasmFrameInfo } from './wasmTypes';

function toSamples(bytes: Uint8Array, info: WasmFrameInfo): DecodedSamples {
  return { samples: bytesToSamples(bytes, info.bitsPerSample, info.isSigned === true), rgbAlready: info.componentCount > 1 };
}

export async function decodeJpeg2000(encoded: Uint8Array, geom: FrameGeometry): Promise<DecodedSamples> {
  const openjpeg = await loadOpenJpeg();
  return runWasmDecoder(new openjpeg.J2KDecoder(), encoded, (bytes, info) => toSamples(bytes, info));
}

export async function decodeHtj2k(encoded: Uint8Array, geom: FrameGeometry): Promise<DecodedSamples> {
  const openjph = await loadOpenJph();
  return runWasmDecoder(new openjph.HTJ2KDecoder(), encoded, (bytes, info) => toSamples(bytes, info));
}
