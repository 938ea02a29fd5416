// One frame, from wherever it lives (native, deflated, or a codec) to stored samples.
import { inflateRawSync } from 'node:zlib';
import { decodeJpeg2000, decodeHtj2k } from './codecs/jpeg2000';
import { decodeJpegBaseline, UnsupportedPrecisionError } from './codecs/jpegBaseline';
import { decodeJpegLossless } from './codecs/jpegLossless';
import { decodeJpegLs } from './codecs/jpegLs';
import { decodeRle } from './codecs/rle';
import { codestreamSize } from './codecs/codestreamSize';
import { CodecError, type DecodedSamples, type FrameGeometry } from './codecs/samples';
import type { DataSet, Element, Fragment } from './dicomParserModule';
import { joinFragments } from './encapsulated';
import { nativeFrameBits, readNativeFrame } from './nativePixels';
import type { PixelEncoding } from './transferSyntax';
import { dicomError, type DicomError } from './types';

export interface FrameSource {
  dataSet: DataSet;
  element: Element;
  encoding: PixelEncoding;
  bigEndian: boolean;
  geometry: FrameGeometry;
  /** Fragments per frame, for encapsulated encodings. */
  fragments?: Fragment[][];
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'number') return `codec aborted (code ${e})`;
  return String(e);
}

async function decodeEncoded(encoding: PixelEncoding, encoded: Uint8Array, geom: FrameGeometry): Promise<DecodedSamples | DicomError> {
  switch (encoding) {
    case 'rle':
      return decodeRle(encoded, geom);
    case 'jpegBaseline':
      return decodeJpegBaseline(encoded, geom);
    case 'jpegLossless':
      return decodeJpegLossless(encoded, geom);
    case 'jpegLs':
      return decodeJpegLs(encoded, geom);
    case 'jpeg2000':
      return decodeJpeg2000(encoded, geom);
    case 'htj2k':
      return decodeHtj2k(encoded, geom);
    case 'deflatedFrames': {
      const frameBytes = Math.ceil(nativeFrameBits(geom) / 8);
      const inflated = new Uint8Array(inflateRawSync(encoded, { maxOutputLength: frameBytes + 1024 }));
      const element: Element = { tag: 'x7fe00010', length: inflated.length, dataOffset: 0 };
      const result = readNativeFrame({ byteArray: inflated, element, bigEndian: false }, geom, 0);
      if (result === 'truncated') return dicomError('dicom_truncated', 'A deflated frame inflates to fewer bytes than the image needs.');
      return result;
    }
    case 'native':
      return dicomError('dicom_decode_error', 'Native pixel data reached the codec path.');
  }
}

export async function decodeFrameSamples(source: FrameSource, index: number): Promise<DecodedSamples | DicomError> {
  const { geometry: geom } = source;
  if (source.encoding === 'native') {
    const result = readNativeFrame({ byteArray: source.dataSet.byteArray, element: source.element, bigEndian: source.bigEndian }, geom, index);
    return result === 'truncated' ? dicomError('dicom_truncated', `The pixel data ends before frame ${index + 1}.`) : result;
  }
  const fragments = source.fragments?.[index];
  if (!fragments) return dicomError('dicom_truncated', `The pixel data holds no fragments for frame ${index + 1}.`);
  const encoded = joinFragments(source.dataSet.byteArray, fragments);
  const family = source.encoding === 'jpeg2000' || source.encoding === 'htj2k' ? 'j2k' : source.encoding === 'rle' || source.encoding === 'deflatedFrames' ? undefined : 'jpeg';
  const declared = family ? codestreamSize(encoded, family) : undefined;
  // A codestream may not declare (much) more than the header: that is how decompression bombs look.
  if (declared && declared.width * declared.height > 4 * geom.rows * geom.columns) {
    return dicomError('dicom_too_large', `The compressed frame declares ${declared.width} x ${declared.height} pixels, the header ${geom.columns} x ${geom.rows}.`);
  }
  try {
    return await decodeEncoded(source.encoding, encoded, geom);
  } catch (e) {
    if (e instanceof UnsupportedPrecisionError) return dicomError('dicom_unsupported_syntax', e.message);
    if (e instanceof RangeError && /maxOutputLength|larger than/i.test(e.message)) {
      return dicomError('dicom_too_large', 'A deflated frame inflates to more bytes than the image declares.');
    }
    const prefix = e instanceof CodecError ? 'The compressed frame is corrupt' : 'The codec failed';
    return dicomError('dicom_decode_error', `${prefix} (frame ${index + 1}): ${describe(e)}`);
  }
}
