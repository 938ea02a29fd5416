/**
 * De-identifies one DICOM file's bytes with the Basic Application Level Confidentiality Profile
 * (basicProfile.ts), rewriting it byte by byte in its own transfer syntax:
 *
 * - each attribute of the profile is removed, emptied, replaced with a dummy, or has its UIDs replaced
 *   through the export's UID map, at every depth of nested sequences;
 * - every private attribute (odd group) is removed, wherever it is; group lengths and trailing padding
 *   are dropped; the preamble is zeroed and the file meta rebuilt (Media Storage SOP Instance UID = the
 *   new SOP Instance UID, no source AE title or private meta);
 * - with a date shifter, dates (DA) and date-times (DT) are moved by the patient's offset instead of
 *   being removed or emptied (times of day are kept);
 * - Patient Identity Removed = YES, De-identification Method (+ code sequence) and Longitudinal
 *   Temporal Information Modified are set;
 * - pixel data is copied as the original bytes (native or encapsulated: offset table and fragments
 *   untouched), and the result is checked by an independent parse (dicom-parser, the importer's reader):
 *   it must read, hold the same pixel data bytes, and hold no private or removed attribute at top level.
 *   A file that fails any of this is refused with a reason, never written as if it were safe.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { dicomParser, type DataSet } from '../ingest/dicom/dicomParserModule';
import { parseDataSet } from '../ingest/dicom/parse';
import { EXPLICIT_LE as TS_EXPLICIT_LE } from '../ingest/dicom/transferSyntax';
import { profileEntry } from './basicProfile';
import {
  DicomFormatError,
  EXPLICIT_LE,
  ElementWriter,
  ITEM,
  ITEM_DELIMITER,
  SEQUENCE_DELIMITER,
  UNDEFINED,
  encodeString,
  stringValue,
  type DicomElement,
  type Encoding,
} from './dicomElements';
import { MAX_INFLATED_BYTES, summarise, type DicomFailure, type ParsedDicomFile } from './dicomFile';
import { shiftDate, shiftDateTime, type DateShifter, type UidMap } from './uids';

export const DEIDENTIFICATION_METHOD = 'PS3.15 E.1-1 Basic Profile; private removed (Simila)';
/** Implementation Class UID written into the rebuilt file meta (fixed, under the 2.25 root). */
export const IMPLEMENTATION_CLASS_UID = '2.25.193742046795611340393934366457329412657';
export const IMPLEMENTATION_VERSION_NAME = 'SIMILA_EXPORT';

export interface DeidentifyContext {
  uids: UidMap;
  /** Shift dates per patient; null removes / empties them as the profile says. */
  dates: DateShifter | null;
}

export interface ChangeCounts {
  /** Attributes removed (action X, and dropped group lengths / padding / meta elements inside the data set). */
  removed: number;
  /** Attributes kept with an empty value (action Z, or a date that could not be shifted). */
  emptied: number;
  /** Attributes given a dummy value (action D). */
  replaced: number;
  /** Attributes whose UIDs were replaced (action U). */
  uidsReplaced: number;
  /** Private attributes removed (odd groups, creators included), at every depth. */
  privateRemoved: number;
  /** Dates and date-times shifted. */
  datesShifted: number;
  /** Attributes added (Patient Identity Removed, De-identification Method, ...). */
  added: number;
}

export interface DeidentifyResult {
  ok: true;
  bytes: Uint8Array;
  changes: ChangeCounts;
  /** The days dates were moved by, or null when dates were not shifted. */
  dateShiftDays: number | null;
  /** The new UIDs (study, series, SOP instance) of the written file. */
  uids: { study: string; series: string; sop: string };
}

const DUMMY_TEXT = 'ANONYMOUS';
const TEXT_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

function dummyValue(vr: string, uids: UidMap): Buffer | null {
  if (TEXT_VRS.has(vr)) return encodeString(DUMMY_TEXT, vr);
  switch (vr) {
    case 'DA':
      return encodeString('19000101', vr);
    case 'TM':
      return encodeString('000000', vr);
    case 'DT':
      return encodeString('19000101000000', vr);
    case 'AS':
      return encodeString('000Y', vr);
    case 'IS':
    case 'DS':
      return encodeString('0', vr);
    case 'UI':
      return encodeString(uids.fresh(), 'UI');
    default:
      return null; // binary VRs: emptied
  }
}

function total(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

class Rewriter {
  readonly counts: ChangeCounts = { removed: 0, emptied: 0, replaced: 0, uidsReplaced: 0, privateRemoved: 0, datesShifted: 0, added: 0 };

  constructor(
    private readonly src: Uint8Array,
    private readonly ctx: DeidentifyContext,
    private readonly dateShiftDays: number | null,
  ) {}

  /** The cleaned elements of one data set or item, each as its chunks, in source order. */
  list(elements: readonly DicomElement[], enc: Encoding): { tag: number; chunks: Uint8Array[] }[] {
    const w = new ElementWriter(enc);
    const out: { tag: number; chunks: Uint8Array[] }[] = [];
    for (const el of elements) {
      const chunks = this.element(el, enc, w);
      if (chunks) out.push({ tag: el.tag, chunks });
    }
    return out;
  }

  private valueText(el: DicomElement): string {
    return stringValue(this.src, el);
  }

  private withValue(el: DicomElement, w: ElementWriter, value: Uint8Array | null): Uint8Array[] {
    const v = value ?? new Uint8Array(0);
    return v.length ? [w.header(el.tag, el.vr, v.length), v] : [w.header(el.tag, el.vr, 0)];
  }

  private shifted(el: DicomElement, vr: 'DA' | 'DT', w: ElementWriter): Uint8Array[] {
    const text = this.valueText(el);
    if (text === '') return [this.src.subarray(el.start, el.end)];
    const days = this.dateShiftDays ?? 0;
    const value = vr === 'DA' ? shiftDate(text, days) : shiftDateTime(text, days);
    if (value === null) {
      this.counts.emptied++; // not a full date: it cannot be shifted, so it goes
      return this.withValue(el, w, null);
    }
    this.counts.datesShifted++;
    return this.withValue(el, w, encodeString(value, vr));
  }

  private element(el: DicomElement, enc: Encoding, w: ElementWriter): Uint8Array[] | null {
    const group = el.tag >>> 16;
    const elementNumber = el.tag & 0xffff;
    if (group % 2 === 1) {
      this.counts.privateRemoved++;
      return null;
    }
    if (elementNumber === 0 || group === 0x0002 || el.tag === 0xfffcfffc) {
      this.counts.removed++; // group lengths (wrong once values change), stray meta, trailing padding
      return null;
    }
    const entry = profileEntry(el.tag);
    const vr = el.vr && el.vr !== 'UN' ? el.vr : (entry?.vr ?? (el.items ? 'SQ' : null));
    const shiftable = this.dateShiftDays !== null && !el.items && (vr === 'DA' || vr === 'DT');

    if (entry) {
      if (shiftable) return this.shifted(el, vr, w);
      switch (entry.action) {
        case 'X':
          this.counts.removed++;
          return null;
        case 'Z':
          this.counts.emptied++;
          return [w.header(el.tag, el.vr, 0)];
        case 'D':
          this.counts.replaced++;
          if (el.items) return this.sequence(el, w);
          return this.withValue(el, w, vr ? dummyValue(vr, this.ctx.uids) : null);
        case 'U': {
          if (el.items) return this.sequence(el, w);
          if (el.encapsulated) {
            this.counts.emptied++;
            return [w.header(el.tag, el.vr, 0)];
          }
          this.counts.uidsReplaced++;
          const replaced = this.valueText(el)
            .split('\\')
            .map((uid) => this.ctx.uids.replace(uid))
            .join('\\');
          return this.withValue(el, w, encodeString(replaced, 'UI'));
        }
      }
    }
    if (shiftable) return this.shifted(el, vr, w);
    if (el.items) return this.sequence(el, w);
    return [this.src.subarray(el.start, el.end)]; // kept as it was: pixel data included, byte for byte
  }

  private sequence(el: DicomElement, w: ElementWriter): Uint8Array[] {
    const itemEnc = el.itemEncoding ?? w.enc;
    const iw = new ElementWriter(itemEnc);
    const body: Uint8Array[] = [];
    for (const item of el.items ?? []) {
      const content = this.list(item.elements, itemEnc).flatMap((e) => e.chunks);
      if (item.undefinedLength) body.push(iw.marker(ITEM, UNDEFINED), ...content, iw.marker(ITEM_DELIMITER, 0));
      else body.push(iw.marker(ITEM, total(content)), ...content);
    }
    if (el.undefinedLength) return [w.header(el.tag, el.vr, UNDEFINED), ...body, iw.marker(SEQUENCE_DELIMITER, 0)];
    return [w.header(el.tag, el.vr, total(body)), ...body];
  }
}

function stringElement(w: ElementWriter, tag: number, vr: string, text: string): Uint8Array[] {
  const value = encodeString(text, vr);
  return [w.header(tag, vr, value.length), value];
}

function codeItem(w: ElementWriter, value: string, meaning: string): Uint8Array[] {
  const content = [
    ...stringElement(w, 0x00080100, 'SH', value),
    ...stringElement(w, 0x00080102, 'SH', 'DCM'),
    ...stringElement(w, 0x00080104, 'LO', meaning),
  ];
  return [w.marker(ITEM, total(content)), ...content];
}

/** The attributes that record what was done. */
function addedElements(enc: Encoding, shifted: boolean): { tag: number; chunks: Uint8Array[] }[] {
  const w = new ElementWriter(enc);
  const items = [
    ...codeItem(w, '113100', 'Basic Application Confidentiality Profile'),
    ...(shifted ? codeItem(w, '113107', 'Retain Longitudinal Temporal Information Modified Dates Option') : []),
  ];
  return [
    { tag: 0x00120062, chunks: stringElement(w, 0x00120062, 'CS', 'YES') },
    { tag: 0x00120063, chunks: stringElement(w, 0x00120063, 'LO', DEIDENTIFICATION_METHOD) },
    { tag: 0x00120064, chunks: [w.header(0x00120064, 'SQ', total(items)), ...items] },
    { tag: 0x00280303, chunks: stringElement(w, 0x00280303, 'CS', shifted ? 'MODIFIED' : 'REMOVED') },
  ];
}

function fileMeta(sopClassUid: string, sopInstanceUid: string, transferSyntax: string): Uint8Array[] {
  const w = new ElementWriter(EXPLICIT_LE);
  const version = new Uint8Array([0, 1]);
  const body = [
    w.header(0x00020001, 'OB', 2),
    version,
    ...stringElement(w, 0x00020002, 'UI', sopClassUid),
    ...stringElement(w, 0x00020003, 'UI', sopInstanceUid),
    ...stringElement(w, 0x00020010, 'UI', transferSyntax),
    ...stringElement(w, 0x00020012, 'UI', IMPLEMENTATION_CLASS_UID),
    ...stringElement(w, 0x00020013, 'SH', IMPLEMENTATION_VERSION_NAME),
  ];
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(total(body), 0);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return [preamble, w.header(0x00020000, 'UL', 4), groupLength, ...body];
}

/**
 * A deflate stream may begin with empty, non-final stored blocks: a header byte whose low 3 bits are 0
 * (the other 5 are padding, ignored), LEN 0, NLEN 0xFFFF. Two of them before the compressed data set
 * change nothing for an inflater, but they fix the 8 bytes dicom-parser reads as one more element to
 * find the end of the file meta: tag (00F8,FF00), which it sees as past group 0002 and so stops there,
 * no valid VR, length 0. Without them the importer's reader fails on some deflated files, depending on
 * what the first compressed bytes happen to look like.
 */
const EMPTY_STORED_BLOCKS = Buffer.from([0xf8, 0x00, 0x00, 0xff, 0xff, 0xf8, 0x00, 0x00, 0xff, 0xff]);

/** Pixel data elements compared byte for byte between the original and the rewritten file. */
const PIXEL_TAGS = ['x7fe00010', 'x7fe00008', 'x7fe00009'] as const;

type Readback = { ok: true; dataSet: DataSet } | { ok: false; message: string };

/**
 * Reads a file with dicom-parser for the check: through the importer's reader, except that a deflated
 * data set is inflated here and parsed on its own (dicom-parser's own inflate path starts reading at the
 * preamble, so it depends on what the preamble holds).
 */
function readBack(bytes: Uint8Array, deflated: boolean, metaEnd: number): Readback {
  if (!deflated) {
    const parsed = parseDataSet(bytes, MAX_INFLATED_BYTES);
    return parsed.ok ? { ok: true, dataSet: parsed.dataSet } : { ok: false, message: parsed.message };
  }
  try {
    const inflated = new Uint8Array(inflateRawSync(bytes.subarray(metaEnd), { maxOutputLength: MAX_INFLATED_BYTES }));
    return { ok: true, dataSet: dicomParser.parseDicom(inflated, { TransferSyntaxUID: TS_EXPLICIT_LE } as Parameters<typeof dicomParser.parseDicom>[1]) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

function pixelBytes(dataSet: DataSet, tag: (typeof PIXEL_TAGS)[number]): Uint8Array | undefined {
  const el = dataSet.elements[tag];
  if (!el) return undefined;
  return dataSet.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** The independent check of a rewritten file; a sentence when it fails. */
function verify(file: ParsedDicomFile, rewritten: Uint8Array, metaLength: number, datesShifted: boolean): string | null {
  const importable = parseDataSet(rewritten, MAX_INFLATED_BYTES);
  if (!importable.ok) return `the rewritten file does not read back (${importable.message})`;
  const before = readBack(file.fileBytes, file.deflated, file.meta.at(-1)?.end ?? 0);
  const after = file.deflated ? readBack(rewritten, true, metaLength) : { ok: true as const, dataSet: importable.dataSet };
  if (!after.ok) return `the rewritten file does not read back (${after.message})`;
  if (!before.ok) return `the original could not be read independently to compare its pixel data (${before.message})`;
  for (const tag of PIXEL_TAGS) {
    const a = pixelBytes(before.dataSet, tag);
    const b = pixelBytes(after.dataSet, tag);
    if (!a && !b) continue;
    if (!a || !b || !sameBytes(a, b)) return `the pixel data ${tag} of the rewritten file differs from the original's`;
  }
  for (const [key, el] of Object.entries(after.dataSet.elements)) {
    if (!file.deflated && el.dataOffset < metaLength) continue;
    const tag = Number.parseInt(key.slice(1), 16) >>> 0;
    if (tag >>> 16 === 0x0002) continue;
    if ((tag >>> 16) % 2 === 1) return `a private attribute ${key} is still present`;
    const entry = profileEntry(tag);
    if (entry?.action === 'X' && !(datesShifted && (entry.vr === 'DA' || entry.vr === 'DT'))) return `the attribute ${key} should have been removed`;
  }
  return null;
}

/** The rewritten bytes, before the independent check (exported for tests and diagnosis). */
export function rewriteParsed(file: ParsedDicomFile, ctx: DeidentifyContext): Omit<DeidentifyResult, 'ok'> & { metaLength: number } {
  const summary = summarise(file);
  const dateShiftDays = ctx.dates ? ctx.dates.offsetFor(summary.patientId) : null;
  const rewriter = new Rewriter(file.dataSetBytes, ctx, dateShiftDays);
  const kept = rewriter.list(file.elements, file.encoding);
  const added = addedElements(file.encoding, dateShiftDays !== null);
  rewriter.counts.added = added.length;
  const addedTags = new Set(added.map((a) => a.tag));
  const sop = summary.sopUid ? ctx.uids.replace(summary.sopUid) : ctx.uids.fresh();
  // An empty SOP Instance UID in the data set takes the (new) one the meta names, so the two match.
  const sopElement = file.elements.find((e) => e.tag === 0x00080018);
  const sopRow = kept.find((e) => e.tag === 0x00080018);
  if (sopElement && sopRow && stringValue(file.dataSetBytes, sopElement) === '') {
    sopRow.chunks = stringElement(new ElementWriter(file.encoding), 0x00080018, 'UI', sop);
  }
  const all = [...kept.filter((e) => !addedTags.has(e.tag)), ...added].sort((a, b) => a.tag - b.tag);
  const dataSet = Buffer.concat(all.flatMap((e) => e.chunks));
  const body = file.deflated ? Buffer.concat([EMPTY_STORED_BLOCKS, deflateRawSync(dataSet)]) : dataSet;
  const meta = fileMeta(summary.sopClassUid, sop, file.outputTransferSyntax);
  return {
    bytes: new Uint8Array(Buffer.concat([...meta, body])),
    metaLength: total(meta),
    changes: rewriter.counts,
    dateShiftDays,
    uids: {
      study: summary.studyUid ? ctx.uids.replace(summary.studyUid) : '',
      series: summary.seriesUid ? ctx.uids.replace(summary.seriesUid) : '',
      sop,
    },
  };
}

/** De-identifies a parsed file; `{ ok: false }` with a reason when it cannot be done safely. */
export function deidentifyParsed(file: ParsedDicomFile, ctx: DeidentifyContext): DeidentifyResult | DicomFailure {
  try {
    const { metaLength, ...result } = rewriteParsed(file, ctx);
    const problem = verify(file, result.bytes, metaLength, result.dateShiftDays !== null);
    if (problem) return { ok: false, code: 'verify_failed', message: `De-identification was not safe to write: ${problem}.` };
    return { ok: true, ...result };
  } catch (e) {
    if (e instanceof DicomFormatError) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'deidentify_error', message: `De-identification failed: ${e instanceof Error ? e.message : String(e)}.` };
  }
}
