// Public types of the DICOM decoder. Plain data only, so results can cross worker boundaries
// (except `frame`, which is a function and stays on the side that decoded the file).

export type DicomErrorCode =
  | 'dicom_not_dicom'
  | 'dicom_truncated'
  | 'dicom_unsupported_syntax'
  | 'dicom_no_pixel_data'
  | 'dicom_too_large'
  | 'dicom_decode_error';

export interface DicomError {
  ok: false;
  code: DicomErrorCode;
  message: string;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A window from the header (or chosen by the user). Values are in modality units (e.g. HU). */
export interface WindowPreset {
  kind: 'window';
  center: number;
  width: number;
  explanation?: string;
  fn: VoiFunction;
}

/** A VOI LUT from the VOI LUT Sequence: maps modality values to output values (then scaled to 8 bits). */
export interface LutPreset {
  kind: 'lut';
  firstMapped: number;
  bitsPerEntry: number;
  data: Uint16Array;
  explanation?: string;
}

export type VoiPreset = WindowPreset | LutPreset;

/** Non-identifying header facts worth storing in the catalogue. Never patient data. */
export interface DicomMeta {
  modality?: string;
  bodyPartExamined?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  numberOfFrames: number;
  manufacturer?: string;
  /** Study Date as YYYY-MM-DD (only when the header holds a valid DA value). */
  studyDate?: string;
  studyDescription?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  /** Slice Location, else the z of Image Position (Patient): orders slices when instance numbers are missing. */
  slicePosition?: number;
  /**
   * A one-way digest of Patient ID (+ Issuer of Patient ID): groups a patient's studies without the ID
   * itself ever leaving the header. The catalogue keys it again with a per-home secret before storing.
   */
  patientDigest?: string;
  /** Burned In Annotation (0028,0301) as written: 'YES' / 'NO'. */
  burnedInAnnotation?: string;
}

/**
 * Monochrome frames hold modality values (after rescale slope/intercept or the Modality LUT) as
 * Float32Array, keeping the full range; colour frames hold 8-bit RGB interleaved (after YBR->RGB and
 * palette expansion).
 */
export type DicomFrame =
  | { kind: 'mono'; data: Float32Array; min: number; max: number }
  | { kind: 'rgb'; data: Uint8Array };

export type FrameResult = { ok: true; frame: DicomFrame } | DicomError;

export interface DicomImage {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  /** Photometric interpretation as stored in the header (e.g. MONOCHROME2, YBR_FULL_422). */
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  planarConfiguration: 0 | 1;
  transferSyntaxUid: string;
  transferSyntaxName: string;
  /** True when the output frames are monochrome modality values; false for RGB output. */
  isMonochrome: boolean;
  /** MONOCHROME1: low values display bright; the display rendition inverts. */
  invert: boolean;
  rescale: { slope: number; intercept: number; type?: string };
  /** VOI presets from the header, in header order; the first is the default display window. */
  voiPresets: VoiPreset[];
  meta: DicomMeta;
  /** Decodes one frame on demand (0-based); frames are not cached here. */
  frame(index: number): Promise<FrameResult>;
}

export type DicomResult = { ok: true; image: DicomImage } | DicomError;

export interface DecodeOptions {
  /** Largest accepted rows x columns x frames (decompression-bomb guard). Default 100 megapixels. */
  maxPixels?: number;
}

export interface DisplayImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

export function dicomError(code: DicomErrorCode, message: string): DicomError {
  return { ok: false, code, message };
}
