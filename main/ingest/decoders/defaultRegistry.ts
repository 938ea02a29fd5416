/** The decoders every Simila process uses, most specific first: DICOM, then sharp's raster formats. */
import { createDicomDecoder } from './dicomDecoder';
import { createDecoderRegistry, type DecoderRegistry } from './registry';
import { createSharpDecoder } from './sharpDecoder';

export function createDefaultRegistry(): DecoderRegistry {
  return createDecoderRegistry([createDicomDecoder(), createSharpDecoder()]);
}
