// decodeDicom: bytes -> header facts + lazy frame access, or a reason code with a sentence.
import { jpegPrecision } from './codecs/jpegBaseline';
import type { FrameGeometry } from './codecs/samples';
import { decodeFrameSamples, type FrameSource } from './decodeFrame';
import { ensureFragments, frameFragments, joinFragments } from './encapsulated';
import { readPixelHeader, type PixelHeader } from './header';
import { readFloatFrame } from './nativePixels';
import { parseDataSet } from './parse';
import { isMonochromeOutput, toFrame } from './pixelPipeline';
import { transferSyntaxInfo, transferSyntaxName } from './transferSyntax';
import { DEFAULT_MAX_PIXELS, dicomError, type DecodeOptions, type DicomImage, type DicomResult, type FrameResult } from './types';

const SUPPORTED_BITS = new Set([1, 8, 16, 32]);

function geometryOf(h: PixelHeader): FrameGeometry {
  return {
    rows: h.rows,
    columns: h.columns,
    samplesPerPixel: h.samplesPerPixel,
    bitsAllocated: h.bitsAllocated,
    bitsStored: h.bitsStored,
    pixelRepresentation: h.pixelRepresentation,
    photometric: h.photometric,
    planarConfiguration: h.planarConfiguration,
  };
}

function minMax(data: Float32Array): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of data) {
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export async function decodeDicom(input: Uint8Array, options: DecodeOptions = {}): Promise<DicomResult> {
  // A plain view, so every subarray/slice below behaves the same for Buffers and Uint8Arrays.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) return dicomError('dicom_not_dicom', 'The file is empty.');
  const parsed = parseDataSet(bytes, Math.max(64 * 2 ** 20, Math.min(2 ** 31 - 1, maxPixels * 8)));
  if (!parsed.ok) {
    // A header declaring a huge image usually also fails to parse (the pixel data is not there):
    // report the size, which is the more useful reason.
    const partial = parsed.partial ? readPixelHeader(parsed.partial) : undefined;
    if (partial && partial.rows * partial.columns * partial.frames > maxPixels) {
      return dicomError('dicom_too_large', `The image declares ${partial.columns} x ${partial.rows} x ${partial.frames} frames, more than the limit of ${maxPixels} pixels.`);
    }
    return dicomError(parsed.code, parsed.message);
  }
  const { dataSet, transferSyntaxUid } = parsed;
  const header = readPixelHeader(dataSet);

  const element = header.pixelData ?? header.floatPixelData?.element;
  if (!element) return dicomError('dicom_no_pixel_data', 'The DICOM file holds no pixel data (not an image object).');
  if (header.rows <= 0 || header.columns <= 0) return dicomError('dicom_decode_error', 'The header declares no image size (Rows/Columns missing).');
  const pixelsPerFrame = header.rows * header.columns;
  if (pixelsPerFrame * header.frames > maxPixels) {
    return dicomError(
      'dicom_too_large',
      `The image declares ${header.columns} x ${header.rows} x ${header.frames} frames, more than the limit of ${maxPixels} pixels.`,
    );
  }
  const syntax = transferSyntaxInfo(transferSyntaxUid);
  if (!syntax) {
    return dicomError('dicom_unsupported_syntax', `The transfer syntax ${transferSyntaxUid || '(none)'} is not supported.`);
  }
  if (element.dataOffset > dataSet.byteArray.length) return dicomError('dicom_truncated', 'The file ends before its pixel data.');

  const base = {
    rows: header.rows,
    columns: header.columns,
    frames: header.frames,
    samplesPerPixel: header.samplesPerPixel,
    photometric: header.photometric,
    bitsAllocated: header.bitsAllocated,
    bitsStored: header.bitsStored,
    pixelRepresentation: header.pixelRepresentation,
    planarConfiguration: header.planarConfiguration,
    transferSyntaxUid,
    transferSyntaxName: transferSyntaxName(transferSyntaxUid),
    invert: header.photometric === 'MONOCHROME1',
    rescale: header.rescale,
    voiPresets: header.voiPresets,
    meta: header.meta,
  };
  const checkIndex = (index: number): FrameResult | undefined =>
    Number.isInteger(index) && index >= 0 && index < header.frames
      ? undefined
      : dicomError('dicom_decode_error', `Frame ${index} does not exist (the file has ${header.frames}).`);

  // Float pixel data (parametric maps): values as stored, monochrome.
  if (!header.pixelData && header.floatPixelData) {
    const { bytesPerValue } = header.floatPixelData;
    const source = { byteArray: dataSet.byteArray, element, bigEndian: syntax.bigEndian };
    if (readFloatFrame(source, pixelsPerFrame, bytesPerValue, header.frames - 1) === 'truncated') {
      return dicomError('dicom_truncated', 'The float pixel data is shorter than the declared frames.');
    }
    const image: DicomImage = {
      ...base,
      isMonochrome: true,
      frame: async (index) => {
        const bad = checkIndex(index);
        if (bad) return bad;
        const data = readFloatFrame(source, pixelsPerFrame, bytesPerValue, index);
        if (data === 'truncated') return dicomError('dicom_truncated', `The pixel data ends before frame ${index + 1}.`);
        return { ok: true, frame: { kind: 'mono', data, ...minMax(data) } };
      },
    };
    return { ok: true, image };
  }

  if (!SUPPORTED_BITS.has(header.bitsAllocated)) {
    return dicomError('dicom_unsupported_syntax', `Bits Allocated ${header.bitsAllocated} is not supported.`);
  }
  if (header.samplesPerPixel !== 1 && header.samplesPerPixel !== 3) {
    return dicomError('dicom_unsupported_syntax', `Samples per pixel ${header.samplesPerPixel} is not supported.`);
  }
  if (header.photometric === 'PALETTE COLOR' && !header.palette) {
    return dicomError('dicom_decode_error', 'PALETTE COLOR image without readable palette lookup tables.');
  }

  const source: FrameSource = { dataSet, element, encoding: syntax.encoding, bigEndian: syntax.bigEndian, geometry: geometryOf(header) };
  if (syntax.encoding === 'native') {
    if (element.encapsulatedPixelData) return dicomError('dicom_decode_error', 'Encapsulated pixel data in an uncompressed transfer syntax.');
    const needed = Math.ceil((pixelsPerFrame * header.samplesPerPixel * header.bitsAllocated * header.frames) / 8);
    const ybr422 = header.photometric === 'YBR_FULL_422' || header.photometric === 'YBR_PARTIAL_422';
    const neededBytes = ybr422 ? Math.ceil((needed * 2) / 3) : needed;
    const available = Math.min(element.length, dataSet.byteArray.length - element.dataOffset);
    if (available < neededBytes) {
      return dicomError('dicom_truncated', `The pixel data holds ${available} bytes, the header needs ${neededBytes}.`);
    }
  } else {
    if (!ensureFragments(dataSet, element)) {
      return dicomError('dicom_decode_error', `Pixel data is not encapsulated although the transfer syntax (${syntax.name}) is compressed.`);
    }
    const grouped = frameFragments(dataSet, element, header.frames);
    if (!grouped.ok) return dicomError(grouped.reason === 'truncated' ? 'dicom_truncated' : 'dicom_decode_error', grouped.message);
    source.fragments = grouped.fragments;
    if (syntax.encoding === 'jpegBaseline') {
      const precision = jpegPrecision(joinFragments(dataSet.byteArray, grouped.fragments[0]!));
      if (precision !== undefined && precision > 8) {
        return dicomError('dicom_unsupported_syntax', `${precision}-bit lossy JPEG (${syntax.name}) needs a 12-bit JPEG codec, which is not installed.`);
      }
    }
  }

  const image: DicomImage = {
    ...base,
    isMonochrome: isMonochromeOutput(header),
    frame: async (index) => {
      const bad = checkIndex(index);
      if (bad) return bad;
      const decoded = await decodeFrameSamples(source, index);
      if ('ok' in decoded) return decoded;
      const expected = pixelsPerFrame * (header.samplesPerPixel === 3 ? 3 : 1);
      if (decoded.samples.length < expected) {
        return dicomError('dicom_decode_error', `Frame ${index + 1} decoded to ${decoded.samples.length} samples, the header needs ${expected}.`);
      }
      return { ok: true, frame: toFrame(decoded, header) };
    },
  };
  return { ok: true, image };
}
