// DICOM decoding core: pure functions over bytes, for the ingest pipeline and the viewer.
export { decodeDicom } from './decodeDicom';
export { renderDisplay, renderFrame, defaultWindow, windowValue, type DisplayResult } from './render';
export { sniffDicom } from './sniff';
export { transferSyntaxName } from './transferSyntax';
export type {
  DecodeOptions,
  DicomError,
  DicomErrorCode,
  DicomFrame,
  DicomImage,
  DicomMeta,
  DicomResult,
  DisplayImage,
  FrameResult,
  LutPreset,
  VoiFunction,
  VoiPreset,
  WindowPreset,
} from './types';
export { DEFAULT_MAX_PIXELS } from './types';
