// Transfer syntaxes we know, and how their pixel data is stored.

export type PixelEncoding =
  | 'native' // uncompressed, in the data set's byte order
  | 'deflatedFrames' // encapsulated, each frame raw-deflated native data
  | 'rle'
  | 'jpegBaseline' // 8-bit (and, where the codec allows, 12-bit) DCT
  | 'jpegLossless'
  | 'jpegLs'
  | 'jpeg2000'
  | 'htj2k';

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  encoding: PixelEncoding;
  bigEndian: boolean;
}

const table: TransferSyntaxInfo[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', encoding: 'native', bigEndian: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', encoding: 'native', bigEndian: false },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', encoding: 'native', bigEndian: false },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', encoding: 'native', bigEndian: true },
  { uid: '1.2.840.10008.1.2.8.1', name: 'Deflated Image Frame Compression', encoding: 'deflatedFrames', bigEndian: false },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', encoding: 'rle', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', encoding: 'jpegBaseline', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', encoding: 'jpegBaseline', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', encoding: 'jpegLossless', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, First-Order Prediction (Process 14, SV1)', encoding: 'jpegLossless', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', encoding: 'jpegLs', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', encoding: 'jpegLs', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 (Lossless Only)', encoding: 'jpeg2000', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', encoding: 'jpeg2000', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.201', name: 'HTJ2K (Lossless Only)', encoding: 'htj2k', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.202', name: 'HTJ2K with RPCL Options (Lossless Only)', encoding: 'htj2k', bigEndian: false },
  { uid: '1.2.840.10008.1.2.4.203', name: 'HTJ2K', encoding: 'htj2k', bigEndian: false },
];

const byUid = new Map(table.map((t) => [t.uid, t]));

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return byUid.get(uid);
}

/** Human name for any UID, known or not (for messages and the catalogue). */
export function transferSyntaxName(uid: string): string {
  return byUid.get(uid)?.name ?? `Unknown transfer syntax ${uid}`;
}
