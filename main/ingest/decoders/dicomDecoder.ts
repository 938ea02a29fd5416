/**
 * DICOM through the project's decoder (main/ingest/dicom): one catalogue item per file (multi-frame
 * files keep their frame count); the thumbnail and the 'full' rendition are the middle frame,
 * windowed with the header's first preset (or a percentile window). Only non-identifying header
 * facts are stored: patient attributes are never read by the decoder.
 */
import sharp from 'sharp';
import { decodeDicom, renderFrame, type DicomImage, type DicomMeta, type DisplayImage, type VoiPreset } from '../dicom';
import type { Sniffed } from '../sniff';
import type { DecodeFailure, Decoder, DecodeResult, DecodeLimits } from './types';

export function middleFrame(frames: number): number {
  return Math.max(0, Math.floor(frames / 2));
}

/** Header window presets as plain values (VOI LUTs are flagged, not stored). */
export function windowPresets(presets: readonly VoiPreset[]): { center: number; width: number; fn: string; explanation: string | null }[] {
  return presets.flatMap((p) => (p.kind === 'window' ? [{ center: p.center, width: p.width, fn: p.fn, explanation: p.explanation ?? null }] : []));
}

/** Hierarchy and facet facts (issue 11); also what the header-only backfill writes for older images. */
export function dicomHierarchyMeta(m: DicomMeta): Record<string, string | number | null> {
  return {
    study_date: m.studyDate ?? null,
    study_description: m.studyDescription ?? null,
    series_description: m.seriesDescription ?? null,
    series_number: m.seriesNumber ?? null,
    instance_number: m.instanceNumber ?? null,
    slice_position: m.slicePosition ?? null,
    patient_digest: m.patientDigest ?? null,
    burned_in_annotation: m.burnedInAnnotation ?? null,
  };
}

/** The catalogue's meta for a DICOM image. `valueRange` is the middle frame's modality range (mono only). */
export function dicomCatalogueMeta(image: DicomImage, valueRange: { min: number; max: number } | null): Record<string, string | number | null> {
  const m = image.meta;
  return {
    modality: m.modality ?? null,
    body_part: m.bodyPartExamined ?? null,
    study_uid: m.studyInstanceUid ?? null,
    series_uid: m.seriesInstanceUid ?? null,
    instance_uid: m.sopInstanceUid ?? null,
    sop_class_uid: m.sopClassUid ?? null,
    manufacturer: m.manufacturer ?? null,
    ...dicomHierarchyMeta(m),
    frames: image.frames,
    transfer_syntax: image.transferSyntaxUid,
    transfer_syntax_name: image.transferSyntaxName,
    bits_allocated: image.bitsAllocated,
    bits_stored: image.bitsStored,
    pixel_representation: image.pixelRepresentation,
    photometric: image.photometric,
    samples_per_pixel: image.samplesPerPixel,
    monochrome: image.isMonochrome ? 1 : 0,
    invert: image.invert ? 1 : 0,
    rescale_slope: image.rescale.slope,
    rescale_intercept: image.rescale.intercept,
    value_min: valueRange?.min ?? null,
    value_max: valueRange?.max ?? null,
    voi_presets: JSON.stringify(windowPresets(image.voiPresets)),
    has_voi_lut: image.voiPresets.some((p) => p.kind === 'lut') ? 1 : 0,
  };
}

export function displayToSharp(display: DisplayImage) {
  return sharp(Buffer.from(display.data.buffer, display.data.byteOffset, display.data.byteLength), {
    raw: { width: display.width, height: display.height, channels: display.channels },
  });
}

function failed(code: string, message: string): DecodeFailure {
  return { ok: false, code, message };
}

async function decodeMiddle(bytes: Uint8Array, limits: DecodeLimits) {
  const decoded = await decodeDicom(bytes, { maxPixels: limits.maxPixels });
  if (!decoded.ok) return decoded;
  const image = decoded.image;
  const index = middleFrame(image.frames);
  const frame = await image.frame(index);
  if (!frame.ok) return frame;
  const display = renderFrame(image, frame.frame); // the frame decoded above: frames are not cached, decoding twice doubled the cost
  const range = frame.frame.kind === 'mono' ? { min: frame.frame.min, max: frame.frame.max } : null;
  return { ok: true as const, image, display, range };
}

export function createDicomDecoder(): Decoder {
  return {
    name: 'dicom',
    canDecode(sniffed: Sniffed) {
      return sniffed.format === 'dicom';
    },
    async decode({ bytes }, limits): Promise<DecodeResult> {
      const result = await decodeMiddle(bytes, limits);
      if (!result.ok) return failed(result.code, result.message);
      const { image, display, range } = result;
      let thumbnail: Buffer;
      try {
        thumbnail = await displayToSharp(display)
          .resize(limits.thumbnailSize, limits.thumbnailSize, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 80, effort: 2 })
          .toBuffer();
      } catch (error) {
        return failed('dicom_decode_error', `The DICOM thumbnail could not be made: ${String(error)}`);
      }
      return {
        ok: true,
        image: { width: image.columns, height: image.rows, format: 'dicom', thumbnail, meta: dicomCatalogueMeta(image, range) },
      };
    },
    async renderFull({ bytes, maxSide, limits }) {
      const result = await decodeMiddle(bytes, limits);
      if (!result.ok) return failed(result.code, result.message);
      try {
        const png = await displayToSharp(result.display)
          .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
          .png({ compressionLevel: 3 })
          .toBuffer();
        return { ok: true, png };
      } catch (error) {
        return failed('dicom_decode_error', `The DICOM rendition could not be made: ${String(error)}`);
      }
    },
  };
}
