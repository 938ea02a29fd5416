/**
 * Content sniffing by magic bytes: the extension of a file says nothing about what it holds.
 * Give it the first SNIFF_BYTES bytes (or the whole file); returns null when nothing matches.
 */
export const SNIFF_BYTES = 512;

export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'bmp' | 'heif' | 'avif' | 'jp2' | 'dicom';

export interface Sniffed {
  format: SniffedFormat;
  mime: string;
}

const MIME: Record<SniffedFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  bmp: 'image/bmp',
  heif: 'image/heif',
  avif: 'image/avif',
  jp2: 'image/jp2',
  dicom: 'application/dicom',
};

function startsWith(bytes: Uint8Array, magic: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + magic.length) return false;
  return magic.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** A DICOM data set without the 128-byte preamble: starts with a group 0002 or 0008 element (LE). */
function looksLikeBareDicom(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  const group = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  if (group !== 0x0002 && group !== 0x0008) return false;
  const vr = ascii(bytes, 4, 2);
  // Explicit VR: two upper-case letters; implicit VR: a plausible 32-bit length.
  if (/^[A-Z]{2}$/.test(vr)) return true;
  const length = (bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8) | ((bytes[6] ?? 0) << 16) | ((bytes[7] ?? 0) << 24);
  return length > 0 && length < 1024;
}

function sniffFormat(bytes: Uint8Array): SniffedFormat | null {
  // First: a DICOM preamble may itself hold another format's magic (dual TIFF/DICOM files).
  if (ascii(bytes, 128, 4) === 'DICM') return 'dicom';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff'; // BigTIFF
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 14) return 'bmp';
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  if (startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) return 'jp2'; // raw J2K codestream
  if (looksLikeBareDicom(bytes)) return 'dicom';
  return null;
}

export function sniff(bytes: Uint8Array): Sniffed | null {
  const format = sniffFormat(bytes);
  return format ? { format, mime: MIME[format] } : null;
}
