/**
 * A DICOM file read for export: file meta (if any), transfer syntax, the data set's encoding and its
 * elements with byte ranges (dicomElements.ts). Part-10 files, meta without preamble, bare data sets,
 * deflated data sets and implicit-VR data sets under an explicit-VR meta are all recognised the way
 * the importer recognises them (main/ingest/dicom/parse.ts).
 */
import { inflateRawSync } from 'node:zlib';
import { detectBareSyntax, hasPart10Prefix } from '../ingest/dicom/sniff';
import { DEFLATED_LE, EXPLICIT_BE as TS_EXPLICIT_BE, EXPLICIT_LE as TS_EXPLICIT_LE, IMPLICIT_LE as TS_IMPLICIT_LE, transferSyntaxInfo } from '../ingest/dicom/transferSyntax';
import { BURNED_IN_MODALITIES } from './basicProfile';
import {
  DicomFormatError,
  EXPLICIT_BE,
  EXPLICIT_LE,
  ElementReader,
  IMPLICIT_LE,
  stringValue,
  type DicomElement,
  type Encoding,
} from './dicomElements';

/** The largest data set a deflated file may inflate to. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export interface ParsedDicomFile {
  /** The file as read. */
  fileBytes: Uint8Array;
  /** Group 0002 elements (byte ranges in fileBytes); empty for a bare data set. */
  meta: DicomElement[];
  /** The transfer syntax the data set is in (from the meta, or detected). */
  transferSyntax: string;
  /** The transfer syntax a rewritten file must declare (an implicit data set under an explicit meta is declared implicit). */
  outputTransferSyntax: string;
  deflated: boolean;
  encoding: Encoding;
  /** The bytes the data set elements index into: the file, or the inflated data set. */
  dataSetBytes: Uint8Array;
  elements: DicomElement[];
}

export interface DicomSummary {
  modality: string;
  /** Burned In Annotation (0028,0301), upper-cased; '' when absent. */
  burnedInAnnotation: string;
  patientId: string;
  sopClassUid: string;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  seriesDescription: string;
}

export type DicomFailure = { ok: false; code: string; message: string };

function metaString(file: Uint8Array, meta: DicomElement[], tag: number): string {
  const el = meta.find((e) => e.tag === tag);
  return el ? stringValue(file, el) : '';
}

export function parseDicomFile(fileBytes: Uint8Array): { ok: true; file: ParsedDicomFile } | DicomFailure {
  try {
    const bytes = fileBytes;
    let metaStart: number;
    if (hasPart10Prefix(bytes)) metaStart = 132;
    else if (bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && detectBareSyntax(bytes)) metaStart = 0;
    else {
      const bare = detectBareSyntax(bytes);
      if (!bare) return { ok: false, code: 'not_dicom', message: 'The file is not DICOM: no DICM marker and no recognisable data set.' };
      metaStart = -1;
      const encoding = bare === TS_IMPLICIT_LE ? IMPLICIT_LE : bare === TS_EXPLICIT_BE ? EXPLICIT_BE : EXPLICIT_LE;
      const { elements } = new ElementReader(bytes).readElements(0, bytes.length, encoding);
      return {
        ok: true,
        file: { fileBytes, meta: [], transferSyntax: bare, outputTransferSyntax: bare, deflated: false, encoding, dataSetBytes: bytes, elements },
      };
    }

    const reader = new ElementReader(bytes);
    const meta: DicomElement[] = [];
    let pos = metaStart;
    while (pos + 8 <= bytes.length && reader.u16(pos, true) === 0x0002) {
      const el = reader.readElement(pos, bytes.length, EXPLICIT_LE);
      meta.push(el);
      pos = el.end;
    }
    const metaEnd = pos;
    const declared = metaString(bytes, meta, 0x00020010).replace(/[\0\s]/g, '');
    const detected = detectBareSyntax(bytes, metaEnd, true);
    const transferSyntax = declared || detected;
    if (!transferSyntax) {
      return { ok: false, code: 'dicom_malformed', message: 'The file meta has no transfer syntax and the data set encoding could not be recognised.' };
    }
    if (!transferSyntaxInfo(transferSyntax)) {
      return {
        ok: false,
        code: 'unsupported_transfer_syntax',
        message: `The transfer syntax ${transferSyntax} is not one this exporter knows how to rewrite safely, so the file is not exported.`,
      };
    }
    let encoding: Encoding = EXPLICIT_LE;
    let outputTransferSyntax = transferSyntax;
    let deflated = false;
    let dataSetBytes = bytes;
    let start = metaEnd;
    if (transferSyntax === DEFLATED_LE) {
      deflated = true;
      dataSetBytes = new Uint8Array(inflateRawSync(bytes.subarray(metaEnd), { maxOutputLength: MAX_INFLATED_BYTES }));
      start = 0;
    } else if (transferSyntax === TS_EXPLICIT_BE) {
      encoding = EXPLICIT_BE;
    } else if (transferSyntax === TS_IMPLICIT_LE || detected === TS_IMPLICIT_LE) {
      // Implicit by its syntax, or an implicit data set under an explicit meta (the importer reads those too).
      encoding = IMPLICIT_LE;
      if (transferSyntax === TS_EXPLICIT_LE) outputTransferSyntax = TS_IMPLICIT_LE;
    }
    const { elements } = new ElementReader(dataSetBytes).readElements(start, dataSetBytes.length, encoding);
    return { ok: true, file: { fileBytes, meta, transferSyntax, outputTransferSyntax, deflated, encoding, dataSetBytes, elements } };
  } catch (e) {
    if (e instanceof DicomFormatError) return { ok: false, code: e.code, message: e.message };
    if (e instanceof RangeError && /maxOutputLength|larger than/i.test(e.message)) {
      return { ok: false, code: 'dicom_too_large', message: 'The deflated data set inflates to more than 1 GiB.' };
    }
    const text = e instanceof Error ? e.message : String(e);
    if (/inflat|zlib|incorrect header|invalid/i.test(text)) return { ok: false, code: 'dicom_malformed', message: `The deflated data set could not be inflated (${text}).` };
    return { ok: false, code: 'dicom_malformed', message: `The DICOM data set could not be read (${text}).` };
  }
}

export function topLevelString(file: ParsedDicomFile, tag: number): string {
  const el = file.elements.find((e) => e.tag === tag);
  return el ? stringValue(file.dataSetBytes, el) : ''; // strings read the same in either byte order
}

export function summarise(file: ParsedDicomFile): DicomSummary {
  const s = (tag: number) => topLevelString(file, tag);
  return {
    modality: s(0x00080060).toUpperCase(),
    burnedInAnnotation: s(0x00280301).toUpperCase(),
    patientId: s(0x00100020),
    sopClassUid: s(0x00080016) || metaString(file.fileBytes, file.meta, 0x00020002),
    studyUid: s(0x0020000d),
    seriesUid: s(0x0020000e),
    sopUid: s(0x00080018) || metaString(file.fileBytes, file.meta, 0x00020003),
    seriesDescription: s(0x0008103e),
  };
}

/**
 * Burned-in text: Burned In Annotation YES flags the file; so does its absence in a modality that
 * usually carries text in the pixels (US, SC, XC, OT, ES). NO clears it.
 */
export function burnedInCheck(summary: Pick<DicomSummary, 'modality' | 'burnedInAnnotation'>): { flagged: boolean; why: string } {
  if (summary.burnedInAnnotation === 'YES') return { flagged: true, why: 'Burned In Annotation (0028,0301) is YES' };
  if (summary.burnedInAnnotation === '' && BURNED_IN_MODALITIES.has(summary.modality)) {
    return { flagged: true, why: `modality ${summary.modality} without Burned In Annotation (0028,0301)` };
  }
  return { flagged: false, why: summary.burnedInAnnotation === 'NO' ? 'Burned In Annotation (0028,0301) is NO' : 'no sign of burned-in text' };
}
