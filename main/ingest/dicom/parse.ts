// Bytes -> dicom-parser DataSet, for Part-10 files and bare data sets alike. dicom-parser throws
// strings or {exception, dataSet}; everything is turned into a reason code here.
import { inflateRawSync } from 'node:zlib';
import { dicomParser, type DataSet } from './dicomParserModule';
import { detectBareSyntax, hasPart10Prefix } from './sniff';
import { DEFLATED_LE, EXPLICIT_BE, IMPLICIT_LE } from './transferSyntax';
import { dicomError, type DicomError } from './types';

/** A parse failure; `partial` holds what was read before it, for size checks. */
export type ParseFailure = DicomError & { partial?: DataSet };

export interface ParsedDataSet {
  ok: true;
  dataSet: DataSet;
  transferSyntaxUid: string;
}

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** Offset just past the group-0002 file meta elements of a Part-10 file (always explicit VR LE). */
function fileMetaEnd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 132;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[pos + 4] ?? 0, bytes[pos + 5] ?? 0);
    if (LONG_LENGTH_VRS.has(vr)) {
      if (pos + 12 > bytes.length) break;
      pos += 12 + view.getUint32(pos + 8, true);
    } else {
      pos += 8 + view.getUint16(pos + 6, true);
    }
  }
  return pos;
}

function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'exception' in e) return errorText((e as { exception: unknown }).exception);
  return String(e);
}

function classifyParseError(e: unknown): DicomError {
  if (e instanceof RangeError && /larger than|maxOutputLength|Cannot create a Buffer/i.test(e.message)) {
    return dicomError('dicom_too_large', 'The deflated data set inflates to more than the allowed size.');
  }
  const text = errorText(e);
  if (/overread|overrun|beyond|end of|buffer|truncat|past the end|maxPosition|greater than or equal/i.test(text)) {
    return dicomError('dicom_truncated', `The DICOM data set ends early (${text}).`);
  }
  if (/inflat|zlib|incorrect header|invalid (stored|block|distance)/i.test(text)) {
    return dicomError('dicom_decode_error', `The deflated data set could not be inflated (${text}).`);
  }
  return dicomError('dicom_decode_error', `The DICOM data set could not be parsed (${text}).`);
}

export function parseDataSet(bytes: Uint8Array, maxInflatedBytes: number): ParsedDataSet | ParseFailure {
  const inflater = (byteArray: Uint8Array, position: number): Uint8Array => {
    const inflated = inflateRawSync(byteArray.subarray(position), { maxOutputLength: maxInflatedBytes });
    const full = new Uint8Array(position + inflated.length);
    full.set(byteArray.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
  const options = { inflater: inflater as unknown as (arr: Uint8Array, position: number) => void };

  const parseAs = (data: Uint8Array, parseSyntax?: string, reportedSyntax?: string): ParsedDataSet | ParseFailure => {
    try {
      const dataSet = dicomParser.parseDicom(data, parseSyntax ? { ...options, TransferSyntaxUID: parseSyntax } : options);
      const uid = (reportedSyntax ?? dataSet.string('x00020010') ?? parseSyntax ?? '').replace(/\0/g, '').trim();
      return { ok: true, dataSet, transferSyntaxUid: uid };
    } catch (e) {
      const partial = e && typeof e === 'object' && 'dataSet' in e ? (e as { dataSet: DataSet }).dataSet : undefined;
      return partial ? { ...classifyParseError(e), partial } : classifyParseError(e);
    }
  };

  if (hasPart10Prefix(bytes)) {
    const metaEnd = fileMetaEnd(bytes);
    const metaSyntax = metaTransferSyntax(bytes, metaEnd);
    const actual = detectBareSyntax(bytes, metaEnd, true);
    if (!metaSyntax) {
      // Meta without a transfer syntax: guess the encoding from the first data set element.
      if (!actual) return dicomError('dicom_decode_error', 'The file meta has no transfer syntax and the data set encoding could not be recognised.');
      return parseAs(bytes.subarray(metaEnd), actual);
    }
    if (actual === IMPLICIT_LE && metaSyntax !== IMPLICIT_LE && metaSyntax !== DEFLATED_LE && metaSyntax !== EXPLICIT_BE) {
      // Some writers encode the data set in implicit VR although the meta names an explicit syntax.
      return parseAs(bytes.subarray(metaEnd), IMPLICIT_LE, metaSyntax);
    }
    return parseAs(bytes);
  }

  const bare = detectBareSyntax(bytes);
  if (!bare) return dicomError('dicom_not_dicom', 'The file is not DICOM: no DICM marker and no recognisable data set.');
  if (bytes[0] === 0x02 && bytes[1] === 0x00) {
    // A file meta group without the 128-byte preamble: add one so the meta is read as usual.
    const withPreamble = new Uint8Array(132 + bytes.length);
    withPreamble.set([0x44, 0x49, 0x43, 0x4d], 128);
    withPreamble.set(bytes, 132);
    return parseDataSet(withPreamble, maxInflatedBytes);
  }
  return parseAs(bytes, bare);
}

/** The (0002,0010) Transfer Syntax UID of a Part-10 meta, if present. */
function metaTransferSyntax(bytes: Uint8Array, metaEnd: number): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let pos = 132; pos + 8 <= metaEnd; ) {
    const vr = String.fromCharCode(bytes[pos + 4] ?? 0, bytes[pos + 5] ?? 0);
    const long = LONG_LENGTH_VRS.has(vr);
    const length = long ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    const valueAt = pos + (long ? 12 : 8);
    if (view.getUint16(pos + 2, true) === 0x0010) {
      const text = String.fromCharCode(...bytes.subarray(valueAt, Math.min(valueAt + length, bytes.length)));
      const uid = text.replace(/[\0\s]/g, '');
      return uid || undefined;
    }
    pos = valueAt + length;
  }
  return undefined;
}
