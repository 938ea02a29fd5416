/**
 * The decoder plug-in surface. The importer sniffs a file, asks the registry for the first decoder
 * whose `canDecode` accepts it, and calls `decode`. Decoders never throw for bad input: they
 * return {ok:false, code, message} with one of the reason codes below (or their own, e.g. dicom_*).
 */
import type { Sniffed } from '../sniff';

export type FailureCode =
  | 'empty_file'
  | 'unsupported_format'
  | 'decode_error'
  | 'truncated'
  | 'too_large'
  | 'timeout'
  | 'read_error'
  | (string & {});

export interface DecodeFailure {
  ok: false;
  code: FailureCode;
  message: string;
}

export interface DecodedImage {
  /** Display dimensions (after EXIF orientation). */
  width: number;
  height: number;
  /** Short format name stored in the catalogue, e.g. 'jpeg', 'png', 'dicom'. */
  format: string;
  meta: Record<string, string | number | null>;
  /** WebP thumbnail, longest side <= the requested size (empty once a reader stored it: see thumbnailFile). */
  thumbnail: Buffer;
  /** Set when the reader already wrote the thumbnail to this file (atomically) instead of returning its bytes. */
  thumbnailFile?: string;
}

export type DecodeResult = { ok: true; image: DecodedImage } | DecodeFailure;

export interface DecodeInput {
  path: string;
  bytes: Buffer;
  sniffed: Sniffed;
}

export interface DecodeLimits {
  /** Largest pixel count accepted (width x height), against decompression bombs. */
  maxPixels: number;
  /** Longest side of the thumbnail. */
  thumbnailSize: number;
  /** Time limit per file, seconds. */
  timeoutSeconds: number;
}

/** A full-size display rendition (PNG) for formats a browser cannot show directly. */
export interface RenditionInput {
  bytes: Buffer;
  sniffed: Sniffed;
  maxSide: number;
  limits: DecodeLimits;
}

export interface Decoder {
  readonly name: string;
  canDecode(sniffed: Sniffed): boolean;
  decode(input: DecodeInput, limits: DecodeLimits): Promise<DecodeResult>;
  /** PNG bytes for display; optional (the app falls back to sharp). */
  renderFull?(input: RenditionInput): Promise<{ ok: true; png: Buffer } | DecodeFailure>;
}

export const DEFAULT_LIMITS: DecodeLimits = {
  maxPixels: 268_402_689, // sharp's own default (0x3FFF * 0x3FFF)
  thumbnailSize: 256,
  timeoutSeconds: 30,
};
