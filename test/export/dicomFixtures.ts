/** Small DICOM files built byte by byte in the tests (nothing copied from the data sets). */
import { deflateRawSync } from 'node:zlib';

export interface El {
  tag: number;
  vr: string;
  /** A string (padded to even length), raw bytes, or the items of a sequence. */
  value: string | Uint8Array | El[][];
  undefinedLength?: boolean;
}

export interface Enc {
  le: boolean;
  explicit: boolean;
}
export const ELE: Enc = { le: true, explicit: true };
export const ILE: Enc = { le: true, explicit: false };
export const EBE: Enc = { le: false, explicit: true };

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function u16(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}
function u32(n: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}
function tagBytes(tag: number, le: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, le), u16(tag & 0xffff, le)]);
}

export function str(text: string, vr: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  return b.length % 2 ? Buffer.concat([b, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : b;
}

function valueBytes(el: El, enc: Enc): Buffer {
  if (Array.isArray(el.value)) {
    const items = el.value.map((item) => {
      const body = dataSet(item, enc);
      return el.undefinedLength
        ? Buffer.concat([tagBytes(0xfffee000, enc.le), u32(0xffffffff, enc.le), body, tagBytes(0xfffee00d, enc.le), u32(0, enc.le)])
        : Buffer.concat([tagBytes(0xfffee000, enc.le), u32(body.length, enc.le), body]);
    });
    return Buffer.concat([...items, ...(el.undefinedLength ? [tagBytes(0xfffee0dd, enc.le), u32(0, enc.le)] : [])]);
  }
  return typeof el.value === 'string' ? str(el.value, el.vr) : Buffer.from(el.value);
}

export function element(el: El, enc: Enc): Buffer {
  const value = valueBytes(el, enc);
  const length = el.undefinedLength ? 0xffffffff : value.length;
  if (!enc.explicit) return Buffer.concat([tagBytes(el.tag, enc.le), u32(length, enc.le), value]);
  if (LONG.has(el.vr)) return Buffer.concat([tagBytes(el.tag, enc.le), Buffer.from(el.vr), Buffer.alloc(2), u32(length, enc.le), value]);
  return Buffer.concat([tagBytes(el.tag, enc.le), Buffer.from(el.vr), u16(length, enc.le), value]);
}

export function dataSet(els: El[], enc: Enc): Buffer {
  return Buffer.concat(els.map((e) => element(e, enc)));
}

/** Encapsulated pixel data (7FE0,0010): offset table (optional) + fragments + sequence delimiter. */
export function encapsulatedPixelData(fragments: Uint8Array[], withOffsets: boolean): Buffer {
  const offsets: Buffer[] = [];
  let at = 0;
  for (const f of fragments) {
    offsets.push(u32(at, true));
    at += 8 + f.length;
  }
  const bot = withOffsets ? Buffer.concat(offsets) : Buffer.alloc(0);
  return Buffer.concat([
    tagBytes(0x7fe00010, true), Buffer.from('OB'), Buffer.alloc(2), u32(0xffffffff, true),
    tagBytes(0xfffee000, true), u32(bot.length, true), bot,
    ...fragments.flatMap((f) => [tagBytes(0xfffee000, true), u32(f.length, true), Buffer.from(f)]),
    tagBytes(0xfffee0dd, true), u32(0, true),
  ]);
}

export function part10(body: Buffer, transferSyntax: string, sopClass: string, sopInstance: string, extraMeta: El[] = []): Buffer {
  const meta = dataSet(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: sopClass },
      { tag: 0x00020003, vr: 'UI', value: sopInstance },
      { tag: 0x00020010, vr: 'UI', value: transferSyntax },
      ...extraMeta,
    ],
    ELE,
  );
  const groupLength = element({ tag: 0x00020000, vr: 'UL', value: u32(meta.length, true) }, ELE);
  const preamble = Buffer.alloc(128, 0x41); // non-zero: the exporter must not copy it
  return Buffer.concat([preamble, Buffer.from('DICM'), groupLength, meta, body]);
}

export const TS = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  bigEndian: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
} as const;

export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

export interface PatientFile {
  patientName?: string;
  patientId?: string;
  study?: string;
  series?: string;
  sop: string;
  modality?: string;
  burnedIn?: string;
  studyDate?: string;
  referencedSop?: string;
}

/** A CT-like instance with identifying attributes, private tags at top level and inside a sequence. */
export function identifyingElements(p: PatientFile, pixel: El | null): El[] {
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE },
    { tag: 0x00080018, vr: 'UI', value: p.sop },
    { tag: 0x00080020, vr: 'DA', value: p.studyDate ?? '20200115' },
    { tag: 0x00080030, vr: 'TM', value: '101500' },
    { tag: 0x00080050, vr: 'SH', value: 'ACC12345' },
    { tag: 0x00080060, vr: 'CS', value: p.modality ?? 'CT' },
    { tag: 0x00080080, vr: 'LO', value: 'General Hospital' },
    { tag: 0x00080090, vr: 'PN', value: 'Doe^Referrer' },
    { tag: 0x00081010, vr: 'SH', value: 'STATION7' },
    { tag: 0x0008103e, vr: 'LO', value: 'Chest for John Smith' },
    { tag: 0x00081070, vr: 'PN', value: 'Operator^Olga' },
    {
      tag: 0x00081140,
      vr: 'SQ',
      value: [
        [
          { tag: 0x00081150, vr: 'UI', value: CT_IMAGE },
          { tag: 0x00081155, vr: 'UI', value: p.referencedSop ?? '1.2.3.4.5.999' },
          { tag: 0x00090010, vr: 'LO', value: 'ACME PRIVATE' },
          { tag: 0x00091001, vr: 'LO', value: 'nested secret' },
        ],
      ],
    },
    { tag: 0x00091001, vr: 'LO', value: 'private top secret' },
    { tag: 0x00100010, vr: 'PN', value: p.patientName ?? 'Smith^John' },
    { tag: 0x00100020, vr: 'LO', value: p.patientId ?? 'PID-0001' },
    { tag: 0x00100030, vr: 'DA', value: '19700101' },
    { tag: 0x00100040, vr: 'CS', value: 'M' },
    { tag: 0x00101010, vr: 'AS', value: '050Y' },
    { tag: 0x00101040, vr: 'LO', value: '1 Main Street' },
    { tag: 0x00181000, vr: 'LO', value: 'SN-778899' },
    { tag: 0x0020000d, vr: 'UI', value: p.study ?? '1.2.3.4.1' },
    { tag: 0x0020000e, vr: 'UI', value: p.series ?? '1.2.3.4.1.1' },
    { tag: 0x00200010, vr: 'SH', value: 'STUDY42' },
    { tag: 0x00200052, vr: 'UI', value: '1.2.3.4.9' },
    { tag: 0x00280010, vr: 'US', value: new Uint8Array([2, 0]) },
    { tag: 0x00280011, vr: 'US', value: new Uint8Array([2, 0]) },
  ];
  if (p.burnedIn !== undefined) els.push({ tag: 0x00280301, vr: 'CS', value: p.burnedIn });
  els.push({ tag: 0x00291010, vr: 'OB', value: new Uint8Array([1, 2, 3, 4]) });
  if (pixel) els.push(pixel);
  return els;
}

export function nativePixels(n = 8): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
}

/** An explicit VR little endian Part-10 CT instance with native pixel data. */
export function explicitFile(p: PatientFile): Buffer {
  const els = identifyingElements(p, { tag: 0x7fe00010, vr: 'OW', value: nativePixels() });
  return part10(dataSet(els, ELE), TS.explicit, CT_IMAGE, p.sop);
}

export function deflatedFile(p: PatientFile): Buffer {
  const els = identifyingElements(p, { tag: 0x7fe00010, vr: 'OW', value: nativePixels() });
  return part10(deflateRawSync(dataSet(els, ELE)), TS.deflated, CT_IMAGE, p.sop);
}
