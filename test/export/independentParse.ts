/**
 * Reads an exported file with dicom-parser directly (not through the exporter's reader): the file meta,
 * and the data set (inflated first when deflated), with every nested sequence walked.
 */
import { inflateRawSync } from 'node:zlib';
import dicomParserModule from 'dicom-parser';
import type * as DP from 'dicom-parser';

export const dicomParser = dicomParserModule as unknown as typeof DP;
export type DataSet = DP.DataSet;

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function metaEnd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 132;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
    pos += LONG.has(vr) ? 12 + view.getUint32(pos + 8, true) : 8 + view.getUint16(pos + 6, true);
  }
  return pos;
}

export interface Independent {
  meta: DataSet;
  dataSet: DataSet;
  transferSyntax: string;
}

/** Sequences dicom-parser cannot recognise in implicit VR without a dictionary: told here. */
const SQ_TAGS = new Set(['x00081140', 'x00082112', 'x00081115', 'x00081110', 'x00081111', 'x00120064', 'x00400275', 'x00400260', 'x00540016', 'x52009229', 'x52009230']);

export function independentParse(bytes: Uint8Array, opts: { implicitSyntaxFallback?: boolean } = {}): Independent {
  const end = metaEnd(bytes);
  const meta = dicomParser.readPart10Header(bytes);
  const ts = (meta.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const vrCallback = (tag: string) => (SQ_TAGS.has(tag) ? 'SQ' : undefined);
  let dataSet: DataSet;
  if (ts === '1.2.840.10008.1.2.1.99') {
    const inflated = new Uint8Array(inflateRawSync(bytes.subarray(end)));
    dataSet = dicomParser.parseDicom(inflated, { TransferSyntaxUID: '1.2.840.10008.1.2.1' } as DP.ParseDicomOptions);
  } else {
    // An implicit VR data set under a meta that names an explicit syntax (kept as the original had it):
    // recognised, as the importer does, by the first element having no VR letters.
    const vrLetters = /^[A-Z]{2}$/.test(String.fromCharCode(bytes[end + 4] ?? 0, bytes[end + 5] ?? 0));
    const declared = ts || (opts.implicitSyntaxFallback ? '1.2.840.10008.1.2' : '1.2.840.10008.1.2.1');
    const syntax = !vrLetters && declared !== '1.2.840.10008.1.2.2' ? '1.2.840.10008.1.2' : declared;
    dataSet = dicomParser.parseDicom(bytes.subarray(end), { TransferSyntaxUID: syntax, vrCallback } as unknown as DP.ParseDicomOptions);
  }
  return { meta, dataSet, transferSyntax: ts };
}

/**
 * Every tag (xGGGGEEEE) at every depth. Pixel data is not descended into: in implicit VR dicom-parser
 * takes encapsulated pixel data for a sequence and its fragments for items, which hold no attributes.
 */
export function allTags(dataSet: DataSet): string[] {
  const out: string[] = [];
  for (const [key, el] of Object.entries(dataSet.elements)) {
    out.push(key);
    if (key === 'x7fe00010') continue;
    for (const item of el.items ?? []) if (item.dataSet) out.push(...allTags(item.dataSet));
  }
  return out;
}

export function isPrivate(tag: string): boolean {
  return Number.parseInt(tag.slice(1, 5), 16) % 2 === 1;
}

/** The raw bytes of an element's value (for pixel data: offset table and fragments included). */
export function valueBytes(dataSet: DataSet, tag: string): Uint8Array | undefined {
  const el = dataSet.elements[tag];
  return el ? dataSet.byteArray.subarray(el.dataOffset, el.dataOffset + el.length) : undefined;
}

export function text(dataSet: DataSet, tag: string): string {
  const el = dataSet.elements[tag];
  if (!el || el.length === 0) return '';
  return Buffer.from(dataSet.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)).toString('latin1').replace(/[\0 ]+$/, '').trim();
}
